import { describe, expect, it } from 'vitest';
import { chooseHealthyProxies, createEdgeDriver, EdgeError, maskSecret, redact } from '../../src/edge/index.js';

const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const TOKEN = 'cfTestToken0123456789abcdefSECRET';
const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/ownstack-api/73e2d6bc24d8a067';

function configError(edge: 'dns_rr' | 'cloudflare' | 'aws_alb', edge_config: Record<string, unknown>): EdgeError {
  try {
    createEdgeDriver({ name: 'api', edge, edge_config }, { clusterDir: '/tmp/ownstack-unused' });
  } catch (err) {
    expect(err).toBeInstanceOf(EdgeError);
    expect((err as EdgeError).kind).toBe('invalid');
    return err as EdgeError;
  }
  throw new Error('expected an EdgeError');
}

describe('createEdgeDriver', () => {
  it('selects the module for each mode', () => {
    expect(createEdgeDriver({ name: 'api', edge: 'none', edge_config: null }).mode).toBe('none');
    expect(createEdgeDriver({ name: 'api', edge: 'cloudflare', edge_config: { cloudflare_zone_id: ZONE, cloudflare_api_token: TOKEN } }).mode).toBe('cloudflare');
    const alb = createEdgeDriver({ name: 'api', edge: 'aws_alb', edge_config: { alb_target_group_arn: ARN } });
    expect(alb.mode).toBe('aws_alb');
    expect(typeof alb.health).toBe('function');
    expect(createEdgeDriver({ name: 'api', edge: 'dns_rr', edge_config: {} }, { clusterDir: '/tmp/x' }).mode).toBe('dns_rr');
    expect(
      createEdgeDriver({
        name: 'api',
        edge: 'dns_rr',
        edge_config: { dns_provider: 'rfc2136', dns_server: '127.0.0.1:5353', dns_zone: 'example.test', dns_tsig_name: 'k.', dns_tsig_secret: 'c2VjcmV0c2VjcmV0' },
      }).mode,
    ).toBe('dns_rr');
  });

  it('names missing or malformed settings and never echoes secrets', () => {
    const missing = configError('cloudflare', {});
    expect(missing.message).toBe('invalid edge_config for cloudflare: cloudflare_zone_id is required; cloudflare_api_token is required');
    const bad = configError('cloudflare', { cloudflare_zone_id: 'example.com', cloudflare_api_token: 'short secret!' });
    expect(bad.message).toContain('cloudflare_zone_id:');
    expect(bad.message).toContain('cloudflare_api_token:');
    expect(bad.message).not.toContain('short secret!');
    expect(configError('aws_alb', { alb_target_group_arn: 'arn:nope' }).message).toContain('alb_target_group_arn:');
    expect(configError('dns_rr', { dns_provider: 'rfc2136', dns_server: '127.0.0.1:53' }).message).toBe(
      'invalid edge_config for dns_rr (rfc2136): dns_zone, dns_tsig_name, dns_tsig_secret required',
    );
    expect(configError('dns_rr', { dns_provider: 'route53' }).message).toContain('dns_provider must be zonefile or rfc2136');
    expect(() => createEdgeDriver({ name: 'api', edge: 'dns_rr', edge_config: {} })).toThrow(/cluster folder/);
  });

  it('none touches nothing', async () => {
    const d = createEdgeDriver({ name: 'api', edge: 'none' });
    await d.verify();
    expect(await d.publish(['api.example.test'], [{ address: '192.0.2.1', port: 443 }])).toEqual({ added: [], removed: [], unchanged: 0, writes: 0 });
    expect(await d.read(['api.example.test'])).toEqual([]);
    expect(await d.remove(['api.example.test'])).toEqual({ added: [], removed: [], unchanged: 0, writes: 0 });
  });
});

describe('maskSecret / redact', () => {
  it('shows only the last 4 characters, and nothing of a short secret', () => {
    expect(maskSecret(TOKEN)).toBe('…CRET');
    expect(maskSecret('abcd1234')).toBe('…');
    expect(redact(`token ${TOKEN} in text`, [TOKEN])).toBe('token …CRET in text');
  });
});

describe('chooseHealthyProxies', () => {
  const p = (address: string, healthy: boolean) => ({ address, port: 443, healthy });

  it('returns the healthy proxies', () => {
    expect(chooseHealthyProxies([p('10.0.0.1', true), p('10.0.0.2', false), p('10.0.0.3', true)], [])).toEqual({
      proxies: [
        { address: '10.0.0.1', port: 443 },
        { address: '10.0.0.3', port: 443 },
      ],
    });
  });

  it('when none is healthy keeps the last published set (still proxies of the cluster) and warns', () => {
    const last = [
      { address: '10.0.0.2', port: 443 },
      { address: '10.0.0.9', port: 443 },
    ];
    const r = chooseHealthyProxies([p('10.0.0.1', false), p('10.0.0.2', false)], last);
    expect(r.proxies).toEqual([{ address: '10.0.0.2', port: 443 }]);
    expect(r.warning).toContain('no proxy is healthy');
  });

  it('when none is healthy and nothing usable was published, publishes all', () => {
    const r = chooseHealthyProxies([p('10.0.0.1', false), p('10.0.0.2', false)], null);
    expect(r.proxies).toHaveLength(2);
    expect(r.warning).toContain('publishing all 2');
  });

  it('with no proxies at all returns an empty set and a warning', () => {
    expect(chooseHealthyProxies([], [{ address: '10.0.0.1', port: 443 }])).toEqual({ proxies: [], warning: 'the cluster has no proxies: nothing to publish' });
  });
});
