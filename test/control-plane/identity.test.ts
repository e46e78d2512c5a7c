// What names and ids mean to the control plane: an id is never given to a new thing, digits are
// always an id (a name can never hide one), equal URL targets are one upstream, and what the
// proxies really send as Host is what the API says.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { MIGRATIONS, migrate, openDatabase } from '../../src/control-plane/store/db.js';
import { removeHome, startTestServer, tempHome, type TestServer } from './helpers.js';

let s: TestServer | undefined;
afterEach(async () => {
  if (s) {
    await s.close();
    removeHome(s.home);
    s = undefined;
  }
});

async function ok(r: Promise<{ status: number; body: any }>): Promise<any> {
  const x = await r;
  if (x.status >= 300) throw new Error(`HTTP ${x.status}: ${JSON.stringify(x.body)}`);
  return x.body;
}

describe('ids are never reused', () => {
  test('an upstream, a variant, an app and a cluster removed last: the next one gets a new id', async () => {
    s = await startTestServer();
    const api = s.api.bind(s);
    const c1 = await ok(api('POST', '/api/clusters', { name: 'api', edge: 'none' }));
    await ok(api('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 }));
    const u1 = (await ok(api('POST', '/api/clusters/api/upstreams', { variant: 'blue', url: 'https://a.example.com' }))).result.id;
    await ok(api('DELETE', `/api/clusters/api/upstreams/${u1}`));
    const u2 = (await ok(api('POST', '/api/clusters/api/upstreams', { variant: 'blue', url: 'https://b.example.com' }))).result.id;
    expect(u2).toBeGreaterThan(u1);
    // The old id names nothing now, not the new upstream.
    expect((await api('DELETE', `/api/clusters/api/upstreams/${u1}`)).status).toBe(404);

    const v1 = (await ok(api('POST', '/api/clusters/api/variants', { name: 'tmp' }))).result.id;
    await ok(api('DELETE', '/api/clusters/api/variants/tmp'));
    expect((await ok(api('POST', '/api/clusters/api/variants', { name: 'tmp2' }))).result.id).toBeGreaterThan(v1);

    const a1 = (await ok(api('POST', '/api/local/apps', { name: 'one', addresses: [] }))).id;
    await ok(api('DELETE', '/api/local/apps/one'));
    expect((await ok(api('POST', '/api/local/apps', { name: 'two', addresses: [] }))).id).toBeGreaterThan(a1);

    const c2 = await ok(api('POST', '/api/clusters', { name: 'web', edge: 'none' }));
    await ok(api('DELETE', '/api/clusters/web'));
    const c3 = await ok(api('POST', '/api/clusters', { name: 'web', edge: 'none' }));
    expect(c3.id).toBeGreaterThan(c2.id);
    expect(c1.id).toBe(1);
  });

  test('migration 4 keeps every row and id, adds AUTOINCREMENT everywhere, and drops default ports from stored URLs', () => {
    const home = tempHome();
    try {
      const path = join(home, 'state.db');
      // A database as the previous release left it.
      const old = openDatabase(path, MIGRATIONS.filter((m) => m.version < 4));
      const t = new Date().toISOString();
      old.prepare("INSERT INTO clusters (id, name, edge, proxy_count, health_path, health_interval, health_timeout, port, bridge_base_port, created_at, updated_at) VALUES (1, 'api', 'none', 1, '/', '5s', '2s', 18080, 20000, ?, ?)").run(t, t);
      old.prepare("INSERT INTO variants (id, cluster_id, name, weight, status, created_at) VALUES (1, 1, 'blue', 100, 'active', ?)").run(t);
      old.prepare("INSERT INTO apps (id, name, addresses, created_at, updated_at) VALUES (1, 'web', '[\"127.0.0.1:4001\"]', ?, ?)").run(t, t);
      const up = old.prepare("INSERT INTO upstreams (id, cluster_id, variant_id, kind, url, app_id, weight, status, created_at) VALUES (?, 1, 1, ?, ?, ?, 100, 'active', ?)");
      up.run(1, 'url', 'https://a.example.com:443', null, t);
      up.run(2, 'url', 'http://b.example.com:80', null, t);
      up.run(3, 'url', 'http://c.example.com:8080', null, t);
      up.run(4, 'app', null, 1, t);
      old.prepare("INSERT INTO deploys (id, cluster_id, strategy, state, created_at) VALUES (7, 1, 'rolling', 'succeeded', ?)").run(t);
      old.close();

      const db = openDatabase(path);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('foreign_key_check')).toEqual([]);
      for (const table of ['clusters', 'domains', 'variants', 'apps', 'upstreams', 'deploys']) {
        const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) as { sql: string }).sql;
        expect(sql, table).toMatch(/id\s+INTEGER PRIMARY KEY AUTOINCREMENT/);
      }
      expect(db.prepare('SELECT id, url FROM upstreams ORDER BY id').all()).toEqual([
        { id: 1, url: 'https://a.example.com' },
        { id: 2, url: 'http://b.example.com' },
        { id: 3, url: 'http://c.example.com:8080' },
        { id: 4, url: null },
      ]);
      // The indexes came back with their tables.
      const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
      expect(indexes).toEqual(['agent_tokens_cluster', 'deploys_cluster', 'domains_cluster', 'idempotency_keys_created', 'maintenance_drained_upstream', 'upstreams_app', 'upstreams_cluster', 'variants_cluster']);
      // Foreign keys still cascade (the tables were rebuilt with them off, then checked).
      db.prepare('DELETE FROM upstreams WHERE id = 4').run();
      db.prepare("INSERT INTO upstreams (cluster_id, variant_id, kind, url, weight, status, created_at) VALUES (1, 1, 'url', 'https://d.example.com', 100, 'active', ?)").run(t);
      expect((db.prepare('SELECT MAX(id) AS id FROM upstreams').get() as { id: number }).id).toBe(5);
      db.prepare('DELETE FROM clusters WHERE id = 1').run();
      expect(db.prepare('SELECT COUNT(*) AS n FROM upstreams').get()).toEqual({ n: 0 });
      expect(migrate(db)).toEqual([]);
      db.close();
    } finally {
      removeHome(home);
    }
  });
});

