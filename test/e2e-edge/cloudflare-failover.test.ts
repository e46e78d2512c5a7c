// Edge cloudflare, proxy failure end to end: the built CLI, its local control plane and
// two real Caddy replicas (127.0.0.2, 127.0.0.3) against the fake Cloudflare API v4 on 127.0.0.1.
// When a replica dies, the proxy → edge loop (OWNSTACK_EDGE_INTERVAL) deletes exactly its proxied
// A records (one per hostname) and nothing else; destroy deletes the rest.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloudflareFake, type CloudflareFake } from '../fakes/cloudflare-server.js';
import { assertBuilt, cleanupHome, e2eHome } from '../helpers/e2e.js';
import { caddyInstalled } from '../proxy-runtime/helpers.js';
import { expectSecretNowhere, json, must, serverLog, session, waitFor, type Session } from './harness.js';

const ZONE_ID = randomBytes(16).toString('hex');
const ZONE = 'example.com';
const TOKEN = `cfTok_${randomBytes(20).toString('hex')}`;
const HOSTS = [`www.${ZONE}`, `api.${ZONE}`];
const PORT = 47000;
const Z = `/zones/${ZONE_ID}`;
const list = (name: string) => `GET ${Z}/dns_records?type=A&name=${name}&per_page=100&page=1`;
const caddy = caddyInstalled();
if (!caddy) console.warn('skipping the cloudflare failover e2e: caddy is not installed');

let fake: CloudflareFake;
let s: Session;
const published = () => fake.records.map((r) => `${r.name} ${r.content}`).sort();

describe.skipIf(!caddy)('edge cloudflare: a proxy dies (built CLI, real Caddy replicas, fake Cloudflare API)', () => {
  beforeAll(async () => {
    assertBuilt();
    fake = await startCloudflareFake({ token: TOKEN, zoneId: ZONE_ID, zoneName: ZONE });
    s = session(e2eHome('edge-cloudflare-failover'), {
      OWNSTACK_CLOUDFLARE_API_URL: fake.baseUrl,
      OWNSTACK_PROXY_PORT_BASE: String(PORT),
      OWNSTACK_EDGE_INTERVAL: '500ms',
      OWNSTACK_PROXY_RESTART_DELAY: '30s',
    });
    await must(s, ['local', 'start']);
    await must(s, ['cluster', 'create', 'web', '--edge=cloudflare', '--edge-allow-private-addresses', `--cloudflare-zone-id=${ZONE_ID}`, '--cloudflare-token-stdin', '--proxy-count=2', ...HOSTS.map((h) => `--hostname=${h}`)], {
      input: TOKEN,
    });
  }, 60_000);

  afterAll(async () => {
    if (s) await cleanupHome(s.home);
    await fake?.close();
  }, 60_000);

  it('the loop deletes exactly the dead proxy’s records, then destroy deletes the rest', async () => {
    await waitFor('four records', () => published().length === 4, 10_000);
    expect(published()).toEqual([`api.${ZONE} 127.0.0.2`, `api.${ZONE} 127.0.0.3`, `www.${ZONE} 127.0.0.2`, `www.${ZONE} 127.0.0.3`]);
    const st = await json(s, ['cluster', 'status', 'web']);
    const victim = st.proxies.find((p: any) => p.address === '127.0.0.3');
    expect(victim.pid).toBeGreaterThan(0);
    const dead = new Map(fake.records.filter((r) => r.content === '127.0.0.3').map((r) => [r.id, r.name]));

    const from = fake.requests.length;
    process.kill(victim.pid, 'SIGKILL');
    await waitFor('127.0.0.3 records deleted', () => published().length === 2, 10_000);
    const lines = fake.lines(from);
    expect(lines.slice(0, 3)).toEqual([`GET ${Z}`, list(`api.${ZONE}`), list(`www.${ZONE}`)]);
    expect(lines.slice(3).sort()).toEqual([...dead.keys()].map((id) => `DELETE ${Z}/dns_records/${id}`).sort());
    expect(published()).toEqual([`api.${ZONE} 127.0.0.2`, `www.${ZONE} 127.0.0.2`]);
    // The loop logs the change once the publish returned (just after the fake saw the last delete).
    await waitFor('the loop to log the change', () => serverLog(s).includes(`edge loop: cluster web (cloudflare) now publishes 127.0.0.2:${PORT}; dropped 127.0.0.3:${PORT} (healthz failing)`), 5_000);

    const destroyFrom = fake.requests.length;
    await must(s, ['cluster', 'destroy', 'web', '--yes']);
    const destroyLines = fake.lines(destroyFrom);
    expect(destroyLines.slice(0, 2)).toEqual([list(`www.${ZONE}`), list(`api.${ZONE}`)]);
    expect(destroyLines.slice(2).every((l) => l.startsWith(`DELETE ${Z}/dns_records/`))).toBe(true);
    expect(destroyLines).toHaveLength(4);
    expect(fake.records).toEqual([]);
    await expectSecretNowhere(s, TOKEN);
  }, 60_000);
});
