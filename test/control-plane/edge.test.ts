// Edge wiring: dns_rr writes the zone file; cloudflare is verified at create time and published
// on reconcile, here against a fake Cloudflare API on loopback (cloudflare_base_url).
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dumpDb, removeHome, startTestServer, type TestServer } from './helpers.js';
import { closedPort } from '../helpers/net.js';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const GOOD = 'good-token-0123456789abcdefWXYZ';

interface FakeRecord {
  id: string;
  type: string;
  name: string;
  content: string;
  proxied: boolean;
}

function fakeCloudflare(): Promise<{ server: Server; url: string; records: FakeRecord[]; calls: string[] }> {
  const records: FakeRecord[] = [];
  const calls: string[] = [];
  let next = 1;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    calls.push(`${req.method} ${url.pathname}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${GOOD}`) return send(403, { success: false, errors: [{ code: 9109, message: 'Invalid access token' }], result: null });
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const base = `/client/v4/zones/${ZONE_ID}`;
      if (req.method === 'GET' && url.pathname === base) return send(200, { success: true, errors: [], result: { id: ZONE_ID, name: 'example.com', status: 'active' } });
      if (url.pathname === `${base}/dns_records` && req.method === 'GET') {
        const list = records.filter((r) => r.type === url.searchParams.get('type') && r.name === url.searchParams.get('name'));
        return send(200, { success: true, errors: [], result: list, result_info: { page: 1, total_pages: 1 } });
      }
      if (url.pathname === `${base}/dns_records` && req.method === 'POST') {
        const r = JSON.parse(body) as FakeRecord;
        const rec = { id: String(next++), type: r.type, name: r.name, content: r.content, proxied: r.proxied };
        records.push(rec);
        return send(200, { success: true, errors: [], result: rec });
      }
      const del = new RegExp(`^${base}/dns_records/(\\w+)$`).exec(url.pathname);
      if (del && req.method === 'DELETE') {
        const i = records.findIndex((r) => r.id === del[1]);
        if (i >= 0) records.splice(i, 1);
        return send(200, { success: true, errors: [], result: { id: del[1] } });
      }
      send(404, { success: false, errors: [{ code: 7003, message: 'no route' }], result: null });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address() as { port: number };
    resolve({ server, url: `http://127.0.0.1:${a.port}/client/v4`, records, calls });
  }));
}

describe('cloudflare edge (fake API on loopback)', () => {
  let s: TestServer;
  let cf: Awaited<ReturnType<typeof fakeCloudflare>>;
  beforeAll(async () => {
    cf = await fakeCloudflare();
    // The stand-in API on loopback is reachable only through the test-only override.
    s = await startTestServer({ env: { ...process.env, OWNSTACK_TEST_ANY_EDGE_ENDPOINT: '1' } });
  });
  afterAll(async () => {
    await s.close();
    removeHome(s.home);
    await new Promise((r) => cf.server.close(r));
  });

  const create = (token: string, baseUrl = cf.url, allowPrivate = true) =>
    s.api('POST', '/api/clusters', {
      name: 'web',
      edge: 'cloudflare',
      // The local replicas are on 127.0.0.x: the edge publishes loopback addresses only when told to.
      edge_allow_private_addresses: allowPrivate,
      proxy_count: 2,
      hostnames: ['www.example.com'],
      edge_config: { cloudflare_zone_id: ZONE_ID, cloudflare_api_token: token, cloudflare_base_url: baseUrl },
    });

  test('a refused token fails the create (400), nothing is stored, the token is not echoed', async () => {
    const db = dumpDb(s.home);
    const r = await create('bad-token-0123456789abcdefABCD');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid', field: 'edge_config' });
    expect(r.body.error.message).toMatch(/^the cloudflare edge refused the settings: /);
    expect(JSON.stringify(r.body)).not.toContain('bad-token-0123456789abcdefABCD');
    expect(dumpDb(s.home)).toEqual(db);
  });

  test('an unreachable API fails the create (424); the message carries the driver\'s last error', async () => {
    const r = await create(GOOD, `http://127.0.0.1:${await closedPort()}/client/v4`);
    expect(r.status).toBe(424);
    expect(r.body.error.message).toMatch(
      new RegExp(`^could not verify the cloudflare edge: no answer after retrying for \\d+ ms \\(last error: cloudflare: GET /zones/${ZONE_ID} failed \\(fetch failed \\(ECONNREFUSED\\)\\)\\)$`),
    );
    expect((await s.api('GET', '/api/clusters/web')).status).toBe(404);
  });

  test('the last error in a 424 is redacted like server.log', async () => {
    // A token that is also the zone id: it would appear in the driver's "GET /zones/<id> failed" line.
    const r = await s.api('POST', '/api/clusters', {
      name: 'web',
      edge: 'cloudflare',
      hostnames: ['www.example.com'],
      edge_config: { cloudflare_zone_id: ZONE_ID, cloudflare_api_token: ZONE_ID, cloudflare_base_url: `http://127.0.0.1:${await closedPort()}/client/v4` },
    });
    expect(r.status).toBe(424);
    expect(r.body.error.message).toContain('(last error: cloudflare: GET /zones/…c353 failed (fetch failed (ECONNREFUSED)))');
    expect(JSON.stringify(r.body)).not.toContain(ZONE_ID);
  });

  test('loopback proxies are refused unless the cluster allows private addresses; refusing every one keeps the records', async () => {
    const r = await create(GOOD, cf.url, false);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.edge_allow_private_addresses).toBe(false);
    expect(cf.records).toEqual([]);
    let st = await s.api('GET', '/api/clusters/web/status');
    expect(st.body.proxies.map((p: any) => [p.address, p.edge])).toEqual([
      ['127.0.0.2', 'refused'],
      ['127.0.0.3', 'refused'],
    ]);
    expect(st.body.proxies[0].edge_reason).toContain('its public address 127.0.0.2 is in 127.0.0.0/8 (loopback): the cloudflare edge publishes public addresses only');
    expect(st.body.proxies[0].edge_reason).toContain('--edge-allow-private-addresses');
    expect(st.body.warnings).toContain('no proxy can be published by the cloudflare edge (each is refused, see above): it keeps nothing (no proxy was ever published) instead of publishing none');

    const on = await s.api('PATCH', '/api/clusters/web', { edge_allow_private_addresses: true });
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    expect(on.body.plan.settings).toEqual([{ name: 'edge_allow_private_addresses', before: 'false', after: 'true' }]);
    expect(cf.records.map((x) => x.content)).toEqual(['127.0.0.2', '127.0.0.3']);
    st = await s.api('GET', '/api/clusters/web/status');
    expect(st.body.cluster.edge_allow_private_addresses).toBe(true);
    expect(st.body.proxies.map((p: any) => p.edge)).toEqual(['published', 'published']);

    // Refused again: every proxy is, so the edge keeps what it has rather than emptying.
    expect((await s.api('PATCH', '/api/clusters/web', { edge_allow_private_addresses: false })).status).toBe(200);
    expect(cf.records.map((x) => x.content)).toEqual(['127.0.0.2', '127.0.0.3']);
    st = await s.api('GET', '/api/clusters/web/status');
    expect(st.body.warnings).toContain(`no proxy can be published by the cloudflare edge (each is refused, see above): it keeps the 127.0.0.2:${st.body.proxies[0].port}, 127.0.0.3:${st.body.proxies[0].port} published before instead of publishing none`);
    expect((await s.api('DELETE', '/api/clusters/web')).status).toBe(200);
    expect(cf.records).toEqual([]);
  });

  test('create verifies, reconcile publishes proxied A records, domain changes follow', async () => {
    const r = await create(GOOD);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.edge_config).toEqual({ cloudflare_zone_id: ZONE_ID, cloudflare_api_token: '…WXYZ' });
    expect(cf.calls).toContain(`GET /client/v4/zones/${ZONE_ID}`);
    expect(cf.records.map((x) => [x.name, x.content, x.proxied])).toEqual([
      ['www.example.com', '127.0.0.2', true],
      ['www.example.com', '127.0.0.3', true],
    ]);
    const add = await s.api('POST', '/api/clusters/web/domains', { hostname: 'shop.example.com' });
    expect(add.body.plan.edge.added).toHaveLength(2);
    expect(cf.records.filter((x) => x.name === 'shop.example.com')).toHaveLength(2);
    await s.api('DELETE', '/api/clusters/web/domains/www.example.com');
    expect(cf.records.map((x) => x.name)).toEqual(['shop.example.com', 'shop.example.com']);
    const st = await s.api('GET', '/api/clusters/web/status');
    expect(st.body.edge).toMatchObject({ mode: 'cloudflare', error: null });
    expect(st.body.edge.records).toHaveLength(2);
    // The stored secret never comes back.
    expect(JSON.stringify((await s.api('GET', '/api/clusters/web')).body)).not.toContain(GOOD);
    // Destroy removes the records first.
    expect((await s.api('DELETE', '/api/clusters/web')).status).toBe(200);
    expect(cf.records).toEqual([]);
  });
});

