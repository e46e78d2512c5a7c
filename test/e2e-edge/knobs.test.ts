// The control plane's OWNSTACK_CLOUDFLARE_API_URL knob (src/edge/index.ts), in process:
// it points the Cloudflare driver at another API base URL unless edge_config names one.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdgeDriver, EdgeError } from '../../src/edge/index.js';
import { startCloudflareFake, type CloudflareFake } from '../fakes/cloudflare-server.js';

const ZONE_ID = randomBytes(16).toString('hex');
const TOKEN = `cfTok_${randomBytes(20).toString('hex')}`;

describe('OWNSTACK_CLOUDFLARE_API_URL', () => {
  let a: CloudflareFake;
  let b: CloudflareFake;
  beforeAll(async () => {
    a = await startCloudflareFake({ token: TOKEN, zoneId: ZONE_ID, zoneName: 'example.com' });
    b = await startCloudflareFake({ token: TOKEN, zoneId: ZONE_ID, zoneName: 'example.com' });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });
  const cluster = (extra: Record<string, string> = {}) => ({ name: 'web', edge: 'cloudflare' as const, edge_config: { cloudflare_zone_id: ZONE_ID, cloudflare_api_token: TOKEN, ...extra } });

  it('points the driver at the given base URL', async () => {
    await createEdgeDriver(cluster(), { env: { OWNSTACK_CLOUDFLARE_API_URL: a.baseUrl } }).verify();
    expect(a.lines()).toEqual([`GET /zones/${ZONE_ID}`]);
  });

  it('edge_config.cloudflare_base_url wins over it (a stand-in on loopback: only with the test-only override)', async () => {
    await createEdgeDriver(cluster({ cloudflare_base_url: b.baseUrl }), { env: { OWNSTACK_CLOUDFLARE_API_URL: a.baseUrl, OWNSTACK_TEST_ANY_EDGE_ENDPOINT: '1' } }).verify();
    expect(b.lines()).toEqual([`GET /zones/${ZONE_ID}`]);
    expect(a.lines()).toHaveLength(1);
  });

  it('a value that is not a URL is an invalid-settings error naming the variable', () => {
    let err: unknown;
    try {
      createEdgeDriver(cluster(), { env: { OWNSTACK_CLOUDFLARE_API_URL: 'api.example.net' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EdgeError);
    expect((err as EdgeError).kind).toBe('invalid');
    expect((err as EdgeError).message).toBe('OWNSTACK_CLOUDFLARE_API_URL must be an http(s) URL');
  });

  it('is ignored by the other modes', () => {
    expect(() => createEdgeDriver({ name: 'web', edge: 'none' }, { env: { OWNSTACK_CLOUDFLARE_API_URL: 'nonsense' } })).not.toThrow();
  });
});
