// ownstack login: token sources (stdin, prompt, --token, env), verification with GET /api/clusters,
// what is saved (0600, active), and that the token never appears in any output.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API, hasAnsi, runOwnstack, tempHome, type RunOpts } from '../helpers/cli.js';
import { HttpResponse, apiError, contractServer, http, sampleCluster, url } from '../fixtures/contract.js';
import { parseKeyValues } from '../../src/config/files.js';
import { ProfileStore } from '../../src/config/profiles.js';

const api = contractServer({ beforeAll, afterEach, afterAll });
const TOKEN = 'osk_live_5f2b9c1e7d3a4b6c8e0fabcd';

let home: string;
let cleanup: () => void;
beforeEach(() => ({ home, cleanup } = tempHome()));
afterEach(() => cleanup());

/** No token or profile in the environment; the API URL is the msw one unless overridden. */
const run = (argv: string[], opts: RunOpts = {}) =>
  runOwnstack(['login', ...argv], { home, ...opts, env: { OWNSTACK_API_TOKEN: undefined, OWNSTACK_API_URL: API, ...opts.env } });

/** Accepts only TOKEN, like the control plane would. */
function verifier() {
  const seen: (string | null)[] = [];
  api.use(
    http.get(url('/api/clusters'), ({ request }) => {
      const auth = request.headers.get('authorization');
      seen.push(auth);
      return auth === `Bearer ${TOKEN}` ? HttpResponse.json({ clusters: [sampleCluster] }) : apiError(401, 'unauthorized', 'invalid token');
    }),
  );
  return seen;
}

/** cp.test is plain http and not this machine: saving it warns. */
const PLAIN_HTTP_WARNING = 'warning: http://cp.test is plain http: the token will cross the network unencrypted on every request; use an https URL unless the network is private';
const saved = (name = 'default') => parseKeyValues(readFileSync(join(home, 'profiles', name), 'utf8'));
const active = () => new ProfileStore(home).activeName();
const noLeak = (r: { stdout: string; stderr: string }) => expect(r.stdout + r.stderr).not.toContain(TOKEN.slice(0, 12));

