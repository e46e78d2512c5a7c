// ownstack profile list|show|use|add|remove: files under a temp OWNSTACK_HOME, TTY and piped
// output, --json shapes, exit codes, and that tokens only ever appear masked.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hasAnsi, runOwnstack, tempHome, type RunOpts } from '../../helpers/cli.js';
import { contractServer } from '../../fixtures/contract.js';
import { parseKeyValues } from '../../../src/config/files.js';
import { ProfileStore } from '../../../src/config/profiles.js';

// No handlers: any request at all fails the test (profile commands never call the API).
const api = contractServer({ beforeAll, afterEach, afterAll });

const ACME = 'acme_token_0000000000001111';
const STAGING = 'staging_token_000000002222';

let home: string;
let cleanup: () => void;
let store: ProfileStore;
beforeEach(() => {
  ({ home, cleanup } = tempHome());
  store = new ProfileStore(home);
});
afterEach(() => {
  expect(api.seen).toHaveLength(0);
  cleanup();
});

const run = (argv: string[], opts: RunOpts = {}) =>
  runOwnstack(['profile', ...argv], { home, ...opts, env: { OWNSTACK_API_URL: undefined, OWNSTACK_API_TOKEN: undefined, NO_COLOR: '1', ...opts.env } });

function seed() {
  store.save({ name: 'acme', apiUrl: 'https://cp.acme.example', token: ACME });
  store.save({ name: 'staging', apiUrl: 'https://staging.example', token: STAGING });
  store.setActive('acme');
}

const noLeak = (r: { stdout: string; stderr: string }) => {
  expect(r.stdout + r.stderr).not.toContain(ACME.slice(0, 10));
  expect(r.stdout + r.stderr).not.toContain(STAGING.slice(0, 10));
};

const profileView = z.object({ name: z.string(), api_url: z.string().nullable(), token: z.string().nullable(), active: z.boolean(), local: z.boolean() }).strict();
const config = () => parseKeyValues(readFileSync(join(home, 'config'), 'utf8'));

describe('profile list', () => {
  it('nothing configured: only the implicit local profile, active', async () => {
    const r = await run(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('local\t(local control plane)\t(local)\t*\n');
  });

  it('TTY: NAME API-URL TOKEN ACTIVE, the active one marked *, tokens masked', async () => {
    seed();
    const r = await run(['list'], { tty: true });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+API-URL\s+TOKEN\s+ACTIVE$/);
    expect(lines[1]).toMatch(/^local\s+\(local control plane\)\s+\(local\)$/);
    expect(lines[2]).toMatch(/^acme\s+https:\/\/cp\.acme\.example\s+…1111\s+\*$/);
    expect(lines[3]).toMatch(/^staging\s+https:\/\/staging\.example\s+…2222$/);
    noLeak(r);
  });

  it('piped: TSV without ANSI; OWNSTACK_PROFILE moves the * for this command', async () => {
    seed();
    const r = await run(['list'], { env: { OWNSTACK_PROFILE: 'staging', FORCE_COLOR: '1' } });
    expect(r.stdout).toBe('local\t(local control plane)\t(local)\t\nacme\thttps://cp.acme.example\t…1111\t\nstaging\thttps://staging.example\t…2222\t*\n');
    expect(hasAnsi(r.stdout)).toBe(false);
  });

  it('--json: an array of profile views', async () => {
    seed();
    const r = await run(['list', '--json']);
    const views = z.array(profileView).parse(JSON.parse(r.stdout));
    expect(views).toEqual([
      { name: 'local', api_url: null, token: null, active: false, local: true },
      { name: 'acme', api_url: 'https://cp.acme.example', token: '…1111', active: true, local: false },
      { name: 'staging', api_url: 'https://staging.example', token: '…2222', active: false, local: false },
    ]);
    noLeak(r);
  });

  it('a legacy config shows as the active "default" profile', async () => {
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'config'), `OWNSTACK_API_URL=https://legacy.example\nOWNSTACK_API_TOKEN=${ACME}\n`);
    const r = await run(['list']);
    expect(r.stdout).toBe('local\t(local control plane)\t(local)\t\ndefault\thttps://legacy.example\t…1111\t*\n');
  });
});

