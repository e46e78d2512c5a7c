// Documented caps (hostnames per cluster, upstreams per cluster, addresses per app), and a change
// of the largest size they allow keeps the control plane answering /api/health meanwhile.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_APP_ADDRESSES, MAX_HOSTNAMES_PER_CLUSTER, MAX_UPSTREAMS_PER_CLUSTER } from '../../src/inputs/limits.js';
import { MAX_PROXY_COUNT } from '../../src/inputs/numbers.js';
import { dumpDb, removeHome, startTestServer, type TestServer } from './helpers.js';

const hosts = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `h${i}.${tag}.example.com`);

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
  removeHome(s.home);
});

describe('caps', () => {
  test.each([MAX_HOSTNAMES_PER_CLUSTER + 1, 20_000])('create with %i hostnames: 400 naming the cap, nothing stored', async (n) => {
    const db = dumpDb(s.home);
    const started = performance.now();
    const r = await s.api('POST', '/api/clusters', { name: 'too-big', edge: 'dns_rr', hostnames: hosts(n, 'big') });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ field: 'hostnames', value: `(${n} items)`, rule: `a cluster has at most ${MAX_HOSTNAMES_PER_CLUSTER} hostnames` });
    // Refused by the schema before any work: the error does not spell out the list either.
    expect(JSON.stringify(r.body).length).toBeLessThan(1_000);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(dumpDb(s.home)).toEqual(db);
  });

  test('one hostname past the cap through domain add: 409', async () => {
    expect((await s.api('POST', '/api/clusters', { name: 'full', edge: 'none', hostnames: hosts(MAX_HOSTNAMES_PER_CLUSTER, 'full') })).status).toBe(201);
    const r = await s.api('POST', '/api/clusters/full/domains', { hostname: 'one-more.example.com' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ field: 'hostname', rule: `at most ${MAX_HOSTNAMES_PER_CLUSTER} hostnames per cluster` });
    // A dry run is refused the same way.
    expect((await s.api('POST', '/api/clusters/full/domains', { hostname: 'one-more.example.com', dry_run: true })).status).toBe(409);
  });

  test('one upstream past the cap (URL, app or member): 409', async () => {
    await s.api('POST', '/api/clusters', { name: 'ups', edge: 'none' });
    await s.api('POST', '/api/clusters/ups/variants', { name: 'blue', weight: 100 });
    await s.api('POST', '/api/local/apps', { name: 'many', addresses: ['127.0.0.1:3001'] });
    // Filled in the database directly (2,000 API calls would only time the setup).
    const db = new Database(join(s.home, 'local', 'state.db'));
    const c = db.prepare("SELECT id FROM clusters WHERE name = 'ups'").get() as { id: number };
    const v = db.prepare('SELECT id FROM variants WHERE cluster_id = ?').get(c.id) as { id: number };
    const app = db.prepare("SELECT id FROM apps WHERE name = 'many'").get() as { id: number };
    const ins = db.prepare("INSERT INTO upstreams (cluster_id, variant_id, hostname, kind, app_id, weight, status, created_at) VALUES (?, ?, NULL, 'app', ?, 0, 'active', ?)");
    db.transaction(() => {
      for (let i = 0; i < MAX_UPSTREAMS_PER_CLUSTER; i++) ins.run(c.id, v.id, app.id, new Date().toISOString());
    })();
    db.close();
    await s.api('POST', '/api/local/apps', { name: 'other', addresses: ['127.0.0.1:3002'] });
    for (const [path, body, field] of [
      ['/api/clusters/ups/upstreams', { variant: 'blue', url: 'https://x.example.net' }, 'url'],
      ['/api/clusters/ups/upstreams', { variant: 'blue', app: 'other' }, 'app'],
      ['/api/clusters/ups/members', { app: 'other' }, 'app'],
    ] as const) {
      const r = await s.api('POST', path, body);
      expect(r.status, JSON.stringify(r.body)).toBe(409);
      expect(r.body.error).toMatchObject({ field, rule: `at most ${MAX_UPSTREAMS_PER_CLUSTER} upstreams per cluster` });
    }
  });

  test('an app with too many addresses: 400', async () => {
    const addresses = Array.from({ length: MAX_APP_ADDRESSES + 1 }, (_, i) => `127.0.0.1:${10_000 + i}`);
    for (const [method, path, body] of [
      ['POST', '/api/local/apps', { name: 'wide', addresses }],
      ['PATCH', '/api/local/apps/many', { addresses }],
    ] as const) {
      const r = await s.api(method, path, body);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ field: 'addresses', value: `(${MAX_APP_ADDRESSES + 1} items)` });
    }
  });
});

test('a change of the largest size keeps /api/health answering', async () => {
  // The largest dns_rr change: every hostname × every proxy (1,000 × 64 = 64,000 records).
  const latencies: number[] = [];
  let done = false;
  const poll = (async () => {
    while (!done) {
      const t = performance.now();
      const r = await fetch(`${s.cp.url}/api/health`);
      await r.text();
      latencies.push(performance.now() - t);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const t = performance.now();
  const r = await s.api('POST', '/api/clusters', { name: 'largest', edge: 'dns_rr', proxy_count: MAX_PROXY_COUNT, hostnames: hosts(MAX_HOSTNAMES_PER_CLUSTER, 'largest') });
  const createMs = performance.now() - t;
  expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201);
  const t2 = performance.now();
  const removed = await s.api('DELETE', '/api/clusters/largest');
  const destroyMs = performance.now() - t2;
  expect(removed.status).toBe(200);
  done = true;
  await poll;
  const sorted = [...latencies].sort((a, b) => a - b);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  console.log(
    `largest change (${MAX_HOSTNAMES_PER_CLUSTER} hostnames × ${MAX_PROXY_COUNT} proxies, dns_rr zone file): create ${createMs.toFixed(0)} ms, destroy ${destroyMs.toFixed(0)} ms; ` +
      `/api/health during it: ${latencies.length} requests, median ${p(0.5).toFixed(0)} ms, p95 ${p(0.95).toFixed(0)} ms, max ${p(1).toFixed(0)} ms`,
  );
  expect(latencies.length).toBeGreaterThan(5);
  // Generous for a loaded 2-core CI machine; the quadratic paths took 13.9 s with 20,000 hostnames.
  expect(p(1)).toBeLessThan(1_500);
}, 120_000);
