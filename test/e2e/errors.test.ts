// How errors look, through bin/ownstack: one shape for every error (commander's usage errors, local
// checks, the control plane's answers, a refused login), as one JSON line first on stderr with
// --json; `--version --json`; `help <command…>`; NO_COLOR with an empty value; a 5,000-character
// value cut in the message; the Cloudflare token error naming where the token came from.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanupHome, e2eHome, ok, ownstack, ROOT, type CliResult } from '../helpers/e2e.js';
import { ownstackInPty } from '../helpers/pty.js';

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const CODES = ['invalid', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'timeout', 'unavailable', 'failed', 'internal', 'interrupted'];
const KEYS = ['code', 'message', 'field', 'value', 'rule', 'hint', 'candidates', 'details'];

let home: string;
beforeAll(() => {
  assertBuilt();
  home = e2eHome('errors');
});
afterAll(async () => {
  await cleanupHome(home);
});

/** The first stderr line as the error object, checked against the one shape; then the human lines. */
function jsonError(r: CliResult): Record<string, unknown> {
  const [first, ...rest] = r.stderr.split('\n');
  const doc = JSON.parse(first!) as { error: Record<string, unknown> };
  expect(Object.keys(doc)).toEqual(['error']);
  expect(CODES).toContain(doc.error.code);
  expect(typeof doc.error.message).toBe('string');
  for (const key of Object.keys(doc.error)) expect(KEYS).toContain(key);
  expect(rest[0]).toBe(`error: ${doc.error.message as string}`);
  expect(r.stdout).toBe('');
  return doc.error;
}

describe('--json: every error is one JSON object first on stderr', { timeout: 120_000 }, () => {
  it.each([
    ['unknown command', ['clustr'], { code: 'invalid', message: "unknown command 'clustr'", hint: 'did you mean cluster? (run with --help for usage)' }],
    ['unknown subcommand', ['cluster', 'swich', 'api'], { code: 'invalid', message: "unknown command 'swich'", hint: 'did you mean switch? (run with --help for usage)' }],
    ['missing argument', ['cluster', 'show'], { code: 'invalid', message: "missing required argument 'name'", hint: 'run with --help for usage' }],
    ['missing required option', ['cluster', 'switch', 'api'], { code: 'invalid', message: "required option '--to <variant>' not specified", hint: 'run with --help for usage' }],
    ['unknown option', ['cluster', 'list', '--frob'], { code: 'invalid', message: "unknown option '--frob'", hint: 'run with --help for usage' }],
    ['too many arguments', ['cluster', 'show', 'a', 'b'], { code: 'invalid', message: "too many arguments for 'show'. Expected 1 argument but got 2.", hint: 'run with --help for usage' }],
    ['a local check without a body', ['cluster', 'upstream', 'add', 'api', '--variant=blue'], { code: 'invalid', message: 'give exactly one of --url or --app' }],
    ['variant update with nothing to update', ['cluster', 'variant', 'update', 'api', 'blue'], { code: 'invalid', message: 'nothing to update: give at least one of --weight, --status or --description' }],
  ])('%s: exit 2, nothing started', async (_what, argv, expected) => {
    for (const at of ['end', 'start']) {
      const r = await ownstack(home, at === 'end' ? [...argv, '--json'] : ['--json', ...argv]);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(jsonError(r)).toMatchObject(expected);
    }
    expect(existsSync(join(home, 'local', 'server.json'))).toBe(false);
  });

  it('the same errors without --json: the same two lines, no JSON', async () => {
    const r = await ownstack(home, ['clustr']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe("error: unknown command 'clustr'\nhint: did you mean cluster? (run with --help for usage)\n");
  });

  it.each([
    ['local start', ['local', 'start']],
    ['proxy agent', ['proxy', 'agent', '--cluster', 'api', '--server', 'https://cp.example.com:8443', '--token-file', '/dev/null']],
  ])('%s --listen: one ADDR:PORT rule, exit 2 naming the flag and the value, nothing started', async (_what, argv) => {
    for (const bad of ['localhost:8443', '10.0.0.5', '0.0.0.0:0', '[fd00::zz]:80', ' 0.0.0.0:80']) {
      const r = await ownstack(home, [...argv, '--listen', bad, '--json']);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(jsonError(r)).toMatchObject({ code: 'invalid', field: '--listen', value: bad, rule: expect.stringMatching(/^an IP address and port/) });
    }
    expect(existsSync(join(home, 'local', 'server.json'))).toBe(false);
  });

  it('deploy:status with no deploys (3) and deploy:abort with nothing running (5)', async () => {
    await ok(home, ['cluster', 'create', 'api', '--hostname=api.example.com']);
    const status = await ownstack(home, ['cluster', 'deploy:status', 'api', '--json']);
    expect(status.exitCode).toBe(3);
    expect(jsonError(status)).toEqual({ code: 'not_found', message: 'cluster api has no deploys yet', hint: 'start one: ownstack cluster deploy api' });
    const abort = await ownstack(home, ['cluster', 'deploy:abort', 'api', '--json']);
    expect(abort.exitCode).toBe(5);
    expect(jsonError(abort)).toEqual({ code: 'conflict', message: 'cluster api has no deploy in progress: nothing to abort' });
  });

  it('a refused login (4), and the control plane error bodies keep their fields', async () => {
    let server: Server | undefined;
    try {
      server = createServer((req, res) => {
        req.resume();
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'invalid bearer token', field: 'Authorization' } }));
      });
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await ownstack(home, ['login', '--profile', 'refused', `--api-url=${url}`, '--token-stdin', '--json'], { input: 'refused-token-0001' });
      expect(r.exitCode).toBe(4);
      expect(jsonError(r)).toEqual({ code: 'unauthorized', message: `the control plane at ${url} refused the token …0001: invalid bearer token`, hint: 'nothing was saved; check the token and --api-url' });
      expect(existsSync(join(home, 'profiles', 'refused'))).toBe(false);
      const api = await ownstack(home, ['cluster', 'show', 'nope', '--json']);
      expect(api.exitCode).toBe(3);
      expect(jsonError(api)).toMatchObject({ code: 'not_found', value: 'nope', candidates: expect.any(Array) });
    } finally {
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    }
  });
});

