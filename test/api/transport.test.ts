// The API client's two transports against real loopback servers (no msw here): node:http by
// default, fetch + undici's EnvHttpProxyAgent when http(s)_proxy is set (through a real CONNECT
// proxy on 127.0.0.1, and around it for no_proxy), the headers timeout, Ctrl-C, keep-alive, and
// the reconnect hook the local profile uses when server.json names a server that is gone.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { defaultTransport, fetchTransport, nodeHttpTransport, proxyConfigured } from '../../src/api/transport.js';
import { FailedError } from '../../src/errors.js';
import { fakeClock } from '../helpers/cli.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A real HTTP server on 127.0.0.1 that records each request's method, path, headers and socket. */
async function api(handler: Handler) {
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string; port: number }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, port: req.socket.remotePort! });
      handler(req, res, body);
    });
  });
  server.on('connection', (s) => sockets.add(s));
  servers.push(server);
  return { url: await listen(server), seen };
}

/** A CONNECT proxy on 127.0.0.1 (what undici's ProxyAgent speaks), recording each tunnel's target. */
async function connectProxy() {
  const tunnels: string[] = [];
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    tunnels.push(req.url!);
    const [host, port] = req.url!.split(':');
    if (host !== '127.0.0.1') return client.end('HTTP/1.1 403 Forbidden\r\n\r\n'); // loopback only
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    sockets.add(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  servers.push(server);
  return { url: await listen(server), tunnels };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const clusters = { clusters: [] };

describe('proxyConfigured', () => {
  it.each([
    [{}, false],
    [{ https_proxy: 'http://127.0.0.1:1' }, true],
    [{ HTTPS_PROXY: 'http://127.0.0.1:1' }, true],
    [{ http_proxy: 'http://127.0.0.1:1' }, true],
    [{ HTTP_PROXY: 'http://127.0.0.1:1' }, true],
    [{ https_proxy: '  ' }, false],
    [{ no_proxy: '*' }, false],
  ])('%j -> %s', (env, expected) => {
    expect(proxyConfigured(env)).toBe(expected);
  });
});

describe('node:http transport', () => {
  it('sends method, headers and body; reads status, headers and body; reuses the connection', async () => {
    const s = await api((req, res, body) => json(res, req.method === 'POST' ? 201 : 200, { echo: body }));
    const send = nodeHttpTransport();
    const a = await send(new URL(`${s.url}/x?y=1`), { method: 'POST', headers: { 'content-type': 'application/json', 'x-a': 'b' }, body: '{"é":1}' });
    expect(a.status).toBe(201);
    expect(a.ok).toBe(true);
    expect(a.statusText).toBe('Created');
    expect(a.header('Content-Type')).toBe('application/json');
    expect(JSON.parse(await a.text())).toEqual({ echo: '{"é":1}' });
    const b = await send(new URL(`${s.url}/z`), { method: 'GET', headers: {} });
    expect(b.status).toBe(200);
    await b.discard();
    expect(s.seen[0]).toMatchObject({ method: 'POST', url: '/x?y=1', body: '{"é":1}' });
    expect(s.seen[0]!.headers['content-length']).toBe(String(Buffer.byteLength('{"é":1}')));
    expect(s.seen[0]!.headers['x-a']).toBe('b');
    expect(s.seen[1]!.port).toBe(s.seen[0]!.port); // keep-alive: the same client socket
  });

  it('no response headers within the timeout: a retryable error with a timeout code', async () => {
    const s = await api(() => undefined); // never answers
    const send = nodeHttpTransport({ headersTimeoutMs: 150 });
    await expect(send(new URL(`${s.url}/slow`), { method: 'GET', headers: {} })).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
  });

  it('an aborted signal stops the request with an AbortError', async () => {
    const s = await api(() => undefined);
    const controller = new AbortController();
    const pending = nodeHttpTransport()(new URL(`${s.url}/slow`), { method: 'GET', headers: {}, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a refused connection keeps its code (the client retries it)', async () => {
    const s = await api(() => undefined);
    const port = new URL(s.url).port;
    await new Promise((resolve) => servers.pop()!.close(resolve));
    await expect(nodeHttpTransport()(new URL(`http://127.0.0.1:${port}/`), { method: 'GET', headers: {} })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('streams a body as it arrives (server-sent events)', async () => {
    const s = await api((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      setTimeout(() => res.end('data: 2\n\n'), 30);
    });
    const r = await nodeHttpTransport()(new URL(`${s.url}/events`), { method: 'GET', headers: {} });
    const chunks: string[] = [];
    for await (const c of r.body) chunks.push(Buffer.from(c).toString('utf8'));
    expect(chunks.join('')).toBe('data: 1\n\ndata: 2\n\n');
    expect(chunks.length).toBeGreaterThanOrEqual(2);
  });
});

describe('which transport the environment picks', () => {
  let proxy: Awaited<ReturnType<typeof connectProxy>>;
  beforeAll(async () => {
    proxy = await connectProxy();
  });
  afterEach(() => {
    proxy.tunnels.length = 0;
  });

  it('http_proxy set: the request goes through the proxy (fetch + EnvHttpProxyAgent)', async () => {
    const s = await api((_req, res) => json(res, 200, clusters));
    const c = new ApiClient({ baseUrl: s.url, token: 't', clock: fakeClock(), transport: await defaultTransport({ http_proxy: proxy.url }) });
    expect(await c.call('clusterList')).toEqual(clusters);
    expect(proxy.tunnels).toEqual([new URL(s.url).host]);
    expect(s.seen[0]!.headers.authorization).toBe('Bearer t');
  });

  it('no_proxy names the host: straight to it', async () => {
    const s = await api((_req, res) => json(res, 200, clusters));
    const c = new ApiClient({ baseUrl: s.url, token: 't', clock: fakeClock(), transport: await defaultTransport({ http_proxy: proxy.url, no_proxy: '127.0.0.1' }) });
    expect(await c.call('clusterList')).toEqual(clusters);
    expect(proxy.tunnels).toEqual([]);
  });

  it('no proxy variable: node:http, straight to the host', async () => {
    const s = await api((_req, res) => json(res, 200, clusters));
    const c = new ApiClient({ baseUrl: s.url, token: 't', clock: fakeClock(), transport: await defaultTransport({}) });
    expect(await c.call('clusterList')).toEqual(clusters);
    expect(proxy.tunnels).toEqual([]);
  });

  it('fetchTransport and nodeHttpTransport answer alike', async () => {
    const s = await api((req, res) => json(res, 404, { error: { code: 'not_found', message: `no ${req.url}` } }));
    for (const transport of [nodeHttpTransport(), fetchTransport(undefined)]) {
      const r = await transport(new URL(`${s.url}/a`), { method: 'GET', headers: { accept: 'application/json' } });
      expect([r.status, r.ok, r.header('content-type'), JSON.parse(await r.text())]).toEqual([404, false, 'application/json', { error: { code: 'not_found', message: 'no /a' } }]);
    }
  });
});

describe('reconnect (the local profile, when server.json names a server that is gone)', () => {
  it('on the first connection failure: asks once for the current address and token, then retries there', async () => {
    const live = await api((_req, res) => json(res, 200, clusters));
    const dead = await api(() => undefined);
    const deadUrl = dead.url;
    await new Promise((resolve) => servers.pop()!.close(resolve));
    let asked = 0;
    const c = new ApiClient({
      baseUrl: deadUrl,
      token: 'old',
      clock: fakeClock(),
      random: () => 0,
      reconnect: async () => {
        asked++;
        return { baseUrl: live.url, token: 'new' };
      },
    });
    expect(await c.call('clusterList')).toEqual(clusters);
    expect(asked).toBe(1);
    expect(live.seen.map((r) => r.headers.authorization)).toEqual(['Bearer new']);
  });

  it('nothing better: fails as before, naming the address', async () => {
    const dead = await api(() => undefined);
    const deadUrl = dead.url;
    await new Promise((resolve) => servers.pop()!.close(resolve));
    let asked = 0;
    const c = new ApiClient({ baseUrl: deadUrl, token: 't', clock: fakeClock(), random: () => 0, maxAttempts: 2, reconnect: async () => (asked++, null) });
    const err = await c.call('clusterList').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedError);
    expect((err as Error).message).toContain(`cannot reach the control plane at ${deadUrl}`);
    expect(asked).toBe(1);
  });
});
