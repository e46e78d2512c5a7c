// Secret fields are redacted because the schema marks them, whatever they are called: no error
// body, message, hint or server.log line carries their value.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildOpenApi } from '../../src/api/openapi.js';
import { clusterCreateRequest } from '../../src/api/schemas.js';
import { secretFieldsOf } from '../../src/inputs/parse.js';
import { dumpDb, removeHome, startTestServer, type TestServer } from './helpers.js';

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

test('the request schema marks exactly the secret fields', () => {
  expect([...secretFieldsOf(clusterCreateRequest)].sort()).toEqual(['edge_config.cloudflare_api_token', 'edge_config.dns_tsig_secret']);
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

test('the OpenAPI document marks both secrets write-only', () => {
  const props = (buildOpenApi() as any).components.schemas.ClusterCreateRequest.properties.edge_config.properties;
  expect(props.dns_tsig_secret.writeOnly).toBe(true);
  expect(props.cloudflare_api_token.writeOnly).toBe(true);
});
