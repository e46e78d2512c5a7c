// Edge cloudflare end to end: the built CLI and its local control plane against a fake
// Cloudflare API v4 on 127.0.0.1 (test/fakes/cloudflare-server.ts), reached through the control
// plane's OWNSTACK_CLOUDFLARE_API_URL. Asserts the exact requests the fake saw for create, a
// no-op reconcile, a new hostname under 429 + Retry-After, a 200 with success:false (partial
// failure shown in `cluster status`, then finished by the next reconcile) and destroy; a refused
// token at create is exit 2 with nothing saved; the token never shows anywhere.
// The proxy runtime is off (OWNSTACK_PROXY_RUNTIME=none): both replicas count as publishable.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloudflareFake, type CloudflareFake } from '../fakes/cloudflare-server.js';
import { assertBuilt, cleanupHome, e2eHome } from '../helpers/e2e.js';
import { apiPost, cli, expectSecretNowhere, json, must, serverLog, session, type Session } from './harness.js';
import { closedPort } from '../helpers/net.js';

const ZONE_ID = randomBytes(16).toString('hex');
const ZONE = 'example.com';
const TOKEN = `cfTok_${randomBytes(20).toString('hex')}`;
const WRONG = `cfBad_${randomBytes(20).toString('hex')}`;
/** What `cluster update` rotates the token to (the fake accepts both). */
const ROTATED = `cfNew_${randomBytes(20).toString('hex')}`;
const PROXIES = ['127.0.0.2', '127.0.0.3'];
const Z = `/zones/${ZONE_ID}`;
const list = (name: string) => `GET ${Z}/dns_records?type=A&name=${name}&per_page=100&page=1`;
const post = (name: string, ip: string) => ({
  method: 'POST',
  path: `${Z}/dns_records`,
  body: { type: 'A', name, content: ip, proxied: true, ttl: 1, comment: 'ownstack cluster web' },
});

let fake: CloudflareFake;
let s: Session;

/** The fake's requests from `from` on, as method + path + body (exactly what the control plane sent). */
const writesFrom = (from: number) => fake.writes(from).map((r) => ({ method: r.method, path: r.path, ...(r.body === undefined ? {} : { body: r.body }) }));
const published = () =>
  fake.records
    .map((r) => `${r.name} ${r.content}${r.proxied ? ' proxied' : ''}`)
    .sort();