describe('names and ids', () => {
  test('digits are always the id: a cluster named "1" (stored before names were refused that shape) never hides cluster id 1', async () => {
    s = await startTestServer();
    await ok(s.api('POST', '/api/clusters', { name: 'api', edge: 'none' }));
    const db = new Database(join(s.home, 'local', 'state.db'));
    const t = new Date().toISOString();
    db.prepare("INSERT INTO clusters (name, edge, proxy_count, health_path, health_interval, health_timeout, port, bridge_base_port, created_at, updated_at) VALUES ('1', 'none', 1, '/', '5s', '2s', 18999, 64000, ?, ?)").run(t, t);
    db.prepare("INSERT INTO clusters (name, edge, proxy_count, health_path, health_interval, health_timeout, port, bridge_base_port, created_at, updated_at) VALUES ('77', 'none', 1, '/', '5s', '2s', 18998, 63000, ?, ?)").run(t, t);
    db.close();
    expect((await ok(s.api('GET', '/api/clusters/1'))).cluster).toMatchObject({ id: 1, name: 'api' });
    // No cluster has id 77: the old name still finds its cluster (it cannot hide anything).
    expect((await ok(s.api('GET', '/api/clusters/77'))).cluster.name).toBe('77');
    // New names of digits alone are refused, so this cannot happen again.
    const refused = await s.api('POST', '/api/clusters', { name: '2', edge: 'none' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ field: 'name', rule: 'a cluster name must not be all digits (digits alone are read as an id)', hint: 'cluster-2' });
    expect((await s.api('POST', '/api/clusters', { name: 'a--b', edge: 'none' })).body.error).toMatchObject({ field: 'name', hint: 'a-b' });
  });

  test('variants and apps are found by id the same way', async () => {
    s = await startTestServer();
    await ok(s.api('POST', '/api/clusters', { name: 'api', edge: 'none' }));
    const blue = (await ok(s.api('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 }))).result;
    const app = await ok(s.api('POST', '/api/local/apps', { name: 'web', addresses: ['127.0.0.1:4001'] }));
    await ok(s.api('POST', '/api/clusters/api/members', { app: String(app.id), variant: String(blue.id) }));
    expect((await ok(s.api('POST', `/api/clusters/api/members/${app.id}/drain`, {}))).result).toMatchObject({ app: 'web', status: 'draining' });
    expect((await ok(s.api('PATCH', `/api/clusters/api/variants/${blue.id}`, { weight: 50 }))).result).toMatchObject({ name: 'blue', weight: 50 });
  });
});

describe('URL upstreams', () => {
  test('https://x:443 and https://x are one target: the second is a duplicate (409)', async () => {
    s = await startTestServer();
    await ok(s.api('POST', '/api/clusters', { name: 'api', edge: 'none', hostnames: ['api.example.com'] }));
    await ok(s.api('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 }));
    const first = await ok(s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', url: 'https://x.example.com:443' }));
    expect(first.result.url).toBe('https://x.example.com');
    const again = await s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', url: 'https://x.example.com' });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe(`variant blue already routes every hostname to #${first.result.id} https://x.example.com`);
    const http = await ok(s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', url: 'http://y.example.com' }));
    expect((await s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', url: 'http://y.example.com:80' })).status).toBe(409);
    expect(http.result.url).toBe('http://y.example.com');
  });

  test('status, show and list say which Host header each upstream really gets', async () => {
    s = await startTestServer();
    await ok(s.api('POST', '/api/clusters', { name: 'api', edge: 'none', hostnames: ['api.example.com'] }));
    await ok(s.api('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 }));
    await ok(s.api('POST', '/api/local/apps', { name: 'web', addresses: ['127.0.0.1:4001'] }));
    await ok(s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', url: 'https://app.herokuapp.com' }));
    await ok(s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', url: 'http://10.0.0.7:8080', host_header: 'internal.example.com' }));
    await ok(s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', app: 'web' }));
    const st = await ok(s.api('GET', '/api/clusters/api/status'));
    const sent = st.hostnames[0].variants[0].upstreams.map((u: any) => [u.target, u.host_sent]);
    // The bridge of a URL upstream sends {upstream_hostport}: its own host and port, default port included.
    expect(sent).toEqual([
      ['https://app.herokuapp.com', 'app.herokuapp.com:443'],
      ['http://10.0.0.7:8080', 'internal.example.com'],
      ['web', 'api.example.com'],
    ]);
    const list = (await ok(s.api('GET', '/api/clusters/api/upstreams'))).upstreams.map((u: any) => u.host_sent);
    expect(list).toEqual(['app.herokuapp.com:443', 'internal.example.com', null]);
    // The same value the rendered bridge uses.
    const cfg = await ok(s.api('GET', '/api/clusters/api/proxy-config'));
    expect(cfg.caddyfile).toMatch(/reverse_proxy https:\/\/app\.herokuapp\.com \{\n\t\theader_up Host \{upstream_hostport\}/);
  });

  test('migration 6 lets proxy_count be 0 and keeps rows, ids, sequence, indexes and cascades', () => {
    const home = tempHome();
    try {
      const path = join(home, 'state.db');
      const old = openDatabase(path, MIGRATIONS.filter((m) => m.version < 6));
      const t = new Date().toISOString();
      old.prepare("INSERT INTO clusters (id, name, edge, proxy_count, health_path, health_interval, health_timeout, port, bridge_base_port, created_at, updated_at) VALUES (3, 'api', 'none', 2, '/', '5s', '2s', 18080, 20000, ?, ?)").run(t, t);
      old.prepare("INSERT INTO domains (cluster_id, hostname, env_name, created_at) VALUES (3, 'api.example.com', 'CLUSTER_UPSTREAMS_API_EXAMPLE_COM', ?)").run(t);
      old.prepare("INSERT INTO agent_tokens (cluster_id, kind, name, hash, created_at) VALUES (3, 'agent', 'edge-1', 'h1', ?)").run(t);
      expect(() => old.prepare('UPDATE clusters SET proxy_count = 0 WHERE id = 3').run()).toThrow(/CHECK constraint/);
      old.close();

      const db = openDatabase(path);
      expect(db.pragma('foreign_key_check')).toEqual([]);
      db.prepare('UPDATE clusters SET proxy_count = 0 WHERE id = 3').run();
      expect(() => db.prepare('UPDATE clusters SET proxy_count = 65 WHERE id = 3').run()).toThrow(/CHECK constraint/);
      expect(db.prepare('SELECT id, name, proxy_count FROM clusters').all()).toEqual([{ id: 3, name: 'api', proxy_count: 0 }]);
      // The id sequence survived: a new cluster gets 4, never a used id.
      db.prepare("INSERT INTO clusters (name, edge, proxy_count, health_path, health_interval, health_timeout, port, bridge_base_port, created_at, updated_at) VALUES ('web', 'none', 1, '/', '5s', '2s', 18081, 20100, ?, ?)").run(t, t);
      expect((db.prepare("SELECT id FROM clusters WHERE name = 'web'").get() as { id: number }).id).toBe(4);
      db.prepare('DELETE FROM clusters WHERE id = 3').run();
      expect(db.prepare('SELECT COUNT(*) AS n FROM domains').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT COUNT(*) AS n FROM agent_tokens').get()).toEqual({ n: 0 });
      expect(migrate(db)).toEqual([]);
      db.close();
    } finally {
      removeHome(home);
    }
  });
});
