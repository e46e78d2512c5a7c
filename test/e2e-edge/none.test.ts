// Edge none end to end: the control plane touches nothing. The control plane is pointed
// at a fake Cloudflare API and a fake ELBv2 endpoint (and a dns_rr cluster would write
// clusters/<name>/dns.zone): over create, hostname changes, the proxy → edge loop, status and
// destroy, neither fake sees a request and no zone file appears. Also: edge settings that belong
// to another mode are refused at create (exit 2, nothing saved).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbFake, type AlbFake } from '../fakes/alb-server.js';
import { startCloudflareFake, type CloudflareFake } from '../fakes/cloudflare-server.js';
import { assertBuilt, cleanupHome, e2eHome } from '../helpers/e2e.js';
import { cli, json, must, session, sleep, type Session } from './harness.js';

let cf: CloudflareFake;
let alb: AlbFake;
let s: Session;

describe('edge none (built CLI, local control plane)', () => {
  beforeAll(async () => {
    assertBuilt();
    cf = await startCloudflareFake({ token: 'x'.repeat(40), zoneId: '0'.repeat(32), zoneName: 'example.com' });
    alb = await startAlbFake({ accessKeyId: 'AKIAOWNSTACKE2ETEST1', targetGroups: [] });
    s = session(e2eHome('edge-none'), {
      OWNSTACK_CLOUDFLARE_API_URL: cf.baseUrl,
      AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: alb.endpoint,
      OWNSTACK_PROXY_RUNTIME: 'none',
      OWNSTACK_PROXY_PORT_BASE: '61000',
      OWNSTACK_EDGE_INTERVAL: '200ms',
    });
    await must(s, ['local', 'start']);
  }, 60_000);

  afterAll(async () => {
    if (s) await cleanupHome(s.home);
    await cf?.close();
    await alb?.close();
  }, 60_000);

  it('refuses edge settings of another mode at create: exit 2, nothing saved', async () => {
    const r = await cli(s, ['cluster', 'create', 'web', '--edge=none', '--dns-server=127.0.0.1:5353', '--hostname=www.example.com']);
    expect(r.exitCode, r.stderr).toBe(2);
    // Refused locally by the shared create schema: the message names the flag and the rule.
    expect(r.stderr).toContain('invalid --dns-server "127.0.0.1:5353": only applies to edge dns_rr, not none');
    const cfZone = await cli(s, ['cluster', 'create', 'web', '--edge=none', `--cloudflare-zone-id=${'0'.repeat(32)}`]);
    expect(cfZone.exitCode, cfZone.stderr).toBe(2);
    expect(cfZone.stderr).toContain('--cloudflare-zone-id');
    expect(await json(s, ['cluster', 'list'])).toEqual([]);
  });

  it('create, hostname changes, loop ticks, status and destroy: no edge request, no zone file', async () => {
    const c = await json(s, ['cluster', 'create', 'web', '--edge=none', '--proxy-count=2', '--hostname=www.example.com']);
    expect(c.edge).toBe('none');
    expect(c.edge_config).toEqual({});
    await must(s, ['cluster', 'domain', 'add', 'web', 'api.example.com']);
    await must(s, ['cluster', 'domain', 'remove', 'web', 'www.example.com', '--yes']);
    await sleep(1_000); // five loop ticks
    const st = await json(s, ['cluster', 'status', 'web']);
    expect(st.edge).toEqual({ mode: 'none', records: [], reconciled_at: null, error: null, note: 'edge none: you manage DNS yourself; point each hostname at the proxies', targets: null });
    const dir = join(s.home, 'local', 'clusters', 'web');
    expect(readdirSync(dir).sort()).toEqual(['Caddyfile', 'proxy.env']);
    await must(s, ['cluster', 'destroy', 'web', '--yes']);
    expect(existsSync(dir)).toBe(false);
    expect(cf.requests).toEqual([]);
    expect(alb.requests).toEqual([]);
  }, 30_000);
});
