// Requests from a DNS-rebinding page (a Host header naming another site) are refused; open
// connections and event streams are capped, with a 503 that says so.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { allowedHostsFromEnv, hostMatcher } from '../../src/control-plane/server.js';
import { removeHome, startTestServer, type TestServer } from './helpers.js';
import { rawRequest } from './helpers-raw.js';

let s: TestServer | undefined;
afterEach(async () => {
  await s?.close();
  if (s) removeHome(s.home);
  s = undefined;
});

describe('Host header', () => {
  test('a page on another site that resolves to loopback reads nothing, public routes included', async () => {
    s = await startTestServer();
    for (const path of ['/api/health', '/api/openapi.json', '/api/clusters']) {
      const r = await rawRequest(s.cp.url, 'GET', path, { headers: { host: `rebind.attacker.example:${s.cp.port}`, authorization: `Bearer ${s.cp.token}` } });
      expect(r.status, path).toBe(421);
      expect(r.body.error).toMatchObject({ code: 'forbidden', field: 'Host', value: `rebind.attacker.example:${s.cp.port}` });
      expect(r.text).not.toContain('ownstack-control-plane');
    }
  });

  test('the listen address, localhost and loopback literals are served', async () => {
    s = await startTestServer();
    for (const host of [`127.0.0.1:${s.cp.port}`, `localhost:${s.cp.port}`, 'localhost', `[::1]:${s.cp.port}`, `127.0.0.5:${s.cp.port}`, `LOCALHOST.:${s.cp.port}`]) {
      const r = await rawRequest(s.cp.url, 'GET', '/api/health', { headers: { host } });
      expect(r.status, host).toBe(200);
    }
  });

  test('configured names are served (a tunnel or reverse proxy in front)', async () => {
    s = await startTestServer({ allowedHosts: ['cp.internal.example'] });
    expect((await rawRequest(s.cp.url, 'GET', '/api/health', { headers: { host: 'cp.internal.example' } })).status).toBe(200);
    expect((await rawRequest(s.cp.url, 'GET', '/api/health', { headers: { host: 'cp.internal.example.evil.example' } })).status).toBe(421);
  });

  test('OWNSTACK_ALLOWED_HOSTS and the matcher', () => {
    expect(allowedHostsFromEnv({ OWNSTACK_ALLOWED_HOSTS: ' CP.example.com, tunnel.local  other ' })).toEqual(['cp.example.com', 'tunnel.local', 'other']);
    expect(allowedHostsFromEnv({})).toEqual([]);
    const ok = hostMatcher('127.0.0.1', ['cp.example.com']);
    expect(['127.0.0.1:1', 'cp.example.com:8443', '[::1]', 'localhost'].every(ok)).toBe(true);
    expect(['10.0.0.1:80', 'evil.example', '127.0.0.1.evil.example', '[::2]', 'localhost.evil.example', 'a b', ''].some(ok)).toBe(false);
  });
});

test('a 401 names no path on the server machine', async () => {
  s = await startTestServer();
  for (const auth of [undefined, 'Bearer wrong-token-value']) {
    const r = await rawRequest(s.cp.url, 'GET', '/api/clusters', { headers: auth ? { authorization: auth } : {} });
    expect(r.status).toBe(401);
    expect(r.body.error.hint).toContain("the control plane's token file");
    expect(r.text).not.toContain(s.home);
    expect(r.text).not.toMatch(/\/local\/token/);
  }
});

/** Opens a connection and waits for one keep-alive answer on it, so the server holds it. */
async function holdConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('data', () => resolve());
    socket.write('GET /api/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
  });
  return socket;
}

describe('caps', () => {
  test('one connection more than the cap gets a clear 503; freed slots serve again', async () => {
    s = await startTestServer({ limits: { connections: 8 } });
    const held = await Promise.all(Array.from({ length: 8 }, () => holdConnection(s!.cp.port)));
    const r = await rawRequest(s.cp.url, 'GET', '/api/health');
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.body.error).toMatchObject({ code: 'unavailable', message: 'the control plane has 8 open connections, the most it serves at once' });
    await Promise.all(held.map((sock) => new Promise<void>((resolve) => sock.end(resolve))));
    await expect.poll(async () => (await rawRequest(s!.cp.url, 'GET', '/api/health')).status, { timeout: 5_000 }).toBe(200);
  });

  test('one event stream more than the cap gets a clear 503', async () => {
    s = await startTestServer({ limits: { eventStreams: 2 } });
    await s.api('POST', '/api/clusters', { name: 'c1' });
    await s.api('POST', '/api/local/apps', { name: 'rails', addresses: ['127.0.0.1:3001'], deploy_cmd: 'true' });
    await s.api('POST', '/api/clusters/c1/members', { app: 'rails' });
    // No deploy runner: the job stays queued and its stream stays open.
    expect((await s.api('POST', '/api/clusters/c1/deploys', {})).status).toBe(202);
    const open = async () => {
      const ctrl = new AbortController();
      const res = await fetch(`${s!.cp.url}/api/clusters/c1/deploys/1/events`, { headers: { authorization: `Bearer ${s!.cp.token}` }, signal: ctrl.signal });
      return { res, ctrl };
    };
    const a = await open();
    const b = await open();
    expect([a.res.status, b.res.status]).toEqual([200, 200]);
    const c = await open();
    expect(c.res.status).toBe(503);
    const body = (await c.res.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'unavailable', message: '2 event streams are open, the most this control plane serves at once' });
    a.ctrl.abort();
    await expect.poll(async () => {
      const d = await open();
      d.ctrl.abort();
      return d.res.status;
    }, { timeout: 5_000 }).toBe(200);
    b.ctrl.abort();
  });
});
