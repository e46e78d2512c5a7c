// Requests the server sends on a user's behalf: provider base URLs are the providers' own (a
// stand-in is reachable only with the test-only override), a provider's error shows its codes
// and never its text, and a health probe does not follow a redirect to another origin.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkProviderUrl, createEdgeDriver, EdgeError, TEST_EDGE_ENDPOINTS_ENV } from '../../src/edge/index.js';
import { probeHttp } from '../../src/proxy/probe.js';
import { dumpDb, removeHome, startTestServer, type TestServer } from '../control-plane/helpers.js';
import { startAlbFake } from '../fakes/alb-server.js';
import { startCloudflareFake } from '../fakes/cloudflare-server.js';

const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const TOKEN = 'cf-test-token-0123456789abcdefghijklmnop';
const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef';

/** A listener that counts connections: nothing may reach it. */
let trap: Server;
let trapPort: number;
let trapped = 0;
beforeAll(async () => {
  trap = createServer((_req, res) => res.end('{"success":false,"errors":[{"code":1,"message":"INTERNAL-SERVICE-TEXT"}]}'));
  trap.on('connection', () => trapped++);
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', () => r()));
  trapPort = (trap.address() as AddressInfo).port;
});
afterAll(async () => {
  trap.closeAllConnections();
  await new Promise<void>((r) => trap.close(() => r()));
});

describe('provider base URLs through the API', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.close();
    removeHome(s.home);
  });

  test.each([
    ['cloudflare', 'cloudflare_base_url', { cloudflare_zone_id: ZONE, cloudflare_api_token: TOKEN }],
    ['aws_alb', 'aws_endpoint', { alb_target_group_arn: ARN, alb_region: 'eu-west-1' }],
  ] as const)('%s: %s on loopback is a 400 naming the field; no request leaves', async (edge, key, config) => {
    const db = dumpDb(s.home);
    const before = trapped;
    for (const url of [`http://127.0.0.1:${trapPort}`, `https://127.0.0.1:${trapPort}`, 'http://169.254.169.254/latest', 'https://api.cloudflare.com.evil.example/client/v4']) {
      const r = await s.api('POST', '/api/clusters', { name: 'x', edge, edge_config: { ...config, [key]: url } });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error.field).toBe(`edge_config.${key}`);
    }
    expect(trapped).toBe(before);
    expect(dumpDb(s.home)).toEqual(db);
  });
});

describe('provider base URLs with the test-only override on', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ env: { ...process.env, [TEST_EDGE_ENDPOINTS_ENV]: '1' } });
  });
  afterAll(async () => {
    await s.close();
    removeHome(s.home);
  });

  test.each([
    ['cloudflare', 'cloudflare_base_url', { cloudflare_zone_id: ZONE, cloudflare_api_token: TOKEN }],
    ['aws_alb', 'aws_endpoint', { alb_target_group_arn: ARN, alb_region: 'eu-west-1' }],
  ] as const)('%s: %s must still be a plain http(s) URL (the shape rule holds); no request leaves', async (edge, key, config) => {
    const db = dumpDb(s.home);
    const before = trapped;
    for (const url of ['127.0.0.1', `ftp://127.0.0.1:${trapPort}`, `http://user:pw@127.0.0.1:${trapPort}`, `http://127.0.0.1:${trapPort}/a b`]) {
      const r = await s.api('POST', '/api/clusters', { name: 'x', edge, edge_config: { ...config, [key]: url } });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error).toMatchObject({ field: `edge_config.${key}`, rule: expect.stringContaining('an endpoint is an http(s) URL') });
    }
    expect(trapped).toBe(before);
    expect(dumpDb(s.home)).toEqual(db);
  });
});

test('checkProviderUrl: the providers, or anything with the test-only override', () => {
  expect(checkProviderUrl('cloudflare_base_url', 'https://api.cloudflare.com/client/v4', {})).toBe('https://api.cloudflare.com/client/v4');
  expect(checkProviderUrl('aws_endpoint', 'https://elasticloadbalancing.eu-west-1.amazonaws.com', {})).toBeTruthy();
  expect(checkProviderUrl('aws_endpoint', 'https://vpce-0123-abcd.elasticloadbalancing.cn-north-1.vpce.amazonaws.com.cn', {})).toBeTruthy();
  for (const [key, url] of [
    ['cloudflare_base_url', 'http://api.cloudflare.com/client/v4'],
    ['cloudflare_base_url', 'https://user:pw@api.cloudflare.com/client/v4'],
    ['aws_endpoint', 'https://amazonaws.com.evil.example'],
    ['aws_endpoint', 'http://localhost:4566'],
  ] as const) {
    expect(() => checkProviderUrl(key, url, {}), url).toThrow(EdgeError);
  }
  expect(checkProviderUrl('aws_endpoint', 'http://localhost:4566', { [TEST_EDGE_ENDPOINTS_ENV]: '1' })).toBe('http://localhost:4566');
  expect(() => checkProviderUrl('aws_endpoint', 'http://localhost:4566', { [TEST_EDGE_ENDPOINTS_ENV]: 'true' })).toThrow(EdgeError);
});

