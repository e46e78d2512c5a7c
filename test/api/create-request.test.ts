// Edge settings belong to one mode: the shared create schema refuses the others, so the CLI
// names the flag before anything is sent and the server says the same.
import { describe, expect, it } from 'vitest';
import { clusterCreateRequest } from '../../src/api/schemas.js';
import { runOwnstack } from '../helpers/cli.js';

describe('clusterCreateRequest edge settings', () => {
  it.each([
    ['none', { dns_server: '127.0.0.1:53' }, 'edge_config.dns_server'],
    ['cloudflare', { dns_zone: 'example.test', cloudflare_zone_id: '023e105f4ecef8ad9ca31a8372d0c353', cloudflare_api_token: 'a'.repeat(40) }, 'edge_config.dns_zone'],
    ['dns_rr', { alb_region: 'eu-west-1' }, 'edge_config.alb_region'],
    ['dns_rr', { cloudflare_base_url: 'http://127.0.0.1:9/client/v4' }, 'edge_config.cloudflare_base_url'],
    ['cloudflare', { aws_endpoint: 'http://127.0.0.1:9', cloudflare_zone_id: '023e105f4ecef8ad9ca31a8372d0c353', cloudflare_api_token: 'a'.repeat(40) }, 'edge_config.aws_endpoint'],
    ['none', { aws_endpoint: 'http://127.0.0.1:9' }, 'edge_config.aws_endpoint'],
  ])('edge %s refuses settings of another mode', (edge, edge_config, path) => {
    const r = clusterCreateRequest.safeParse({ name: 'api', edge, edge_config });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('edge dns_rr takes its own DNS settings', () => {
    const r = clusterCreateRequest.safeParse({
      name: 'api',
      edge: 'dns_rr',
      hostnames: ['a.example.test', '*.example.test'],
      edge_config: { dns_provider: 'rfc2136', dns_server: '127.0.0.1:5353', dns_zone: 'example.test', dns_tsig_name: 'ownstack-update.', dns_tsig_secret: 'c2VjcmV0' },
    });
    expect(r.success).toBe(true);
    expect(r.data?.edge_config).toMatchObject({ dns_server: '127.0.0.1:5353', dns_tsig_secret: 'c2VjcmV0' });
  });

  // Every rfc2136 rule is checked where the input is typed: the server only repeats it.
  it.each([
    [{ dns_provider: 'rfc2136' }, 'edge_config.dns_server', /needs the DNS server/],
    [{ dns_provider: 'rfc2136', dns_server: 'ns1.example.test' }, 'edge_config.dns_zone', /needs the zone/],
    [{ dns_provider: 'rfc2136', dns_server: 'ns1.example.test', dns_zone: 'example.test' }, 'edge_config.dns_tsig_name', /TSIG key/],
    [{ dns_provider: 'rfc2136', dns_server: 'ns1.example.test', dns_zone: 'example.test', dns_tsig_name: 'k' }, 'edge_config.dns_tsig_secret', /TSIG secret/],
    [{ dns_provider: 'rfc2136', dns_server: 'x' }, 'edge_config.dns_server', /has no dot/],
    [{ dns_provider: 'rfc2136', dns_server: 'ns1.example.test:99999' }, 'edge_config.dns_server', /port must be a number from 1 to 65535/],
    [{ dns_provider: 'rfc2136', dns_tsig_name: 'my key' }, 'edge_config.dns_tsig_name', /no spaces/],
    [{ dns_provider: 'rfc2136', dns_tsig_secret: 'not base64!' }, 'edge_config.dns_tsig_secret', /base64/],
    [{ dns_provider: 'rfc2136', dns_tsig_algorithm: 'md5' }, 'edge_config.dns_tsig_algorithm', /hmac-sha256/],
    [{ dns_server: 'ns1.example.test:53' }, 'edge_config.dns_server', /only applies to dns_provider rfc2136, not dns_provider zonefile/],
    [{ dns_provider: 'zonefile', dns_zone: 'example.test' }, 'edge_config.dns_zone', /only applies to dns_provider rfc2136/],
  ])('refuses %j', (edge_config, path, rule) => {
    const r = clusterCreateRequest.safeParse({ name: 'api', edge: 'dns_rr', edge_config });
    expect(r.success).toBe(false);
    const issue = r.error!.issues.find((i) => i.path.join('.') === path);
    expect(issue?.message, JSON.stringify(r.error!.issues)).toMatch(rule);
  });

  it('refuses a hostname outside the rfc2136 zone, a duplicate and an env-name collision', () => {
    const base = { dns_provider: 'rfc2136', dns_server: 'ns1.example.test', dns_zone: 'example.test', dns_tsig_name: 'k', dns_tsig_secret: 'c2VjcmV0' };
    const outside = clusterCreateRequest.safeParse({ name: 'api', hostnames: ['a.other.test'], edge_config: base });
    expect(outside.error?.issues[0]).toMatchObject({ path: ['hostnames', 0], message: expect.stringMatching(/inside dns_zone example.test/) });
    const twice = clusterCreateRequest.safeParse({ name: 'api', hostnames: ['a.example.test', 'A.example.test'] });
    expect(twice.error?.issues[0]).toMatchObject({ path: ['hostnames', 1], message: 'hostname a.example.test is given twice' });
    const clash = clusterCreateRequest.safeParse({ name: 'api', hostnames: ['a-b.example.test', 'a.b.example.test'] });
    expect(clash.error?.issues[0]?.message).toMatch(/both map to the env var CLUSTER_UPSTREAMS_A_B_EXAMPLE_TEST: one cluster can front only one of them/);
    expect(clash.error?.issues[0]?.message).not.toMatch(/remove/);
  });

  it('the CLI names the flag and sends nothing', async () => {
    const r = await runOwnstack(['cluster', 'create', 'api', '--edge=none', '--dns-server=127.0.0.1:53']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--dns-server');
    expect(r.stderr).toContain('only applies to edge dns_rr');
  });
});