describe('dns_rr edge', () => {
  test('edge_allow_private_addresses applies to cloudflare and aws_alb only: 400 at create, 409 at update', async () => {
    const s = await startTestServer();
    try {
      const bad = await s.api('POST', '/api/clusters', { name: 'api', edge_allow_private_addresses: true });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ field: 'edge_allow_private_addresses', rule: 'only applies to edge cloudflare or aws_alb, not dns_rr (dns_rr publishes every registered address)' });
      expect((await s.api('POST', '/api/clusters', { name: 'api' })).status).toBe(201);
      const upd = await s.api('PATCH', '/api/clusters/api', { edge_allow_private_addresses: true });
      expect(upd.status).toBe(409);
      expect(upd.body.error).toMatchObject({ code: 'conflict', field: 'edge_allow_private_addresses' });
      // dns_rr writes the registered loopback addresses: nothing is refused.
      const st = await s.api('GET', '/api/clusters/api/status');
      expect(st.body.proxies.map((p: any) => p.edge)).toEqual(['published']);
    } finally {
      await s.close();
      removeHome(s.home);
    }
  });

  test('records follow proxy_count × hostnames; removed hostnames leave the zone file', async () => {
    const s = await startTestServer();
    try {
      await s.api('POST', '/api/clusters', { name: 'api', proxy_count: 3, hostnames: ['a.example.com', 'b.example.com'] });
      const zone = () => s.file('clusters', 'api', 'dns.zone').split('\n').filter((l) => l.includes('\tIN\t'));
      expect(zone()).toHaveLength(6);
      const rm = await s.api('DELETE', '/api/clusters/api/domains/a.example.com');
      expect(rm.body.plan.edge.removed).toEqual([
        { hostname: 'a.example.com', type: 'A', value: '127.0.0.2' },
        { hostname: 'a.example.com', type: 'A', value: '127.0.0.3' },
        { hostname: 'a.example.com', type: 'A', value: '127.0.0.4' },
      ]);
      expect(zone()).toEqual(['b.example.com.\t60\tIN\tA\t127.0.0.2', 'b.example.com.\t60\tIN\tA\t127.0.0.3', 'b.example.com.\t60\tIN\tA\t127.0.0.4']);
      const st = await s.api('GET', '/api/clusters/api/status');
      expect(st.body.edge.records).toHaveLength(3);
    } finally {
      await s.close();
      removeHome(s.home);
    }
  });
});
