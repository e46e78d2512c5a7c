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
    const r = clusterCreateRequest.safeParse({ name: 'api', edge: 'dns_rr', edge_config: { dns_provider: 'rfc2136', dns_server: '127.0.0.1:5353', dns_zone: 'example.test' } });
    expect(r.success).toBe(true);
  });

  it('the CLI names the flag and sends nothing', async () => {
    const r = await runOwnstack(['cluster', 'create', 'api', '--edge=none', '--dns-server=127.0.0.1:53']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--dns-server');
    expect(r.stderr).toContain('only applies to edge dns_rr');
  });
});
