// The control plane's own probes (src/proxy/probe.ts) and the /proc helpers the runtime relies on.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeHttp, probePlan, UpstreamProber } from '../../src/proxy/probe.js';
import { listenerInodes, listensOn, socketInodesOf } from '../../src/proxy/runtime-process.js';
import type { RenderCluster } from '../../src/proxy/types.js';
import { waitFor } from '../helpers/wait.js';

let server: Server;
let port: number;
const seen: { host: string | undefined; path: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ host: req.headers.host, path: req.url });
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/ok' });
      return res.end();
    }
    if (req.url === '/loop') {
      res.writeHead(302, { location: '/loop' });
      return res.end();
    }
    if (req.url === '/slow') return setTimeout(() => res.end('late'), 1_000);
    if (req.url === '/down') {
      res.writeHead(503);
      return res.end('down');
    }
    // Routes by Host like dokku's nginx: only the right hostname gets a 2xx.
    res.writeHead(req.headers.host === 'app.test' || req.url === '/ok' ? 200 : 404);
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('probeHttp', () => {
  it('sends the Host header and passes on 2xx only', async () => {
    const ok = await probeHttp({ origin: `http://127.0.0.1:${port}`, path: '/', host: 'app.test', timeoutMs: 2_000 });
    expect(ok).toMatchObject({ ok: true, status: 200, error: null });
    expect(seen.at(-1)).toEqual({ host: 'app.test', path: '/' });
    const wrongHost = await probeHttp({ origin: `http://127.0.0.1:${port}`, path: '/', host: 'other.test', timeoutMs: 2_000 });
    expect(wrongHost).toMatchObject({ ok: false, status: 404, error: 'HTTP 404' });
    expect(await probeHttp({ origin: `http://127.0.0.1:${port}`, path: '/down', timeoutMs: 2_000 })).toMatchObject({ ok: false, status: 503 });
  });

  it('follows redirects like Caddy, and a redirect loop fails', async () => {
    expect(await probeHttp({ origin: `http://127.0.0.1:${port}`, path: '/redirect', timeoutMs: 2_000 })).toMatchObject({ ok: true, status: 200 });
    expect(await probeHttp({ origin: `http://127.0.0.1:${port}`, path: '/loop', timeoutMs: 2_000 })).toMatchObject({ ok: false, status: 302 });
  });

  it('times out, and reports refused connections', async () => {
    const slow = await probeHttp({ origin: `http://127.0.0.1:${port}`, path: '/slow', timeoutMs: 200 });
    expect(slow.ok).toBe(false);
    expect(slow.error).toMatch(/timed out/);
    expect(slow.ms).toBeLessThan(900);
    const refused = await probeHttp({ origin: 'http://127.0.0.1:1', path: '/', timeoutMs: 1_000 });
    expect(refused).toMatchObject({ ok: false, status: null, error: 'ECONNREFUSED' });
  });
});

function cluster(over: Partial<RenderCluster> = {}): RenderCluster {
  return {
    name: 'c',
    health: { path: '/up', interval: '200ms', timeout: '100ms' },
    domains: [{ hostname: 'a.test' }, { hostname: 'b.test' }],
    variants: [{ id: 1, name: 'blue', weight: 100, status: 'active' }],
    upstreams: [
      { id: 1, variantId: 1, hostname: null, kind: 'app', url: null, app: 'web', addresses: ['127.0.0.1:1', '127.0.0.1:2'], weight: 100, status: 'active', hostHeader: null },
      { id: 2, variantId: 1, hostname: 'a.test', kind: 'url', url: 'https://x.example.com', app: null, addresses: [], weight: 100, status: 'active', hostHeader: null },
      { id: 3, variantId: 1, hostname: 'b.test', kind: 'app', url: null, app: 'api', addresses: ['127.0.0.1:3'], weight: 100, status: 'active', hostHeader: 'internal.test' },
    ],
    ...over,
  };
}

describe('probePlan', () => {
  it('probes each address with the Host the proxy would send: the hostname, the --host-header, or a URL’s own host', () => {
    const { targets, keyOf } = probePlan(cluster());
    const pairs = targets.map((t) => `${t.origin} ${t.host}`).sort();
    expect(pairs).toEqual(
      [
        'http://127.0.0.1:1 a.test',
        'http://127.0.0.1:1 b.test',
        'http://127.0.0.1:2 a.test',
        'http://127.0.0.1:2 b.test',
        'https://x.example.com x.example.com',
        'http://127.0.0.1:3 internal.test',
      ].sort(),
    );
    expect(keyOf.get('127.0.0.1:1\u0000b.test')).toBe('http://127.0.0.1:1\u0000b.test');
    expect(keyOf.get('https://x.example.com\u0000a.test')).toBe('https://x.example.com\u0000x.example.com');
    expect(keyOf.has('https://x.example.com\u0000b.test')).toBe(false);
  });

  it('beyond the cap, probes each address once (with the first Host it serves)', () => {
    const { targets, keyOf } = probePlan(cluster(), 3);
    expect(targets.map((t) => `${t.origin} ${t.host}`).sort()).toEqual(['http://127.0.0.1:1 a.test', 'http://127.0.0.1:2 a.test', 'http://127.0.0.1:3 internal.test', 'https://x.example.com x.example.com'].sort());
    expect(keyOf.get('127.0.0.1:1\u0000b.test')).toBe('http://127.0.0.1:1\u0000a.test');
  });
});

describe('UpstreamProber', () => {
  it('keeps a verdict per address and hostname, on the cluster interval', async () => {
    const prober = new UpstreamProber();
    prober.update({
      ...cluster(),
      health: { path: '/', interval: '200ms', timeout: '100ms' },
      domains: [{ hostname: 'app.test' }, { hostname: 'other.test' }],
      upstreams: [{ id: 1, variantId: 1, hostname: null, kind: 'app', url: null, app: 'web', addresses: [`127.0.0.1:${port}`, '127.0.0.1:1'], weight: 100, status: 'active', hostHeader: null }],
    });
    expect(prober.health(`127.0.0.1:${port}`, 'app.test')).toBe('unknown');
    prober.start();
    try {
      const probed: [string, string][] = [[`127.0.0.1:${port}`, 'app.test'], [`127.0.0.1:${port}`, 'other.test'], ['127.0.0.1:1', 'app.test']];
      await waitFor('a verdict for every probed address and hostname', () => probed.every(([address, host]) => prober.health(address, host) !== 'unknown'), 5_000, { every: 20 });
      expect(prober.health(`127.0.0.1:${port}`, 'app.test')).toBe('healthy');
      expect(prober.health(`127.0.0.1:${port}`, 'other.test')).toBe('unhealthy');
      expect(prober.health('127.0.0.1:1', 'app.test')).toBe('unhealthy');
      expect(prober.health('127.0.0.1:9', 'app.test')).toBe('unknown');
      expect(prober.settings()).toMatchObject({ path: '/', intervalMs: 200, timeoutMs: 100, targets: 4 });
    } finally {
      prober.stop();
    }
  });
});

describe('listener helpers (/proc)', () => {
  it.skipIf(process.platform !== 'linux')('find which process listens on an address and port', () => {
    const inodes = listenerInodes('127.0.0.1', port)!;
    expect(inodes.size).toBe(1);
    expect([...socketInodesOf(process.pid)].some((i) => inodes.has(i))).toBe(true);
    expect(listensOn(process.pid, '127.0.0.1', port)).toBe(true);
    expect(listensOn(process.pid, '127.0.0.9', port)).toBe(false);
    expect(listenerInodes('127.0.0.9', port)!.size).toBe(0);
  });
});
