// A cluster whose stored rows cannot even be rendered (values saved before today's rules) must not
// block the change that repairs them: the mutation compares with an empty config and applies.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, test } from 'vitest';
import { removeHome, startTestServer, type TestServer } from './helpers.js';

let s: TestServer | undefined;
afterEach(async () => {
  if (s) {
    await s.close();
    removeHome(s.home);
    s = undefined;
  }
});

test("a stored health path the renderer refuses (/it's) is repaired by cluster update", async () => {
  s = await startTestServer();
  expect((await s.api('POST', '/api/clusters', { name: 'api', edge: 'none', hostnames: ['api.example.com'] })).status).toBe(201);
  await s.api('POST', '/api/local/apps', { name: 'web', addresses: ['127.0.0.1:4001'] });
  await s.api('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 });
  expect((await s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', app: 'web' })).status).toBe(201);
  const db = new Database(join(s.home, 'local', 'state.db'));
  db.prepare("UPDATE clusters SET health_path = '/it''s' WHERE name = 'api'").run();
  db.close();
  // A control plane started on such a database remembers no earlier render.
  await s.restart();
  // Every other change fails while the rows cannot be rendered …
  expect((await s.api('POST', '/api/clusters/api/variants', { name: 'green' })).status).toBe(500);
  // … but the one that repairs them goes through, and says what it compared with.
  const fix = await s.api('PATCH', '/api/clusters/api', { health: { path: '/it%27s' } });
  expect(fix.status, JSON.stringify(fix.body)).toBe(200);
  expect(fix.body.plan.settings).toEqual([{ name: 'health.path', before: "/it's", after: '/it%27s' }]);
  expect(fix.body.plan.warnings[0]).toMatch(/the previous config of cluster api could not be rendered \(health path "\/it's" contains/);
  expect(s.file('clusters', 'api', 'Caddyfile')).toContain('health_uri /it%27s');
  expect((await s.api('POST', '/api/clusters/api/variants', { name: 'green' })).status).toBe(201);
});