describe('--version --json', () => {
  it('prints {"version"} as JSON; without --json the bare version', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await ownstack(home, [flag, '--json']);
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ version });
      const reversed = await ownstack(home, ['--json', flag]);
      expect(JSON.parse(reversed.stdout)).toEqual({ version });
    }
    expect((await ownstack(home, ['--version', '--no-color'])).stdout).toBe(`${version}\n`);
  });
});

describe('help <command…>', () => {
  it('help cluster create prints the help of cluster create, as cluster create --help does', async () => {
    const help = await ownstack(home, ['help', 'cluster', 'create']);
    const flag = await ownstack(home, ['cluster', 'create', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: ownstack cluster create [options] <name>');
    expect(help.stdout).toBe(flag.stdout);
    const deeper = await ownstack(home, ['help', 'cluster', 'upstream', 'add']);
    expect(deeper.stdout).toContain('Usage: ownstack cluster upstream add');
    expect((await ownstack(home, ['help'])).stdout).toBe((await ownstack(home, ['--help'])).stdout);
  });
});

describe('NO_COLOR', { timeout: 60_000 }, () => {
  const RED = '\x1b[31merror:';
  it('an empty NO_COLOR does not turn colour off (no-color.org); a non-empty one does', async () => {
    // On a real terminal.
    const empty = await ownstackInPty(home, ['clustr'], { env: { NO_COLOR: '' } });
    expect(empty.exitCode).toBe(2);
    expect(empty.raw).toContain(RED);
    const set = await ownstackInPty(home, ['clustr'], { env: { NO_COLOR: '1' } });
    expect(set.raw).not.toContain('\x1b[');
    // Piped, with colour forced on.
    expect((await ownstack(home, ['clustr'], { env: { NO_COLOR: '', FORCE_COLOR: '1' } })).stderr).toContain(RED);
    expect((await ownstack(home, ['clustr'], { env: { NO_COLOR: 'yes', FORCE_COLOR: '1' } })).stderr).not.toContain('\x1b[');
  });
});

describe('long values in errors', { timeout: 60_000 }, () => {
  const long = 'a'.repeat(5000);
  it.each([
    ['a positional value', ['cluster', 'create', long]],
    ['a flag value', ['cluster', 'upstream', 'add', 'api', '--variant=blue', `--url=http://${long}.com/x`]],
    ['an unknown command', [long]],
    ['an unknown option', ['cluster', 'list', `--${long}`]],
  ])('%s is cut, saying how much', async (_what, argv) => {
    const r = await ownstack(home, argv);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.length).toBeLessThan(600);
    expect(r.stderr).toMatch(/a…\(\d{4} characters cut\)…a/);
    const json = await ownstack(home, [...argv, '--json']);
    expect(json.stderr.length).toBeLessThan(1200);
    const e = jsonError(json);
    expect(e.message as string).toMatch(/characters cut/);
    if (e.value !== undefined) expect((e.value as string).length).toBeLessThan(200);
  });
});

describe('the Cloudflare token error names where the token came from', { timeout: 60_000 }, () => {
  const create = ['cluster', 'create', 'web', '--edge=cloudflare', '--cloudflare-zone-id=023e105f4ecef8ad9ca31a8372d0c353'];
  const rule = '(hidden): a Cloudflare API token must be 20 to 200 characters (Cloudflare issues 40)';
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ownstack-cf-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['CLOUDFLARE_API_TOKEN', { env: { CLOUDFLARE_API_TOKEN: 'too-short' } }, [], 'CLOUDFLARE_API_TOKEN'],
    ['OWNSTACK_CLOUDFLARE_API_TOKEN', { env: { OWNSTACK_CLOUDFLARE_API_TOKEN: 'too-short' } }, [], 'OWNSTACK_CLOUDFLARE_API_TOKEN'],
    ['--cloudflare-token-file', {}, ['file'], '--cloudflare-token-file'],
    ['--cloudflare-token-stdin', { input: 'too-short' }, ['--cloudflare-token-stdin'], '--cloudflare-token-stdin'],
  ])('from %s', async (_what, opts, extra, named) => {
    const file = join(dir, 'token');
    writeFileSync(file, 'too-short\n');
    const argv = [...create, ...extra.map((a) => (a === 'file' ? `--cloudflare-token-file=${file}` : a))];
    const r = await ownstack(home, argv, opts as { env?: NodeJS.ProcessEnv; input?: string });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`error: invalid ${named} ${rule}\n`);
    expect(r.stderr).not.toContain('too-short');
  });

  it.each([
    ['--cloudflare-token-file', {}, ['file'], '--cloudflare-token-file'],
    ['--cloudflare-token-stdin', { input: 'too-short' }, ['--cloudflare-token-stdin'], '--cloudflare-token-stdin'],
  ])('cluster update: from %s', async (_what, opts, extra, named) => {
    const file = join(dir, 'token');
    writeFileSync(file, 'too-short\n');
    const argv = ['cluster', 'update', 'web', ...extra.map((a) => (a === 'file' ? `--cloudflare-token-file=${file}` : a))];
    const r = await ownstack(home, argv, opts as { input?: string });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`error: invalid ${named} ${rule}\n`);
    expect(r.stderr).not.toContain('too-short');
  });

  it('an empty token file names the file flag', async () => {
    const file = join(dir, 'empty');
    writeFileSync(file, '\n');
    const r = await ownstack(home, [...create, `--cloudflare-token-file=${file}`]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: the Cloudflare API token from --cloudflare-token-file is empty');
  });
});