describe("a provider's error shows its codes, never its text", () => {
  test('Cloudflare', async () => {
    const fake = await startCloudflareFake({ token: TOKEN, zoneId: ZONE, zoneName: 'example.test' });
    try {
      fake.inject({ when: 'read', status: 400, errors: [{ code: 7003, message: 'PROVIDER-TEXT-ONE' }, { code: 4242, message: 'PROVIDER-TEXT-TWO' }], label: 'refused' } as never);
      const d = createEdgeDriver({ name: 'api', edge: 'cloudflare', edge_config: { cloudflare_zone_id: ZONE, cloudflare_api_token: TOKEN, cloudflare_base_url: fake.baseUrl } }, { env: { [TEST_EDGE_ENDPOINTS_ENV]: '1' }, sleep: async () => undefined });
      const err = (await d.verify().catch((e: unknown) => e)) as EdgeError;
      expect(err).toBeInstanceOf(EdgeError);
      expect(err.message).toContain('[7003] no such object (check the zone id); [4242]');
      expect(`${err.message} ${err.hint}`).not.toMatch(/PROVIDER-TEXT/);
    } finally {
      await fake.close();
    }
  });

  test('AWS', async () => {
    const fake = await startAlbFake({ accessKeyId: 'AKIDTEST', targetGroups: [{ arn: ARN, name: 'api', targetType: 'ip', port: 8443 }] });
    try {
      fake.inject({ action: 'DescribeTargetGroups', status: 400, code: 'ValidationError', message: 'PROVIDER-TEXT-AWS' } as never);
      const d = createEdgeDriver(
        { name: 'api', edge: 'aws_alb', edge_config: { alb_target_group_arn: ARN, aws_endpoint: fake.endpoint } },
        { env: { [TEST_EDGE_ENDPOINTS_ENV]: '1' }, aws: { credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret-key-test' }, maxAttempts: 1 } },
      );
      const err = (await d.verify().catch((e: unknown) => e)) as EdgeError;
      expect(err.message).toBe('AWS DescribeTargetGroups failed: ValidationError (HTTP 400)');
      expect(`${err.message} ${err.hint}`).not.toContain('PROVIDER-TEXT');
    } finally {
      await fake.close();
    }
  });
});

describe('health probes and redirects', () => {
  let a: Server;
  let b: Server;
  let aPort: number;
  let bPort: number;
  const bSeen: (string | undefined)[] = [];
  beforeAll(async () => {
    b = createServer((req, res) => {
      bSeen.push(req.headers.host);
      res.end('ok');
    });
    await new Promise<void>((r) => b.listen(0, '127.0.0.1', () => r()));
    bPort = (b.address() as AddressInfo).port;
    a = createServer((req, res) => {
      if (req.url === '/elsewhere') res.writeHead(302, { location: `http://127.0.0.1:${bPort}/internal` });
      else if (req.url === '/same') res.writeHead(302, { location: '/ok' });
      else res.writeHead(200);
      res.end();
    });
    await new Promise<void>((r) => a.listen(0, '127.0.0.1', () => r()));
    aPort = (a.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of [a, b]) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  test('a redirect to another origin fails the probe and is not followed', async () => {
    const r = await probeHttp({ origin: `http://127.0.0.1:${aPort}`, path: '/elsewhere', host: 'app.example.com', timeoutMs: 2_000 });
    expect(r).toMatchObject({ ok: false, status: 302, error: 'HTTP 302: a redirect to another origin, which a health probe does not follow' });
    expect(bSeen).toEqual([]);
  });

  test('a redirect within the origin is followed', async () => {
    const r = await probeHttp({ origin: `http://127.0.0.1:${aPort}`, path: '/same', host: 'app.example.com', timeoutMs: 2_000 });
    expect(r).toMatchObject({ ok: true, status: 200 });
  });
});
