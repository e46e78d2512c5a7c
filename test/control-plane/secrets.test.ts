// Secret fields are redacted because the schema marks them, whatever they are called: no error
// body, message, hint or server.log line carries their value.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildOpenApi } from '../../src/api/openapi.js';
import { clusterCreateRequest, clusterUpdateRequest } from '../../src/api/schemas.js';
import { openDatabase } from '../../src/control-plane/store/db.js';
import { noopRuntime, Reconciler } from '../../src/control-plane/runtime/reconcile.js';
import { Service } from '../../src/control-plane/service/service.js';
import { Store } from '../../src/control-plane/store/store.js';
import { secretFieldsOf } from '../../src/inputs/parse.js';
import { dumpDb, removeHome, startTestServer, tempHome, type TestServer } from './helpers.js';

const SECRET = 'c2VjcmV0LXRzaWcta2V5LXZhbHVlLTk4NzY1NDMyMQ==';
const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
  removeHome(s.home);
});

test('the request schemas mark exactly the secret fields', () => {
  expect([...secretFieldsOf(clusterCreateRequest)].sort()).toEqual(['edge_config.cloudflare_api_token', 'edge_config.dns_tsig_secret']);
  expect([...secretFieldsOf(clusterUpdateRequest)].sort()).toEqual(['edge_config.cloudflare_api_token', 'edge_config.dns_tsig_secret']);
});

describe('an edge secret in a refused request is never echoed', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['a TSIG secret with another edge mode', { name: 'x1', edge: 'none', edge_config: { dns_tsig_secret: SECRET } }],
    ['a TSIG secret of the wrong type', { name: 'x2', edge: 'dns_rr', edge_config: { dns_provider: 'rfc2136', dns_tsig_secret: { value: SECRET } } }],
    ['a TSIG secret as a number', { name: 'x3', edge: 'dns_rr', edge_config: { dns_tsig_secret: 98765432123456789 } }],
    ['a TSIG secret the driver refuses', { name: 'x4', edge: 'dns_rr', edge_config: { dns_provider: 'rfc2136', dns_server: '127.0.0.1:9', dns_zone: 'example.com', dns_tsig_name: 'k', dns_tsig_secret: `${SECRET} !!` } }],
    ['a Cloudflare token with another edge mode', { name: 'x5', edge: 'dns_rr', edge_config: { cloudflare_api_token: SECRET.slice(0, 40) } }],
    ['a Cloudflare token of the wrong shape', { name: 'x6', edge: 'cloudflare', edge_config: { cloudflare_zone_id: ZONE, cloudflare_api_token: `${SECRET} with spaces` } }],
  ];
  test.each(cases)('%s', async (_name, body) => {
    const db = dumpDb(s.home);
    const logged = s.logs.length;
    const r = await s.api('POST', '/api/clusters', body);
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    const text = JSON.stringify(r.body);
    for (const part of [SECRET, SECRET.slice(0, 12), SECRET.slice(-12), '98765432123456789']) {
      expect(text).not.toContain(part);
      expect(s.logs.slice(logged).join('\n')).not.toContain(part);
    }
    expect(r.body.error.field).toMatch(/^edge_config/);
    expect(dumpDb(s.home)).toEqual(db);
  });
});

describe('cluster update (PATCH /api/clusters/:cluster)', () => {
  test.each([
    ['a TSIG secret that is not base64', { edge_config: { dns_tsig_secret: `${SECRET} !!` } }, 400],
    ['a TSIG secret of the wrong type', { edge_config: { dns_tsig_secret: { value: SECRET } } }, 400],
    ['a TSIG secret for a cluster without rfc2136', { edge_config: { dns_tsig_secret: SECRET } }, 409],
    ['a TSIG secret with a field that never changes', { edge_config: { dns_tsig_secret: SECRET, dns_zone: 'example.com' } }, 400],
  ])('%s: refused, the secret never echoed, nothing changed', async (_name, body, status) => {
    const created = await s.api('POST', '/api/clusters', { name: 'upd', hostnames: ['upd.example.com'] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    try {
      const db = dumpDb(s.home);
      const logged = s.logs.length;
      const r = await s.api('PATCH', '/api/clusters/upd', body);
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      for (const part of [SECRET, SECRET.slice(0, 12), SECRET.slice(-12)]) {
        expect(JSON.stringify(r.body)).not.toContain(part);
        expect(s.logs.slice(logged).join('\n')).not.toContain(part);
      }
      expect(r.body.error.field).toMatch(/^edge_config/);
      expect(dumpDb(s.home)).toEqual(db);
    } finally {
      expect((await s.api('DELETE', '/api/clusters/upd')).status).toBe(200);
    }
  });

  test("a changed TSIG secret shows in the plan as (hidden) → (changed), because its schema is secret", () => {
    const home = tempHome();
    const db = openDatabase(join(home, 'state.db'));
    try {
      const store = new Store(db);
      const svc = new Service(store, new Reconciler(store, home, noopRuntime, () => undefined));
      const old = 'b2xkLXRzaWctc2VjcmV0LTEyMzQ1Njc4OTA=';
      svc.clusterCreate(
        clusterCreateRequest.parse({
          name: 'dns',
          hostnames: ['api.example.com'],
          edge_config: { dns_provider: 'rfc2136', dns_server: '127.0.0.1:5353', dns_zone: 'example.com', dns_tsig_name: 'k1.', dns_tsig_secret: old },
        }),
      );
      const out = svc.clusterUpdate('dns', clusterUpdateRequest.parse({ edge_config: { dns_tsig_name: 'k2.', dns_tsig_secret: SECRET }, dry_run: true }));
      expect(out.body.plan.settings).toEqual([
        { name: 'edge_config.dns_tsig_name', before: 'k1.', after: 'k2.' },
        { name: 'edge_config.dns_tsig_secret', before: '(hidden)', after: '(changed)' },
      ]);
      const text = JSON.stringify(out.body);
      for (const part of [SECRET.slice(0, 12), old.slice(0, 12)]) expect(text).not.toContain(part);
    } finally {
      db.close();
      removeHome(home);
    }
  });
});

test('the OpenAPI document marks both secrets write-only', () => {
  const props = (buildOpenApi() as any).components.schemas.ClusterCreateRequest.properties.edge_config.properties;
  expect(props.dns_tsig_secret.writeOnly).toBe(true);
  expect(props.cloudflare_api_token.writeOnly).toBe(true);
});
