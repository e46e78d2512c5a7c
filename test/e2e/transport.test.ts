// The API client's late-loaded transports through the shipped entry (bin/ownstack, or the binary via
// OWNSTACK_E2E_BINARY; test/binary/late-loading.test.ts): node:https for an https control plane
// (a TLS reverse proxy with a self-signed certificate in front of a real local control plane,
// trusted through NODE_EXTRA_CA_CERTS), and undici's EnvHttpProxyAgent when http(s)_proxy is set
// (a real CONNECT proxy), with no_proxy honoured. Each of these loads code on first use, which a
// loader without dynamic import() support once broke while every other test passed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanupHome, e2eHome, localFiles, ok, ownstack, serverInfo, type CliResult } from '../helpers/e2e.js';
import { selfSignedCertificate, startConnectProxy, startTlsFront, type Certificate } from '../helpers/network-fixtures.js';

let home: string;
let dir: string;
let cert: Certificate;
let front: Awaited<ReturnType<typeof startTlsFront>>;
let proxy: Awaited<ReturnType<typeof startConnectProxy>>;
/** The local control plane's own http address and token. */
let plain: string;
let token: string;

beforeAll(async () => {
  assertBuilt();
  home = e2eHome('transport');
  dir = mkdtempSync(join(tmpdir(), 'ownstack-transport-'));
  // Through the local profile (plain http, loopback): an app every test below can read.
  await ok(home, ['local', 'app', 'add', 'web', '--addr=127.0.0.1:3000']);
  plain = serverInfo(home)!.url;
  token = readFileSync(localFiles(home).token, 'utf8').trim();
  cert = selfSignedCertificate(dir);
  front = await startTlsFront(plain, cert);
  proxy = await startConnectProxy();
}, 120_000);

afterAll(async () => {
  await front?.close();
  await proxy?.close();
  await cleanupHome(home);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** No proxy variable at all unless the test sets one (cleanEnv sets NO_PROXY for loopback). */
const direct = { NO_PROXY: undefined, no_proxy: undefined };

const names = (r: CliResult) => (JSON.parse(r.stdout) as { name: string }[]).map((a) => a.name).sort();

describe('an https control plane', { timeout: 120_000 }, () => {
  const https = () => ({ ...direct, OWNSTACK_API_URL: front.url, OWNSTACK_API_TOKEN: token, NODE_EXTRA_CA_CERTS: cert.certFile });

  it('reads and writes through TLS when NODE_EXTRA_CA_CERTS trusts its certificate', async () => {
    const seen = front.requests.length;
    const added = await ownstack(home, ['local', 'app', 'add', 'tls-app', '--addr=127.0.0.1:3001', '--json'], { env: https() });
    expect(added.exitCode, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ name: 'tls-app', addresses: ['127.0.0.1:3001'] });
    const list = await ownstack(home, ['local', 'app', 'list', '--json'], { env: https() });
    expect(list.exitCode, list.stderr).toBe(0);
    expect(names(list)).toEqual(['tls-app', 'web']);
    expect(front.requests.slice(seen).map((r) => `${r.method} ${r.path} ${r.authorization === `Bearer ${token}`}`)).toEqual(['GET /api/health false', 'POST /api/local/apps true', 'GET /api/health false', 'GET /api/local/apps true']);
  });

  it('refuses a certificate nobody trusts: exit 1 naming the TLS error, nothing served', async () => {
    const seen = front.requests.length;
    const r = await ownstack(home, ['local', 'app', 'list'], { env: { ...https(), NODE_EXTRA_CA_CERTS: undefined } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`cannot reach the control plane at ${front.url}`);
    expect(r.stderr).toMatch(/DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED/);
    expect(front.requests.length).toBe(seen);
  });

  it('login verifies the token against it and saves the profile', async () => {
    const r = await ownstack(home, ['login', '--profile', 'tls', `--api-url=${front.url}`, '--token-stdin', '--json'], { env: { ...direct, NODE_EXTRA_CA_CERTS: cert.certFile }, input: token });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ profile: 'tls', api_url: front.url, verified: true });
    const list = await ownstack(home, ['local', 'app', 'list', '--json'], { env: { ...direct, NODE_EXTRA_CA_CERTS: cert.certFile } });
    expect(list.exitCode, list.stderr).toBe(0);
    expect(names(list)).toContain('web');
    await ok(home, ['profile', 'use', 'local']);
  });
});

describe('proxy variables', { timeout: 120_000 }, () => {
  it('http_proxy: requests to an http control plane go through the CONNECT proxy', async () => {
    const from = proxy.tunnels.length;
    const r = await ownstack(home, ['local', 'app', 'list', '--json'], { env: { ...direct, OWNSTACK_API_URL: plain, OWNSTACK_API_TOKEN: token, http_proxy: proxy.url } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(names(r)).toContain('web');
    // local app commands first ask GET /api/health who answers: every tunnel goes to the control plane.
    expect(new Set(proxy.tunnels.slice(from))).toEqual(new Set([new URL(plain).host]));
    expect(proxy.refused).toEqual([]);
  });

  it('HTTPS_PROXY: an https control plane is reached through the tunnel, with its certificate checked end to end', async () => {
    const from = proxy.tunnels.length;
    const seen = front.requests.length;
    const env = { ...direct, OWNSTACK_API_URL: front.url, OWNSTACK_API_TOKEN: token, HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: cert.certFile };
    const r = await ownstack(home, ['local', 'app', 'show', 'web', '--json'], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'web' });
    expect(new Set(proxy.tunnels.slice(from))).toEqual(new Set([`localhost:${front.port}`]));
    // GET /api/health (who answers), then the app.
    expect(front.requests.slice(seen).map((q) => `${q.method} ${q.path}`)).toEqual(['GET /api/health', 'GET /api/local/apps/web']);
  });

  it('no_proxy: a listed host is reached directly, the proxy sees nothing', async () => {
    const from = proxy.tunnels.length;
    const r = await ownstack(home, ['local', 'app', 'list', '--json'], { env: { ...direct, OWNSTACK_API_URL: plain, OWNSTACK_API_TOKEN: token, http_proxy: proxy.url, no_proxy: '127.0.0.1' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(names(r)).toContain('web');
    expect(proxy.tunnels.length).toBe(from);
  });

  it('a proxy that is down: exit 1 naming the control plane, after the retries', async () => {
    const r = await ownstack(home, ['local', 'app', 'list'], { env: { ...direct, OWNSTACK_API_URL: plain, OWNSTACK_API_TOKEN: token, http_proxy: 'http://127.0.0.1:9' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`cannot reach the control plane at ${plain}`);
  });
});