describe('profile show', () => {
  it('the active profile: URL, masked token and where each came from', async () => {
    seed();
    const r = await run(['show'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `profile  acme (active)  [from ${join(home, 'config')}]`,
        'api url  https://cp.acme.example  [from profile acme]',
        'token    …1111  [from profile acme]',
        `file     ${join(home, 'profiles', 'acme')}`,
        '',
      ].join('\n'),
    );
    noLeak(r);
  });

  it('env beats the profile; the flag beats env', async () => {
    seed();
    const r = await run(['show', '--json', '--api-url', 'http://127.0.0.1:9090'], { env: { OWNSTACK_PROFILE: 'staging', OWNSTACK_API_URL: 'http://127.0.0.1:7070', OWNSTACK_TOKEN: 'env_token_00000000003333' } });
    expect(JSON.parse(r.stdout)).toEqual({
      name: 'staging',
      api_url: 'http://127.0.0.1:9090',
      token: '…3333',
      local: false,
      active: true,
      source: { name: 'OWNSTACK_PROFILE', api_url: '--api-url', token: 'OWNSTACK_TOKEN' },
      file: join(home, 'profiles', 'staging'),
    });
    const e = await run(['show', '--json'], { env: { OWNSTACK_API_URL: 'http://127.0.0.1:7070' } });
    expect(JSON.parse(e.stdout).source.api_url).toBe('OWNSTACK_API_URL');
  });

  it('show NAME: that profile, whichever is active', async () => {
    seed();
    const r = await run(['show', 'staging']);
    expect(r.stdout).toBe(
      `profile\tstaging  [from argument]\napi url\thttps://staging.example  [from profile staging]\ntoken\t…2222  [from profile staging]\nfile\t${join(home, 'profiles', 'staging')}\n`,
    );
  });

  it('nothing configured: the local control plane', async () => {
    const r = await run(['show', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'local', api_url: null, token: null, local: true, active: true, file: null });
    const t = await run(['show'], { tty: true });
    expect(t.stdout).toContain('api url  local control plane (started on demand)');
    expect(t.stdout).toContain('token    (read from the local control plane)');
  });

  it('unknown NAME → exit 3 listing the known profiles (even when env would resolve it)', async () => {
    seed();
    const r = await run(['show', 'acne'], { env: { OWNSTACK_API_URL: 'http://127.0.0.1:7070' } });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: no profile named "acne"\nhint: known profiles: local, acme, staging\n');
  });

  it('unknown OWNSTACK_PROFILE → exit 3', async () => {
    const r = await run(['show'], { env: { OWNSTACK_PROFILE: 'ghost' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no profile named "ghost" (from OWNSTACK_PROFILE)');
  });

  it('invalid NAME → exit 2', async () => {
    const r = await run(['show', '../x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid profile name "\.\.\/x"/);
  });
});

describe('profile use', () => {
  it('records the active profile in the config file', async () => {
    seed();
    const r = await run(['use', 'staging']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✓ Now using profile staging (https://staging.example)\n');
    expect(config().OWNSTACK_PROFILE).toBe('staging');
    expect(statSync(join(home, 'config')).mode & 0o777).toBe(0o600);
  });

  it('local clears it', async () => {
    seed();
    const r = await run(['use', 'local']);
    expect(r.stdout).toBe('✓ Now using the local control plane (profile local)\n');
    expect(config().OWNSTACK_PROFILE).toBeUndefined();
    expect((await run(['show', '--json'])).stdout).toContain('"name":"local"');
  });

  it('local with a legacy config: names local explicitly so the legacy values stop applying', async () => {
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'config'), `OWNSTACK_API_URL=https://legacy.example\nOWNSTACK_API_TOKEN=${ACME}\n`);
    await run(['use', 'local']);
    expect(config()).toMatchObject({ OWNSTACK_PROFILE: 'local', OWNSTACK_API_URL: 'https://legacy.example' });
    expect(JSON.parse((await run(['show', '--json'])).stdout)).toMatchObject({ name: 'local', local: true });
  });

  it('unknown → exit 3 with the known ones; the active profile is unchanged', async () => {
    seed();
    const r = await run(['use', 'stagign']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('error: no profile named "stagign"\nhint: known profiles: local, acme, staging\n');
    expect(config().OWNSTACK_PROFILE).toBe('acme');
  });

  it('--json: the profile view; a notice when OWNSTACK_PROFILE still overrides', async () => {
    seed();
    const r = await run(['use', 'staging', '--json'], { env: { OWNSTACK_PROFILE: 'acme' } });
    expect(profileView.parse(JSON.parse(r.stdout))).toEqual({ name: 'staging', api_url: 'https://staging.example', token: '…2222', active: true, local: false });
    expect(r.stderr).toBe('note: OWNSTACK_PROFILE=acme still overrides the active profile in this environment\n');
  });
});

describe('profile add', () => {
  it('--token-stdin --api-url: stored 0600, not made active', async () => {
    seed();
    const r = await run(['add', 'prod', '--api-url=https://cp.prod.example/', '--token-stdin'], { stdin: `${ACME}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✓ Added profile prod (https://cp.prod.example, token …1111)\n');
    expect(r.stderr).toBe('Use it with: ownstack profile use prod  (or OWNSTACK_PROFILE=prod for one command)\n');
    expect(parseKeyValues(readFileSync(join(home, 'profiles', 'prod'), 'utf8'))).toEqual({ OWNSTACK_API_URL: 'https://cp.prod.example', OWNSTACK_API_TOKEN: ACME });
    expect(statSync(join(home, 'profiles', 'prod')).mode & 0o777).toBe(0o600);
    expect(config().OWNSTACK_PROFILE).toBe('acme');
    noLeak(r);
  });

  it('--token T and the hosted default URL; --json', async () => {
    const r = await run(['add', 'hosted', '--token', STAGING, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      name: 'hosted',
      api_url: 'https://api.ownstack.org',
      token: '…2222',
      active: false,
      local: false,
      replaced: false,
      file: join(home, 'profiles', 'hosted'),
    });
    noLeak(r);
  });

  it('exists → exit 5 before reading the token, file unchanged; --force replaces it and keeps the URL', async () => {
    seed();
    const before = readFileSync(join(home, 'profiles', 'acme'), 'utf8');
    const r = await run(['add', 'acme', '--token-stdin'], { stdin: STAGING });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe('error: profile acme already exists (https://cp.acme.example)\nhint: pass --force to replace it, or remove it first: ownstack profile remove acme\n');
    expect(readFileSync(join(home, 'profiles', 'acme'), 'utf8')).toBe(before);
    const f = await run(['add', 'acme', '--token-stdin', '--force'], { stdin: STAGING });
    expect(f.code).toBe(0);
    expect(f.stdout).toBe('✓ Replaced profile acme (https://cp.acme.example, token …2222)\n');
    expect(store.get('acme')).toEqual({ name: 'acme', apiUrl: 'https://cp.acme.example', token: STAGING });
    noLeak(f);
  });

  it.each<[string[], RunOpts, number, RegExp]>([
    [['add', 'prod'], {}, 2, /give the token with --token-stdin \(recommended\) or --token/],
    [['add', 'prod', '--token', ACME, '--token-stdin'], { stdin: ACME }, 2, /give only one of --token and --token-stdin/],
    [['add', 'prod', '--token-stdin'], { stdin: '' }, 2, /the API token from stdin is empty/],
    [['add', 'local', '--token', ACME], {}, 2, /"local" is reserved/],
    [['add', 'Prod', '--token', ACME], {}, 2, /invalid profile name "Prod"/],
    [['add', 'a'.repeat(64), '--token', ACME], {}, 2, /invalid profile name/],
    [['add', 'prod', '--token', ACME, '--api-url', 'prod.example'], {}, 2, /invalid --api-url "prod\.example".* — try --api-url=https:\/\/prod\.example/],
    [['add'], {}, 2, /missing required argument 'name'/],
  ])('%j → exit %i, nothing stored', async (argv, opts, code, message) => {
    const r = await run(argv, opts);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(existsSync(join(home, 'profiles'))).toBe(false);
    noLeak(r);
  });

  it('a 63-character name is fine', async () => {
    const r = await run(['add', 'a'.repeat(63), '--token', ACME]);
    expect(r.code).toBe(0);
  });
});

describe('profile remove', () => {
  it('TTY: retype the name, then the file is gone; removing the active one falls back to local', async () => {
    seed();
    const r = await run(['remove', 'acme'], { tty: true, confirm: ['acme'] });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✓ Removed profile acme\n');
    expect(r.stderr).toBe('It was active: commands now use the local control plane (profile local)\n');
    expect(existsSync(join(home, 'profiles', 'acme'))).toBe(false);
    expect(config().OWNSTACK_PROFILE).toBeUndefined();
  });

  it('TTY: a wrong answer aborts (exit 2), nothing removed', async () => {
    seed();
    const r = await run(['remove', 'acme'], { tty: true, confirm: ['acm'] });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: aborted: the name did not match');
    expect(existsSync(join(home, 'profiles', 'acme'))).toBe(true);
  });

  it('not a TTY without --yes: exit 2 asking for --yes; with --yes: removed', async () => {
    seed();
    const r = await run(['remove', 'staging']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pass --yes/);
    expect(existsSync(join(home, 'profiles', 'staging'))).toBe(true);
    const y = await run(['rm', 'staging', '-y', '--json']);
    expect(y.code).toBe(0);
    expect(JSON.parse(y.stdout)).toEqual({ name: 'staging', api_url: 'https://staging.example', token: '…2222', active: false, local: false, now_active: 'acme' });
    expect(existsSync(join(home, 'profiles', 'staging'))).toBe(false);
    expect(config().OWNSTACK_PROFILE).toBe('acme');
  });

  it.each<[string, number, RegExp]>([
    ['ghost', 3, /no profile named "ghost"\nhint: known profiles: local, acme, staging/],
    ['local', 2, /the "local" profile is built in and cannot be removed/],
    ['Bad', 2, /invalid profile name "Bad"/],
  ])('%s → exit %i', async (name, code, message) => {
    seed();
    const r = await run(['remove', name, '--yes']);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it('the legacy default (in the config file) → exit 2 explaining where it lives', async () => {
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'config'), `OWNSTACK_API_URL=https://legacy.example\nOWNSTACK_API_TOKEN=${ACME}\n`);
    const r = await run(['remove', 'default', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`profile default comes from the legacy settings in ${join(home, 'config')}`);
  });
});