describe('edge cloudflare (built CLI, local control plane, fake Cloudflare API on loopback)', () => {
  beforeAll(async () => {
    assertBuilt();
    fake = await startCloudflareFake({ token: [TOKEN, ROTATED], zoneId: ZONE_ID, zoneName: ZONE });
    s = session(e2eHome('edge-cloudflare'), {
      OWNSTACK_CLOUDFLARE_API_URL: fake.baseUrl,
      // The test-only override: edge_config.cloudflare_base_url may name a stand-in on loopback.
      OWNSTACK_TEST_ANY_EDGE_ENDPOINT: '1',
      OWNSTACK_PROXY_RUNTIME: 'none',
      OWNSTACK_PROXY_PORT_BASE: '50500',
      // The proxy → edge loop stays out of the way: this file counts every request.
      OWNSTACK_EDGE_INTERVAL: '1h',
    });
    await must(s, ['local', 'start']);
  }, 60_000);

  afterAll(async () => {
    if (s) await cleanupHome(s.home);
    await fake?.close();
  }, 60_000);

  it('a refused token at create: exit 2, a clear message, nothing saved, one request sent', async () => {
    const r = await cli(
      s,
      ['cluster', 'create', 'web', '--edge=cloudflare', '--edge-allow-private-addresses', `--cloudflare-zone-id=${ZONE_ID}`, '--cloudflare-token-stdin', '--proxy-count=2', `--hostname=www.${ZONE}`],
      { input: WRONG },
    );
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain('the cloudflare edge refused the settings: Cloudflare refused the API token');
    expect(r.stderr).toContain('[10000] authentication error');
    expect(r.stderr).toContain(`Zone:Read and DNS:Edit on zone ${ZONE_ID}`);
    expect(r.stdout).toBe('');
    // verify = one zone read, with the token given; nothing written.
    expect(fake.lines()).toEqual([`GET ${Z}`]);
    expect(fake.requests[0]!.authorization).toBe(`Bearer ${WRONG}`);
    expect(await json(s, ['cluster', 'list'])).toEqual([]);
    await expectSecretNowhere(s, WRONG);
  });

  it('an unreachable API at create (edge_config.cloudflare_base_url through the API): 424 unavailable, nothing saved', async () => {
    const r = await apiPost(s, '/api/clusters', {
      name: 'web',
      edge: 'cloudflare',
      hostnames: [`www.${ZONE}`],
      edge_config: { cloudflare_zone_id: ZONE_ID, cloudflare_api_token: TOKEN, cloudflare_base_url: `http://127.0.0.1:${await closedPort()}/client/v4` },
    });
    expect(r.status).toBe(424);
    expect(r.json.error.code).toBe('unavailable');
    // The create-time check bounds its retries (3 s of backoff); the cause is in the message and in server.log.
    expect(r.json.error.message).toContain('could not verify the cloudflare edge: no answer after retrying');
    expect(r.json.error.message).toMatch(/\(last error: cloudflare: GET \/zones\/[0-9a-f]{32} failed \(fetch failed \(ECONNREFUSED\)\)\)$/);
    expect(serverLog(s)).toMatch(/cloudflare: GET \/zones\/[0-9a-f]{32} failed \(fetch failed \(ECONNREFUSED\)\); retrying/);
    expect(await json(s, ['cluster', 'list'])).toEqual([]);
  }, 30_000);

  it('create: verify, then one proxied A record per hostname × proxy (list first, create only the difference)', async () => {
    const from = fake.requests.length;
    const c = await json(
      s,
      ['cluster', 'create', 'web', '--edge=cloudflare', '--edge-allow-private-addresses', `--cloudflare-zone-id=${ZONE_ID}`, '--cloudflare-token-stdin', '--proxy-count=2', `--hostname=www.${ZONE}`, `--hostname=api.${ZONE}`],
      { input: TOKEN },
    );
    expect(c.edge).toBe('cloudflare');
    expect(c.edge_config).toEqual({ cloudflare_zone_id: ZONE_ID, cloudflare_api_token: `…${TOKEN.slice(-4)}` });
    expect(fake.lines(from)).toEqual([
      `GET ${Z}`, // verify (create refuses to save without it)
      `GET ${Z}`, // publish: the zone's name, to refuse hostnames outside it
      list(`api.${ZONE}`),
      list(`www.${ZONE}`),
      `POST ${Z}/dns_records`,
      `POST ${Z}/dns_records`,
      `POST ${Z}/dns_records`,
      `POST ${Z}/dns_records`,
    ]);
    expect(writesFrom(from)).toEqual([post(`api.${ZONE}`, PROXIES[0]!), post(`api.${ZONE}`, PROXIES[1]!), post(`www.${ZONE}`, PROXIES[0]!), post(`www.${ZONE}`, PROXIES[1]!)]);
    expect(fake.requests.slice(from).every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(published()).toEqual([`api.${ZONE} 127.0.0.2 proxied`, `api.${ZONE} 127.0.0.3 proxied`, `www.${ZONE} 127.0.0.2 proxied`, `www.${ZONE} 127.0.0.3 proxied`]);

    const st = await json(s, ['cluster', 'status', 'web']);
    expect(st.edge.mode).toBe('cloudflare');
    expect(st.edge.error).toBeNull();
    expect(st.edge.reconciled_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    // Read back from Cloudflare (one list per hostname, in the cluster's hostname order).
    expect(st.edge.records).toEqual([
      { hostname: `www.${ZONE}`, type: 'A', value: '127.0.0.2' },
      { hostname: `www.${ZONE}`, type: 'A', value: '127.0.0.3' },
      { hostname: `api.${ZONE}`, type: 'A', value: '127.0.0.2' },
      { hostname: `api.${ZONE}`, type: 'A', value: '127.0.0.3' },
    ]);
  });

  it('a reconcile with nothing to change sends no write: a routing change, then a control plane restart', async () => {
    const from = fake.requests.length;
    await must(s, ['cluster', 'variant', 'add', 'web', 'blue', '--weight=100']);
    await must(s, ['cluster', 'upstream', 'add', 'web', '--variant=blue', '--url=https://origin.example.net']);
    // A restart reconciles every cluster from the database (files, runtime, edge).
    await must(s, ['local', 'stop']);
    await must(s, ['local', 'start']);
    await must(s, ['cluster', 'variant', 'update', 'web', 'blue', '--weight=50']);
    expect(fake.writes(from)).toEqual([]);
    // The edge set did not change, so the reconciles did not even read it.
    expect(fake.lines(from)).toEqual([]);
  }, 60_000);

  it('a new hostname under 429 + Retry-After: waits as told, retries that write, touches nothing else', async () => {
    const from = fake.requests.length;
    fake.inject({ when: 'write', status: 429, headers: { 'retry-after': '2' }, errors: [{ code: 971, message: 'Please wait and consider throttling your request speed' }], label: '429' });
    const r = await must(s, ['cluster', 'domain', 'add', 'web', `shop.${ZONE}`]);
    expect(r.ms).toBeGreaterThanOrEqual(2_000);
    expect(fake.lines(from)).toEqual([`GET ${Z}`, list(`api.${ZONE}`), list(`shop.${ZONE}`), list(`www.${ZONE}`), `POST ${Z}/dns_records`, `POST ${Z}/dns_records`, `POST ${Z}/dns_records`]);
    const writes = fake.writes(from);
    expect(writes.map((w) => w.injected ?? 'ok')).toEqual(['429', 'ok', 'ok']);
    // The throttled write is sent again unchanged; the existing hostnames get no write at all.
    expect(writesFrom(from)).toEqual([post(`shop.${ZONE}`, PROXIES[0]!), post(`shop.${ZONE}`, PROXIES[0]!), post(`shop.${ZONE}`, PROXIES[1]!)]);
    expect(serverLog(s)).toContain(`POST ${Z}/dns_records → HTTP 429; retrying in 2000 ms`);
    expect(published().filter((l) => l.startsWith('shop.'))).toEqual([`shop.${ZONE} 127.0.0.2 proxied`, `shop.${ZONE} 127.0.0.3 proxied`]);
  });

  it('a 200 with success:false on the second write: the change is saved, status shows the edge error, the next reconcile writes only what is missing', async () => {
    const from = fake.requests.length;
    fake.inject({ when: 'write', skip: 1, status: 200, errors: [{ code: 81057, message: 'The record already exists.' }], label: 'success:false' });
    const r = await must(s, ['cluster', 'domain', 'add', 'web', `blog.${ZONE}`]);
    // The provider's code in our words, never the text it sent.
    expect(r.stderr).toContain('[81057] the record already exists');
    expect(r.stderr).not.toContain('The record already exists.');
    expect(writesFrom(from)).toEqual([post(`blog.${ZONE}`, PROXIES[0]!), post(`blog.${ZONE}`, PROXIES[1]!)]);
    expect(fake.writes(from).map((w) => w.injected ?? 'ok')).toEqual(['ok', 'success:false']);
    expect(published().filter((l) => l.startsWith('blog.'))).toEqual([`blog.${ZONE} 127.0.0.2 proxied`]);

    const st = await json(s, ['cluster', 'status', 'web']);
    expect(st.edge.error).toContain(`Cloudflare API error (POST ${Z}/dns_records, HTTP 200): [81057] the record already exists`);
    expect(st.warnings.join('\n')).toContain('the cloudflare edge was not updated');
    expect(st.edge.records.filter((x: any) => x.hostname === `blog.${ZONE}`).map((x: any) => x.value)).toEqual(['127.0.0.2']);

    // Any reconcile retries a failed edge update (here: one caused by a routing change).
    const again = fake.requests.length;
    await must(s, ['cluster', 'variant', 'update', 'web', 'blue', '--weight=100']);
    expect(fake.lines(again)).toEqual([`GET ${Z}`, list(`api.${ZONE}`), list(`blog.${ZONE}`), list(`shop.${ZONE}`), list(`www.${ZONE}`), `POST ${Z}/dns_records`]);
    expect(writesFrom(again)).toEqual([post(`blog.${ZONE}`, PROXIES[1]!)]);
    const after = await json(s, ['cluster', 'status', 'web']);
    expect(after.edge.error).toBeNull();
    expect(after.edge.records).toHaveLength(8);
  });

  it('the token is stored masked: never in any response, output or log', async () => {
    const show = await json(s, ['cluster', 'show', 'web']);
    expect(show.cluster.edge_config.cloudflare_api_token).toBe(`…${TOKEN.slice(-4)}`);
    await expectSecretNowhere(s, TOKEN, 'web');
  });

  it('cluster update rotates the token: a refused one exits 2 and changes nothing; an accepted one is saved and the records are published again with it', async () => {
    const before = await json(s, ['cluster', 'show', 'web']);
    let from = fake.requests.length;
    const refused = await cli(s, ['cluster', 'update', 'web', '--cloudflare-token-stdin'], { input: WRONG });
    expect(refused.exitCode, refused.stderr).toBe(2);
    expect(refused.stderr).toContain('the cloudflare edge refused the settings: Cloudflare refused the API token');
    // Verified with the new token only; nothing written, nothing saved.
    expect(fake.lines(from)).toEqual([`GET ${Z}`]);
    expect(fake.requests.at(-1)!.authorization).toBe(`Bearer ${WRONG}`);
    expect((await json(s, ['cluster', 'show', 'web'])).cluster).toEqual(before.cluster);

    // A setting of another edge mode does not fit this cluster: exit 5, nothing sent to Cloudflare.
    from = fake.requests.length;
    const other = await cli(s, ['cluster', 'update', 'web', '--dns-server=ns1.example.com']);
    expect(other.exitCode, other.stderr).toBe(5);
    expect(other.stderr).toContain('cluster web uses edge cloudflare: dns_server applies only to edge dns_rr with dns_provider rfc2136');
    expect(fake.lines(from)).toEqual([]);

    // The dry run verifies too, and changes nothing.
    const file = `${s.home}/cf.token`;
    (await import('node:fs')).writeFileSync(file, `${ROTATED}\n`, { mode: 0o600 });
    from = fake.requests.length;
    const dry = await cli(s, ['cluster', 'update', 'web', `--cloudflare-token-file=${file}`, '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('edge_config.cloudflare_api_token: (hidden) → (changed)');
    expect(fake.lines(from)).toEqual([`GET ${Z}`]);

    from = fake.requests.length;
    const ok = await cli(s, ['cluster', 'update', 'web', `--cloudflare-token-file=${file}`]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    // Verify, then a full publish with the new token: every hostname listed, nothing to write.
    // (The published set is kept sorted: api, blog, shop, www.)
    expect(fake.lines(from)).toEqual([`GET ${Z}`, `GET ${Z}`, list(`api.${ZONE}`), list(`blog.${ZONE}`), list(`shop.${ZONE}`), list(`www.${ZONE}`)]);
    expect(fake.writes(from)).toEqual([]);
    expect(fake.requests.slice(from).every((r) => r.authorization === `Bearer ${ROTATED}`)).toBe(true);
    const st = await json(s, ['cluster', 'status', 'web']);
    expect(st.edge.error).toBeNull();
    expect(st.cluster.edge_config.cloudflare_api_token).toBe(`…${ROTATED.slice(-4)}`);
    await expectSecretNowhere(s, ROTATED, 'web');
    await expectSecretNowhere(s, WRONG, 'web');
  });

  it('a wildcard hostname is not published (a warning says so); the other hostnames are untouched', async () => {
    const from = fake.requests.length;
    const r = await must(s, ['cluster', 'domain', 'add', 'web', `*.${ZONE}`]);
    expect(r.stderr).toContain(`the cloudflare edge of cluster web does not publish wildcard hostnames (*.${ZONE})`);
    expect(fake.lines(from)).toEqual([]);
    const st = await json(s, ['cluster', 'status', 'web']);
    expect(st.warnings).toContain(`the cloudflare edge of cluster web does not publish wildcard hostnames (*.${ZONE}): create that record yourself, pointing at the proxies`);
    expect(st.edge.error).toBeNull();
    expect(st.edge.records).toHaveLength(8);
  });

  it('destroy: lists every hostname and deletes each record the cluster published', async () => {
    const from = fake.requests.length;
    const ids = new Map(fake.records.map((r) => [r.id, `${r.name} ${r.content}`]));
    await must(s, ['cluster', 'destroy', 'web', '--yes']);
    const lines = fake.lines(from);
    expect(lines.slice(0, 4)).toEqual([list(`www.${ZONE}`), list(`api.${ZONE}`), list(`shop.${ZONE}`), list(`blog.${ZONE}`)]);
    const deletes = fake.writes(from);
    expect(deletes.map((d) => d.method)).toEqual(Array(8).fill('DELETE'));
    expect(deletes.map((d) => ids.get(d.path.replace(`${Z}/dns_records/`, ''))).sort()).toEqual([...ids.values()].sort());
    expect(fake.records).toEqual([]);
    expect(await json(s, ['cluster', 'list'])).toEqual([]);
    await expectSecretNowhere(s, TOKEN);
  });
});
