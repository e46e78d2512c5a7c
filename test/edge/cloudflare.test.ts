import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEdgeDriver, EdgeError, TEST_EDGE_ENDPOINTS_ENV, type EdgeDriver } from '../../src/edge/index.js';

const TEST_ENV = { [TEST_EDGE_ENDPOINTS_ENV]: '1' };
import { retryAfterMs } from '../../src/backoff.js';
import { startCloudflareFake, type CloudflareFake } from '../fakes/cloudflare-server.js';

const TOKEN = 'cfTestToken0123456789abcdefSECRET';
const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const HOSTS = ['api.example.test', 'app.example.test'];
const TWO = [
  { address: '203.0.113.10', port: 443 },
  { address: '203.0.113.11', port: 443 },
];
const LIST = (name: string, page = 1): string => `GET /zones/${ZONE}/dns_records?type=A&name=${name}&per_page=100&page=${page}`;
const body = (name: string, ip: string) => ({ type: 'A', name, content: ip, proxied: true, ttl: 1, comment: 'ownstack cluster api' });

let fake: CloudflareFake;
let sleeps: number[];
let logs: string[];

function driver(overrides: Record<string, unknown> = {}): EdgeDriver {
  return createEdgeDriver(
    {
      name: 'api',
      edge: 'cloudflare',
      edge_config: { cloudflare_zone_id: ZONE, cloudflare_api_token: TOKEN, cloudflare_base_url: fake.baseUrl, ...overrides },
    },
    {
      // The stand-in API on loopback is reachable only through the test-only override.
      env: TEST_ENV,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      logger: { debug: (m) => logs.push(m), info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    },
  );
}

async function caught(p: Promise<unknown>): Promise<EdgeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EdgeError);
  return err as EdgeError;
}

beforeEach(async () => {
  fake = await startCloudflareFake({ token: TOKEN, zoneId: ZONE, zoneName: 'example.test' });
  sleeps = [];
  logs = [];
});
afterEach(async () => {
  await fake.close();
  // Nothing we print may carry the token.
  expect(logs.join('\n')).not.toContain(TOKEN);
});

