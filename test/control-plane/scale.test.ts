// A 1,000-hostname cluster: the switch API call is timed and printed.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { removeHome, startTestServer, type TestServer } from './helpers.js';

const HOSTS = 1000;
const host = (i: number) => `h${i}.example.com`;

describe('1,000 hostnames', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.close();
    removeHome(s.home);
  });

  test('switch with shared upstreams (hostname null)', async () => {
    let t = performance.now();
    const c = await s.api('POST', '/api/clusters', { name: 'big', edge: 'dns_rr', proxy_count: 2, hostnames: Array.from({ length: HOSTS }, (_, i) => host(i)) });
    expect(c.status).toBe(201);
    console.log(`create with ${HOSTS} hostnames: ${(performance.now() - t).toFixed(0)} ms`);
    await s.api('POST', '/api/local/apps', { name: 'rails', addresses: ['127.0.0.1:3001', '127.0.0.1:3002'] });
    await s.api('POST', '/api/clusters/big/variants', { name: 'blue', weight: 100 });
    await s.api('POST', '/api/clusters/big/variants', { name: 'green', weight: 0 });
    await s.api('POST', '/api/clusters/big/upstreams', { variant: 'blue', app: 'rails' });
    await s.api('POST', '/api/clusters/big/upstreams', { variant: 'green', url: 'https://green.example.net' });

    t = performance.now();
    const r = await s.api('POST', '/api/clusters/big/switch', { to: 'green' });
    const ms = performance.now() - t;
    expect(r.status).toBe(200);
    expect(r.body.plan.env.filter((e: { changed: boolean }) => e.changed)).toHaveLength(HOSTS + 1);
    console.log(`switch, ${HOSTS} hostnames, shared upstreams: ${ms.toFixed(0)} ms (plan + commit + proxy.env/Caddyfile written)`);
    const env = s.file('clusters', 'big', 'proxy.env');
    expect(env).toContain(`CLUSTER_UPSTREAMS_H999_EXAMPLE_COM="https://green.example.net"`);
    expect(s.file('clusters', 'big', 'dns.zone').split('\n').filter((l) => l.includes('\tIN\tA\t'))).toHaveLength(HOSTS * 2);
  });

  test('switch with one upstream per hostname per variant (2,000 upstreams: blue URLs, green app)', async () => {
    // Bulk setup straight in the database (2,000 API calls would only time the setup), then a
    // restart: the start-up reconcile renders it and the switch goes through the API.
    await s.cp.close();
    const db = new Database(join(s.home, 'local', 'state.db'));
    const c = db.prepare("SELECT id FROM clusters WHERE name = 'big'").get() as { id: number };
    const vids = db.prepare('SELECT id, name FROM variants WHERE cluster_id = ?').all(c.id) as { id: number; name: string }[];
    db.prepare('DELETE FROM upstreams WHERE cluster_id = ?').run(c.id);
    const app = db.prepare("SELECT id FROM apps WHERE name = 'rails'").get() as { id: number };
    const insUrl = db.prepare("INSERT INTO upstreams (cluster_id, variant_id, hostname, kind, url, weight, status, created_at) VALUES (?, ?, ?, 'url', ?, 100, 'active', ?)");
    const insApp = db.prepare("INSERT INTO upstreams (cluster_id, variant_id, hostname, kind, app_id, weight, status, created_at) VALUES (?, ?, ?, 'app', ?, 100, 'active', ?)");
    // 1,000 URL upstreams: exactly the bridge ports one local cluster has (see render.ts BRIDGE_BLOCK).
    db.transaction(() => {
      for (const v of vids) {
        for (let i = 0; i < HOSTS; i++) {
          if (v.name === 'blue') insUrl.run(c.id, v.id, host(i), `https://blue${i}.example.net`, new Date().toISOString());
          else insApp.run(c.id, v.id, host(i), app.id, new Date().toISOString());
        }
      }
    })();
    db.close();
    let t = performance.now();
    await s.restart();
    console.log(`start-up reconcile of 1 cluster with ${HOSTS} hostnames and ${HOSTS * 2} upstreams: ${(performance.now() - t).toFixed(0)} ms`);
    const current = (await s.api('GET', '/api/clusters/big/variants')).body.variants.find((v: { weight: number }) => v.weight > 0).name;
    const to = current === 'green' ? 'blue' : 'green';
    t = performance.now();
    const r = await s.api('POST', '/api/clusters/big/switch', { to });
    const ms = performance.now() - t;
    expect(r.status).toBe(200);
    console.log(`switch, ${HOSTS} hostnames, ${HOSTS * 2} per-hostname upstreams: ${ms.toFixed(0)} ms`);
    // One more upstream that needs a bridge port is refused: the cluster's block is full.
    const full = await s.api('POST', '/api/clusters/big/upstreams', { variant: 'green', url: 'https://one-too-many.example.net' });
    expect(full.status).toBe(409);
    expect(full.body.error.message).toMatch(/already has 1000 URL or Host-override upstreams/);
    expect(s.file('clusters', 'big', 'proxy.env')).toContain(
      `CLUSTER_UPSTREAMS_H123_EXAMPLE_COM="${to === 'blue' ? 'https://blue123.example.net' : '127.0.0.1:3001 127.0.0.1:3002'}"`,
    );
    // Measured, not asserted tightly: a 2-core machine under test load; generous upper bound.
    expect(ms).toBeLessThan(15_000);
  });
});