describe('ownstack login', () => {
  it('--token-stdin: verifies, saves profiles/default 0600, makes it active, shows the token masked', async () => {
    const seen = verifier();
    const r = await run(['--token-stdin'], { stdin: `${TOKEN}\n` });
    expect(r.code).toBe(0);
    expect(seen).toEqual([`Bearer ${TOKEN}`]);
    expect(r.stdout).toBe('✓ Logged in to http://cp.test as profile default (token …abcd)\n');
    expect(r.stderr).toBe(`${PLAIN_HTTP_WARNING}\n`);
    expect(saved()).toEqual({ OWNSTACK_API_URL: API, OWNSTACK_API_TOKEN: TOKEN });
    expect(statSync(join(home, 'profiles', 'default')).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'profiles')).mode & 0o777).toBe(0o700);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(active()).toBe('default');
    noLeak(r);
  });

  it('no flags, stdin not a TTY: reads the token from stdin', async () => {
    verifier();
    const r = await run([], { stdin: TOKEN });
    expect(r.code).toBe(0);
    expect(saved().OWNSTACK_API_TOKEN).toBe(TOKEN);
  });

  it('on a TTY: the success line, no ANSI with NO_COLOR', async () => {
    verifier();
    const r = await run(['--token-stdin'], { tty: true, stdin: TOKEN, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✓ Logged in to http://cp.test as profile default (token …abcd)\n');
    expect(hasAnsi(r.stdout + r.stderr)).toBe(false);
  });

  it('--token T works (OwnStack compatibility)', async () => {
    verifier();
    const r = await run(['--token', TOKEN]);
    expect(r.code).toBe(0);
    expect(saved().OWNSTACK_API_TOKEN).toBe(TOKEN);
    noLeak(r);
  });

  it('OWNSTACK_API_TOKEN is used when no flag is given, with a notice', async () => {
    verifier();
    const r = await run([], { env: { OWNSTACK_API_TOKEN: TOKEN } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`Using the token from OWNSTACK_API_TOKEN\n${PLAIN_HTTP_WARNING}\n`);
    expect(saved().OWNSTACK_API_TOKEN).toBe(TOKEN);
  });

  it('--profile NAME and --api-url URL: saved under that name with that URL, and made active', async () => {
    verifier();
    const r = await run(['--profile', 'acme', '--api-url=http://cp.test/'], { stdin: TOKEN, env: { OWNSTACK_API_URL: undefined } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✓ Logged in to http://cp.test as profile acme (token …abcd)\n');
    expect(saved('acme')).toEqual({ OWNSTACK_API_URL: 'http://cp.test', OWNSTACK_API_TOKEN: TOKEN });
    expect(active()).toBe('acme');
  });

  it('logging in again to an existing profile keeps its URL', async () => {
    new ProfileStore(home).save({ name: 'acme', apiUrl: API, token: 'old-token-000000' });
    const seen = verifier();
    const r = await run(['--profile=acme', '--token-stdin'], { stdin: TOKEN, env: { OWNSTACK_API_URL: undefined } });
    expect(r.code).toBe(0);
    expect(seen).toHaveLength(1);
    expect(saved('acme')).toEqual({ OWNSTACK_API_URL: API, OWNSTACK_API_TOKEN: TOKEN });
  });

  it('no URL anywhere: the hosted control plane (with --no-verify nothing is sent)', async () => {
    const r = await run(['--no-verify'], { stdin: TOKEN, env: { OWNSTACK_API_URL: undefined } });
    expect(r.code).toBe(0);
    expect(api.seen).toHaveLength(0);
    expect(saved().OWNSTACK_API_URL).toBe('https://api.ownstack.org');
    expect(r.stderr).toBe('note: the token was not verified (--no-verify)\n');
  });

  it('--json: one document, token masked', async () => {
    verifier();
    const r = await run(['--json'], { stdin: TOKEN });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      profile: 'default',
      api_url: API,
      token: '…abcd',
      active: true,
      verified: true,
      file: join(home, 'profiles', 'default'),
    });
    noLeak(r);
  });

  it('--verbose: the request line shows Bearer ***, never the token', async () => {
    verifier();
    const r = await run(['--verbose'], { stdin: TOKEN });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Checking the token (…abcd) against http://cp.test…');
    noLeak(r);
  });
});

describe('ownstack login: refusals (nothing saved)', () => {
  it('401 from the control plane → exit 4, nothing saved', async () => {
    verifier();
    const r = await run(['--token-stdin'], { stdin: 'osk_live_wrong_token_9999' });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: the control plane at http://cp.test refused the token …9999: invalid token\nhint: nothing was saved; check the token and --api-url\n');
    expect(existsSync(join(home, 'profiles'))).toBe(false);
    expect(existsSync(join(home, 'config'))).toBe(false);
    expect(r.stderr).not.toContain('osk_live_wrong');
  });

  it('the control plane unreachable or wrong URL → its exit code, a --no-verify hint, nothing saved', async () => {
    api.use(http.get(url('/api/clusters'), () => apiError(404, 'not_found', 'no route GET /api/clusters')));
    const r = await run([], { stdin: TOKEN });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('error: could not verify the token: no route GET /api/clusters\nhint: nothing was saved; fix the --api-url, or pass --no-verify to save the profile without checking\n');
    expect(existsSync(join(home, 'profiles'))).toBe(false);
  });

  it.each<[string[], RunOpts, RegExp]>([
    [['--token', TOKEN, '--token-stdin'], {}, /give only one of --token and --token-stdin/],
    [['--token-stdin'], { stdin: '' }, /the API token from stdin is empty/],
    [[], { stdin: '   \n' }, /the API token from stdin is empty/],
    [[], { tty: true }, /the API token from the prompt is empty/],
    [['--token', 'two words'], {}, /the API token from --token contains whitespace/],
    [['--token', ''], {}, /the API token from --token is empty/],
    [['--token-stdin'], { stdin: 'a'.repeat(4097) }, /longer than 4096 characters/],
    [['--profile', 'local', '--token', TOKEN], {}, /the profile name "local" is reserved/],
    [['--profile', 'Acme', '--token', TOKEN], {}, /invalid profile name "Acme"/],
    [['--api-url', 'cp.acme.example', '--token', TOKEN], {}, /invalid --api-url "cp\.acme\.example": .*it has no scheme — try --api-url=https:\/\/cp\.acme\.example/],
    [['--api-url', 'ftp://cp.acme.example', '--token', TOKEN], {}, /invalid --api-url .*the scheme must be http or https/],
    [['--api-url', 'https://cp.acme.example/?x=1', '--token', TOKEN], {}, /no query or fragment — try --api-url=https:\/\/cp\.acme\.example/],
    [['--api-url', 'https://u:p@cp.acme.example', '--token', TOKEN], {}, /no user or password in the URL/],
    [['--api-url', '', '--token', TOKEN], {}, /invalid --api-url ""/],
  ])('%j → exit 2, nothing sent or saved', async (argv, opts, message) => {
    verifier();
    const r = await run(argv, opts);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(api.seen).toHaveLength(0);
    expect(existsSync(join(home, 'profiles'))).toBe(false);
    noLeak(r);
  });

  it('a rejected token is never echoed', async () => {
    const r = await run(['--token', 'secret value with spaces']);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('secret');
  });

  it('--help recommends --token-stdin / OWNSTACK_API_TOKEN', async () => {
    const r = await runOwnstack(['login', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Prefer --token-stdin or OWNSTACK_API_TOKEN/);
    expect(r.stdout).toContain('printf %s "$OWNSTACK_TOKEN" | ownstack login --token-stdin');
  });
});