describe('cloudflare edge: create, proxy failure, destroy', () => {
  it('create: publishes one proxied A record per hostname × proxy, with exactly these requests', async () => {
    const d = driver();
    const result = await d.publish(HOSTS, TWO);
    expect(fake.lines()).toEqual([
      `GET /zones/${ZONE}`,
      LIST('api.example.test'),
      LIST('app.example.test'),
      `POST /zones/${ZONE}/dns_records`,
      `POST /zones/${ZONE}/dns_records`,
      `POST /zones/${ZONE}/dns_records`,
      `POST /zones/${ZONE}/dns_records`,
    ]);
    expect(fake.writes().map((r) => r.body)).toEqual([
      body('api.example.test', '203.0.113.10'),
      body('api.example.test', '203.0.113.11'),
      body('app.example.test', '203.0.113.10'),
      body('app.example.test', '203.0.113.11'),
    ]);
    expect(fake.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(result).toEqual({
      added: [
        { hostname: 'api.example.test', type: 'A', value: '203.0.113.10' },
        { hostname: 'api.example.test', type: 'A', value: '203.0.113.11' },
        { hostname: 'app.example.test', type: 'A', value: '203.0.113.10' },
        { hostname: 'app.example.test', type: 'A', value: '203.0.113.11' },
      ],
      removed: [],
      unchanged: 0,
      writes: 4,
    });
    expect(await d.read(HOSTS)).toHaveLength(4);
  });

  it('a second reconcile with no change sends no write', async () => {
    const d = driver();
    await d.publish(HOSTS, TWO);
    const from = fake.requests.length;
    const again = await d.publish(HOSTS, TWO);
    expect(fake.lines(from)).toEqual([LIST('api.example.test'), LIST('app.example.test')]);
    expect(again).toEqual({ added: [], removed: [], unchanged: 4, writes: 0 });
  });

  it('proxy failure: publishing one proxy fewer deletes exactly its two records', async () => {
    const d = driver();
    await d.publish(HOSTS, TWO);
    const gone = fake.records.filter((r) => r.content === '203.0.113.11').map((r) => r.id);
    const from = fake.requests.length;
    const result = await d.publish(HOSTS, [TWO[0]!]);
    expect(fake.lines(from)).toEqual([
      LIST('api.example.test'),
      LIST('app.example.test'),
      `DELETE /zones/${ZONE}/dns_records/${gone[0]}`,
      `DELETE /zones/${ZONE}/dns_records/${gone[1]}`,
    ]);
    expect(result.removed).toEqual([
      { hostname: 'api.example.test', type: 'A', value: '203.0.113.11' },
      { hostname: 'app.example.test', type: 'A', value: '203.0.113.11' },
    ]);
    expect(result).toMatchObject({ added: [], unchanged: 2, writes: 2 });
    expect(fake.records.map((r) => `${r.name} ${r.content}`).sort()).toEqual(['api.example.test 203.0.113.10', 'app.example.test 203.0.113.10']);
  });

  it('destroy: remove deletes every A record of the hostnames and nothing else', async () => {
    const d = driver();
    await d.publish(HOSTS, TWO);
    const other = fake.seed({ name: 'www.example.test', content: '198.51.100.1' });
    const txt = fake.seed({ type: 'TXT', name: 'api.example.test', content: 'v=spf1 -all' });
    const ids = fake.records.filter((r) => r.type === 'A' && HOSTS.includes(r.name)).map((r) => r.id);
    const from = fake.requests.length;
    const result = await d.remove(HOSTS);
    expect(fake.lines(from)).toEqual([LIST('api.example.test'), LIST('app.example.test'), ...ids.map((id) => `DELETE /zones/${ZONE}/dns_records/${id}`)]);
    expect(result).toMatchObject({ added: [], unchanged: 0, writes: 4 });
    expect(result.removed).toHaveLength(4);
    expect(fake.records).toEqual([other, txt]);
    // Destroying again finds nothing to delete.
    const again = await d.remove(HOSTS);
    expect(again.writes).toBe(0);
  });

  it('only touches A records with the exact name; turns a DNS-only record at a desired address into proxied', async () => {
    const dnsOnly = fake.seed({ name: 'api.example.test', content: '203.0.113.10', proxied: false });
    fake.seed({ name: 'x.api.example.test', content: '192.0.2.1' });
    fake.seed({ type: 'AAAA', name: 'api.example.test', content: '2001:db8::1' });
    const result = await driver().publish(['api.example.test'], TWO);
    expect(fake.lines().slice(2)).toEqual([`POST /zones/${ZONE}/dns_records`, `PATCH /zones/${ZONE}/dns_records/${dnsOnly.id}`]);
    expect(fake.writes()[1]!.body).toEqual({ proxied: true });
    expect(result).toMatchObject({ unchanged: 1, writes: 2 });
    expect(fake.records).toHaveLength(4);
  });

  it('deletes duplicate records of one address, keeping one', async () => {
    fake.seed({ name: 'api.example.test', content: '203.0.113.10', proxied: true });
    const dup = fake.seed({ name: 'api.example.test', content: '203.0.113.10', proxied: true });
    const result = await driver().publish(['api.example.test'], [TWO[0]!]);
    expect(fake.lines().slice(2)).toEqual([`DELETE /zones/${ZONE}/dns_records/${dup.id}`]);
    expect(result).toMatchObject({ unchanged: 1, writes: 1 });
  });
});

describe('cloudflare edge: pagination', () => {
  it('follows result_info.total_pages', async () => {
    await fake.close();
    fake = await startCloudflareFake({ token: TOKEN, zoneId: ZONE, zoneName: 'example.test', maxPerPage: 2 });
    for (let i = 1; i <= 5; i++) fake.seed({ name: 'api.example.test', content: `192.0.2.${i}`, proxied: true });
    const d = driver();
    expect((await d.read(['api.example.test'])).map((r) => r.value)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5']);
    expect(fake.lines()).toEqual([LIST('api.example.test', 1), LIST('api.example.test', 2), LIST('api.example.test', 3)]);
    const from = fake.requests.length;
    const result = await d.publish(['api.example.test'], [{ address: '192.0.2.5', port: 443 }]);
    expect(fake.lines(from).filter((l) => l.startsWith('DELETE'))).toHaveLength(4);
    expect(result).toMatchObject({ unchanged: 1, writes: 4 });
  });
});

describe('cloudflare edge: errors and retries', () => {
  it('verify: accepts a good token with GET /zones/<id>', async () => {
    await driver().verify();
    expect(fake.lines()).toEqual([`GET /zones/${ZONE}`]);
  });

  it('verify: a refused token is an auth error that never shows the token', async () => {
    const d = driver({ cloudflare_api_token: 'wrongToken0123456789abcdefXYZ' });
    const err = await caught(d.verify());
    expect(err.kind).toBe('auth');
    expect(err.message).toBe(`Cloudflare refused the API token (GET /zones/${ZONE}): [10000] authentication error`);
    expect(err.hint).toContain('cloudflare_api_token');
    expect(`${err.message} ${err.hint}`).not.toContain('wrongToken0123456789abcdefXYZ');
  });

  it('verify: an unknown zone is invalid and names the setting', async () => {
    const d = driver({ cloudflare_zone_id: 'ffffffffffffffffffffffffffffffff' });
    const err = await caught(d.verify());
    expect(err.kind).toBe('invalid');
    expect(err.hint).toContain('cloudflare_zone_id');
  });

  it('a 200 with success:false is an error carrying the Cloudflare messages', async () => {
    fake.inject({
      label: 'success-false',
      when: 'write',
      status: 200,
      errors: [
        { code: 1004, message: 'DNS Validation Error' },
        { code: 9005, message: 'Content for A record is invalid.' },
      ],
    });
    const err = await caught(driver().publish(['api.example.test'], [TWO[0]!]));
    expect(err.kind).toBe('failed');
    // Cloudflare's codes, in our words; never its text.
    expect(err.message).toBe(`Cloudflare API error (POST /zones/${ZONE}/dns_records, HTTP 200): [1004] DNS validation error; [9005]`);
    expect(err.message).not.toContain('Content for A record');
    expect(fake.records).toHaveLength(0);
  });

  it('a 200 with success:false and an auth code is an auth error', async () => {
    fake.inject({ label: 'auth-200', when: 'read', status: 200, errors: [{ code: 9109, message: 'Invalid access token' }] });
    const err = await caught(driver().verify());
    expect(err.kind).toBe('auth');
  });

  it('honours 429 + Retry-After with the injected sleep, then retries the same write', async () => {
    fake.inject({ label: '429', when: 'write', status: 429, headers: { 'retry-after': '7' }, errors: [{ code: 971, message: 'Please wait and consider throttling your request speed' }] });
    const result = await driver().publish(['api.example.test'], [TWO[0]!]);
    expect(sleeps).toEqual([7000]);
    expect(fake.lines().slice(2)).toEqual([`POST /zones/${ZONE}/dns_records`, `POST /zones/${ZONE}/dns_records`]);
    expect(fake.requests[2]!.injected).toBe('429');
    expect(fake.requests[3]!.body).toEqual(fake.requests[2]!.body);
    expect(result.writes).toBe(1);
    expect(fake.records).toHaveLength(1);
  });

  it('gives up after a bounded number of 429s', async () => {
    fake.inject({ label: '429', when: 'read', status: 429, times: 100, headers: { 'retry-after': '1' } });
    const err = await caught(driver().read(['api.example.test']));
    expect(err.kind).toBe('unavailable');
    expect(sleeps).toEqual([1000, 1000, 1000, 1000, 1000]);
    expect(fake.requests).toHaveLength(6);
  });

  it('stops retrying when Retry-After exceeds the total wait budget', async () => {
    fake.inject({ label: '429', when: 'read', status: 429, headers: { 'retry-after': '3600' } });
    const err = await caught(driver().read(['api.example.test']));
    expect(err.kind).toBe('unavailable');
    expect(sleeps).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries 502/503/504 with bounded backoff', async () => {
    fake.inject({ label: '503', when: 'read', status: 503, rawBody: '<html>Service Unavailable</html>' });
    fake.inject({ label: '502', when: 'read', status: 502, skip: 1, rawBody: 'bad gateway' });
    const records = await driver().read(['api.example.test']);
    expect(records).toEqual([]);
    expect(sleeps).toEqual([1000, 2000]);
    expect(fake.requests.map((r) => r.injected)).toEqual(['503', '502', undefined]);
  });

  it('a create that landed but answered 503 is retried, and the "identical record exists" answer counts as done', async () => {
    fake.inject({ label: '503-after-write', when: 'write', status: 503, applyAnyway: true, rawBody: 'upstream reset' });
    const result = await driver().publish(['api.example.test'], [TWO[0]!]);
    expect(fake.lines().slice(2)).toEqual([`POST /zones/${ZONE}/dns_records`, `POST /zones/${ZONE}/dns_records`]);
    expect(sleeps).toEqual([1000]);
    expect(result).toMatchObject({ added: [{ hostname: 'api.example.test', type: 'A', value: '203.0.113.10' }], writes: 1 });
    expect(fake.records).toHaveLength(1);
  });

  it('partial failure: the Nth write fails, the error says what was applied, the next publish finishes the rest', async () => {
    fake.inject({ label: 'third-write', when: 'write', skip: 2, status: 400, errors: [{ code: 81053, message: 'An A, AAAA, or CNAME record with that host already exists.' }] });
    const d = driver();
    const err = await caught(d.publish(HOSTS, TWO));
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain('[81053]');
    expect(err.partial).toMatchObject({ writes: 2, added: [{ hostname: 'api.example.test', value: '203.0.113.10' }, { hostname: 'api.example.test', value: '203.0.113.11' }] });
    expect(fake.records).toHaveLength(2);
    const from = fake.requests.length;
    const result = await d.publish(HOSTS, TWO);
    expect(fake.lines(from)).toEqual([LIST('api.example.test'), LIST('app.example.test'), `POST /zones/${ZONE}/dns_records`, `POST /zones/${ZONE}/dns_records`]);
    expect(result).toMatchObject({ unchanged: 2, writes: 2 });
  });

  it('a network failure is unavailable', async () => {
    const base = fake.baseUrl;
    await fake.close();
    const d = createEdgeDriver(
      { name: 'api', edge: 'cloudflare', edge_config: { cloudflare_zone_id: ZONE, cloudflare_api_token: TOKEN, cloudflare_base_url: base } },
      { env: TEST_ENV, sleep: async (ms) => void sleeps.push(ms) },
    );
    const err = await caught(d.verify());
    expect(err.kind).toBe('unavailable');
    expect(sleeps).toEqual([1000, 2000, 4000, 8000, 16000]);
    fake = await startCloudflareFake({ token: TOKEN, zoneId: ZONE, zoneName: 'example.test' });
  });

  it('refuses IPv6 proxies, hostnames outside the zone, and an empty proxy set, before any write', async () => {
    const d = driver();
    expect((await caught(d.publish(HOSTS, [{ address: '2001:db8::1', port: 443 }]))).kind).toBe('invalid');
    const outside = await caught(d.publish(['api.other.test'], TWO));
    expect(outside.kind).toBe('invalid');
    expect(outside.message).toContain('not in Cloudflare zone example.test');
    expect((await caught(d.publish(HOSTS, []))).kind).toBe('invalid');
    expect(fake.writes()).toEqual([]);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('7', 0)).toBe(7000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfterMs(null, 0)).toBeUndefined();
    expect(retryAfterMs('soon', 0)).toBeUndefined();
  });
});
