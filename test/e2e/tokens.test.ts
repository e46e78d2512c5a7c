// A token goes only where it belongs, through bin/ownstack: a profile's token is sent to that
// profile's URL and nowhere else (an --api-url / OWNSTACK_API_URL override needs its own token);
// OWNSTACK_API_TOKEN without a URL is a usage error before anything starts; saving a plain-http
// profile for another machine warns; a refused token or an unreachable remote control plane
// gets a hint about this machine's profile, never about the server's files or `local start`.
// A loopback listener records every request and its Authorization header.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, cleanupHome, e2eHome, ok, ownstack } from '../helpers/e2e.js';

const ACME_TOKEN = 'acme-secret-token-0001';
const OTHER_TOKEN = 'other-secret-token-0002';

let home: string;
let server: Server;
let base: string;
let seen: { path: string; authorization: string | undefined }[] = [];
let refuse = false;

beforeAll(async () => {
  assertBuilt();
  home = e2eHome('tokens');
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    req.resume();
    if (refuse) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'invalid bearer token', hint: 'the local token is in /srv/ownstack/local/token' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ clusters: [] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Profile acme is this listener, and active; profile other is another control plane.
  await ok(home, ['profile', 'add', 'acme', `--api-url=${base}`, '--token-stdin'], { input: ACME_TOKEN });
  await ok(home, ['profile', 'add', 'other', '--api-url=https://cp.other.example', '--token-stdin'], { input: OTHER_TOKEN });
  await ok(home, ['profile', 'use', 'other']);
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await cleanupHome(home);
});
beforeEach(() => {
  seen = [];
  refuse = false;
});

describe('a token goes only to its own profile URL', { timeout: 60_000 }, () => {
  it('--api-url elsewhere: the active profile token is not sent; exit 4 naming why, nothing sent', async () => {
    const r = await ownstack(home, ['cluster', 'list', `--api-url=${base}`]);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain(`error: no API token for ${base}: the token of profile "other" is sent only to its own URL, https://cp.other.example`);
    // Profile acme is for that URL: the hint names it.
    expect(r.stderr).toContain(`hint: set OWNSTACK_API_TOKEN to a token for ${base}, or use \`--profile acme\``);
    expect(seen).toEqual([]);
  });

  it('OWNSTACK_API_URL elsewhere: the same', async () => {
    const r = await ownstack(home, ['cluster', 'list'], { env: { OWNSTACK_API_URL: base } });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('the token of profile "other" is sent only to its own URL');
    expect(seen).toEqual([]);
  });

  it('the override is the profile URL itself (a trailing slash aside): its token is sent', async () => {
    const r = await ownstack(home, ['cluster', 'list', '--profile', 'acme', `--api-url=${base}/`]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(seen).toEqual([{ path: '/api/clusters', authorization: `Bearer ${ACME_TOKEN}` }]);
  });

  it('an override URL with OWNSTACK_API_TOKEN: that token, and only that one', async () => {
    const r = await ownstack(home, ['cluster', 'list', `--api-url=${base}`], { env: { OWNSTACK_API_TOKEN: 'given-for-this-url-0003' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(seen).toEqual([{ path: '/api/clusters', authorization: 'Bearer given-for-this-url-0003' }]);
  });

  it('profile show says why no token would be sent', async () => {
    const r = await ownstack(home, ['profile', 'show', '--json'], { env: { OWNSTACK_API_URL: base } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'other', api_url: base, token: null, source: { api_url: 'OWNSTACK_API_URL', token: 'none (the token of profile other is sent only to https://cp.other.example)' } });
  });
});

describe('OWNSTACK_API_TOKEN with no URL and no profile', { timeout: 60_000 }, () => {
  it('is a usage error (exit 2): no local control plane starts, nothing is sent', async () => {
    const empty = e2eHome('tokens-empty');
    try {
      const r = await ownstack(empty, ['cluster', 'list'], { env: { OWNSTACK_API_TOKEN: 'meant-for-elsewhere-0004' } });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('error: OWNSTACK_API_TOKEN is set but no control plane URL is: the token would go to the local control plane, which does not know it');
      expect(r.stderr).toContain('hint: set OWNSTACK_API_URL (or --api-url) to the control plane the token is for');
      expect(r.stderr).not.toContain('Started the local control plane');
      expect(existsSync(join(empty, 'local', 'server.json'))).toBe(false);
    } finally {
      await cleanupHome(empty);
    }
  });
});

describe('a refused token and an unreachable remote control plane', { timeout: 60_000 }, () => {
  it("401 from a profile's control plane: the hint is to log in to that profile, not the server's token file", async () => {
    refuse = true;
    const r = await ownstack(home, ['cluster', 'list', '--profile', 'acme']);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toBe('error: invalid bearer token\nhint: run `ownstack login --profile acme` (or set OWNSTACK_API_TOKEN)\n');
    const json = await ownstack(home, ['cluster', 'list', '--profile', 'acme', '--json']);
    expect(JSON.parse(json.stderr.split('\n')[0]!)).toEqual({ error: { code: 'unauthorized', message: 'invalid bearer token', hint: 'run `ownstack login --profile acme` (or set OWNSTACK_API_TOKEN)' } });
    expect(json.stderr).not.toContain('/srv/ownstack');
  });

  it('401 for a token from OWNSTACK_API_TOKEN: the hint names the variable', async () => {
    refuse = true;
    const r = await ownstack(home, ['cluster', 'list', `--api-url=${base}`], { env: { OWNSTACK_API_TOKEN: 'wrong-token-0005' } });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain(`hint: check OWNSTACK_API_TOKEN, or log in: \`ownstack login --profile <name> --api-url ${base}\``);
  });

  it('connection refused for a remote profile: the hint is about its URL, not `local start`', async () => {
    await ok(home, ['profile', 'add', 'gone', '--api-url=http://127.0.0.1:9', '--token-stdin'], { input: 'gone-token-0006' });
    const r = await ownstack(home, ['cluster', 'list', '--profile', 'gone']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error: cannot reach the control plane at http://127.0.0.1:9 (ECONNREFUSED)');
    expect(r.stderr).toContain('hint: check the URL (from profile gone) and the network; `ownstack profile show` shows which control plane this command uses');
    expect(r.stderr).not.toContain('local start');
  });
});

describe('saving a profile', { timeout: 60_000 }, () => {
  it('plain http to another machine warns (profile add and login); loopback and https do not', async () => {
    const add = await ownstack(home, ['profile', 'add', 'lan', '--api-url=http://cp.lan.example:8080', '--token-stdin'], { input: 'lan-token-0007' });
    expect(add.exitCode, add.stderr).toBe(0);
    expect(add.stderr).toContain('warning: http://cp.lan.example:8080 is plain http: the token will cross the network unencrypted on every request; use an https URL unless the network is private');
    for (const [name, url] of [['loop', base], ['lhost', 'http://localhost:7000'], ['safe', 'https://cp.safe.example']] as const) {
      const r = await ownstack(home, ['profile', 'add', name, `--api-url=${url}`, '--token-stdin'], { input: 'quiet-token-0008' });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('warning');
    }
    const login = await ownstack(home, ['login', '--profile', 'lan2', '--api-url=http://10.1.2.3:8080', '--no-verify', '--token-stdin'], { input: 'lan-token-0009' });
    expect(login.exitCode, login.stderr).toBe(0);
    expect(login.stderr).toContain('warning: http://10.1.2.3:8080 is plain http');
  });
});
