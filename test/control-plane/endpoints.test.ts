// Every endpoint of the contract, happy path, against a real server; every response must parse
// with the route's response schema (the same one the CLI's client uses).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { routes, type RouteName } from '../../src/api/routes.js';
import { removeHome, startTestServer, type TestServer } from './helpers.js';

const seen = new Set<RouteName>();

describe('every endpoint, happy path', () => {
  let s: TestServer;
  const call = async (name: RouteName, path: string, body?: unknown, expectStatus?: number) => {
    const route = routes[name];
    const r = await s.api(route.method, path, body);
    expect(r.status, `${route.method} ${path}: ${JSON.stringify(r.body)}`).toBe(expectStatus ?? route.status);
    if (!route.stream) route.response.parse(r.body);
    seen.add(name);
    return r.body;
  };

  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.close();
    removeHome(s.home);
  });

  test('meta: health (public) and openapi (public)', async () => {
    const h = await s.raw('GET', '/api/health');
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ ok: true, service: 'ownstack-control-plane', pid: process.pid });
    // A public answer names no path on this machine.
    expect(JSON.stringify(h.body)).not.toContain(s.home);
    seen.add('health');
    const o = await s.raw('GET', '/api/openapi.json');
    expect(o.status).toBe(200);
    expect(o.body.openapi).toMatch(/^3\.1/);
    expect(Object.keys(o.body.paths)).toContain('/api/clusters/{cluster}/switch');
    seen.add('openapi');
  });

  test('state folder: 0700 folder, 0600 token and database', () => {
    const mode = (p: string) => statSync(join(s.home, 'local', p)).mode & 0o777;
    expect(mode('.')).toBe(0o700);
    expect(mode('token')).toBe(0o600);
    expect(mode('state.db')).toBe(0o600);
    expect(s.cp.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('apps', async () => {
    const a = await call('appCreate', '/api/local/apps', { name: 'web', addresses: ['127.0.0.1:4001'], deploy_cmd: 'true', health_path: '/up' });
    expect(a).toMatchObject({ name: 'web', addresses: ['127.0.0.1:4001'], deploy_cmd: 'true', health_path: '/up' });
    await call('appCreate', '/api/local/apps', { name: 'spare', addresses: [] });
    expect((await call('appList', '/api/local/apps')).apps.map((x: { name: string }) => x.name)).toEqual(['spare', 'web']);
    expect((await call('appShow', '/api/local/apps/web')).name).toBe('web');
    expect((await call('appShow', `/api/local/apps/${a.id}`)).name).toBe('web');
    expect((await call('appUpdate', '/api/local/apps/web', { addresses: ['127.0.0.1:4001', '127.0.0.1:4002'] })).addresses).toEqual(['127.0.0.1:4001', '127.0.0.1:4002']);
    expect((await call('appRemove', '/api/local/apps/spare')).name).toBe('spare');
  });

  test('clusters', async () => {
    const c = await call('clusterCreate', '/api/clusters', { name: 'shop', hostnames: ['shop.example.com'], edge: 'none', health: { path: '/healthz', interval: '10s', timeout: '1s' } });
    expect(c).toMatchObject({ name: 'shop', edge: 'none', proxy_count: 1, hostnames: ['shop.example.com'], health: { path: '/healthz', interval: '10s', timeout: '1s' } });
    expect((await call('clusterList', '/api/clusters')).clusters.map((x: { name: string }) => x.name)).toEqual(['shop']);
    const detail = await call('clusterShow', '/api/clusters/shop');
    expect(detail.domains.map((d: { hostname: string }) => d.hostname)).toEqual(['shop.example.com']);
    expect((await call('clusterShow', `/api/clusters/${c.id}`)).cluster.name).toBe('shop');
  });

  test('domains', async () => {
    const add = await call('domainAdd', '/api/clusters/shop/domains', { hostname: 'WWW.Example.COM.' });
    expect(add.result).toMatchObject({ hostname: 'www.example.com', env_name: 'CLUSTER_UPSTREAMS_WWW_EXAMPLE_COM' });
    expect(add.plan.applied).toBe(true);
    await call('domainAdd', '/api/clusters/shop/domains', { hostname: 'old.example.com' });
    expect((await call('domainList', '/api/clusters/shop/domains')).domains.map((d: { hostname: string }) => d.hostname)).toEqual(['shop.example.com', 'www.example.com', 'old.example.com']);
    const rm = await call('domainRemove', '/api/clusters/shop/domains/old.example.com');
    expect(rm.result.hostname).toBe('old.example.com');
    expect(rm.plan.env).toContainEqual({ name: 'CLUSTER_UPSTREAMS_OLD_EXAMPLE_COM', hostname: 'old.example.com', before: '', after: null, changed: true });
  });

  test('variants', async () => {
    expect((await call('variantAdd', '/api/clusters/shop/variants', { name: 'blue', weight: 100, description: 'current' })).result).toMatchObject({ name: 'blue', weight: 100, routed: true });
    await call('variantAdd', '/api/clusters/shop/variants', { name: 'green' });
    await call('variantAdd', '/api/clusters/shop/variants', { name: 'tmp', weight: 5 });
    expect((await call('variantUpdate', '/api/clusters/shop/variants/green', { weight: 0, description: 'next' })).result).toMatchObject({ weight: 0, description: 'next', routed: false });
    expect((await call('variantRemove', '/api/clusters/shop/variants/tmp')).result.name).toBe('tmp');
    expect((await call('variantList', '/api/clusters/shop/variants')).variants.map((v: { name: string }) => v.name)).toEqual(['blue', 'green']);
  });

  test('upstreams', async () => {
    const u1 = await call('upstreamAdd', '/api/clusters/shop/upstreams', { variant: 'blue', app: 'web' });
    expect(u1.result).toMatchObject({ kind: 'app', hostname: null, app: 'web', addresses: ['127.0.0.1:4001', '127.0.0.1:4002'], weight: 100, status: 'active' });
    const u2 = await call('upstreamAdd', '/api/clusters/shop/upstreams', { variant: 'green', hostname: 'www.example.com', url: 'HTTPS://Shop.Example.NET:8443', host_header: 'www.example.com' });
    expect(u2.result).toMatchObject({ kind: 'url', url: 'https://shop.example.net:8443', host_header: 'www.example.com' });
    const u3 = await call('upstreamAdd', '/api/clusters/shop/upstreams', { variant: 'green', url: 'http://127.0.0.1:9999', weight: 5 });
    expect((await call('upstreamList', '/api/clusters/shop/upstreams')).upstreams.map((u: { id: number }) => u.id)).toEqual([u1.result.id, u2.result.id, u3.result.id]);
    expect((await call('upstreamRemove', `/api/clusters/shop/upstreams/${u3.result.id}`)).result.id).toBe(u3.result.id);
  });

  test('switch', async () => {
    const r = await call('switch', '/api/clusters/shop/switch', { to: 'green', force: true });
    expect(r).toMatchObject({ cluster: 'shop', to: 'green' });
    await call('switch', '/api/clusters/shop/switch', { to: 'blue' });
  });

  test('cluster update: a dry run plans, the change applies; what create sets for good is refused with the reason', async () => {
    const dry = await call('clusterUpdate', '/api/clusters/shop', { health: { path: '/ready' }, proxy_count: 2, dry_run: true });
    expect(dry.plan).toMatchObject({
      applied: false,
      caddyfile_changed: true,
      settings: [
        { name: 'health.path', before: '/healthz', after: '/ready' },
        { name: 'proxy_count', before: '1', after: '2' },
      ],
    });
    expect((await call('clusterShow', '/api/clusters/shop')).cluster).toMatchObject({ proxy_count: 1, health: { path: '/healthz' } });
    const generation = (await call('clusterShow', '/api/clusters/shop')).cluster.generation;
    const applied = await call('clusterUpdate', '/api/clusters/shop', { health: { interval: '20s', timeout: '3s' }, proxy_count: '2' });
    expect(applied.result).toMatchObject({ proxy_count: 2, health: { path: '/healthz', interval: '20s', timeout: '3s' }, generation: generation + 1 });
    expect(applied.plan.settings.map((x: { name: string }) => x.name)).toEqual(['health.interval', 'health.timeout', 'proxy_count']);
    // The proxy count changes no file: no new generation.
    expect((await call('clusterUpdate', '/api/clusters/shop', { proxy_count: 1 })).result.generation).toBe(generation + 1);
    const edge = await s.api('PATCH', '/api/clusters/shop', { edge: 'dns_rr' });
    expect(edge.status).toBe(400);
    expect(edge.body.error).toMatchObject({ field: 'edge', message: expect.stringMatching(/the edge mode cannot change.*destroy the cluster and create it again/) });
    const zone = await s.api('PATCH', '/api/clusters/shop', { edge_config: { dns_zone: 'example.com' } });
    expect(zone.body.error).toMatchObject({ field: 'edge_config.dns_zone' });
    const unknown = await s.api('PATCH', '/api/clusters/shop', { edge_config: { dns_zonee: 'example.com' } });
    expect(unknown.status).toBe(400);
    const nothing = await s.api('PATCH', '/api/clusters/shop', {});
    expect(nothing.body.error.message).toMatch(/nothing to update/);
    // Valid requests that do not fit this cluster: 409.
    const timeout = await s.api('PATCH', '/api/clusters/shop', { health: { timeout: '30s' } });
    expect(timeout.status).toBe(409);
    expect(timeout.body.error).toMatchObject({ code: 'conflict', field: 'health.timeout', message: 'the health timeout (30s) must stay shorter than the interval (20s) of cluster shop' });
    const token = await s.api('PATCH', '/api/clusters/shop', { edge_config: { cloudflare_api_token: 'A'.repeat(40) } });
    expect(token.status).toBe(409);
    expect(token.body.error).toMatchObject({ field: 'edge_config.cloudflare_api_token', message: 'cluster shop uses edge none: cloudflare_api_token applies only to edge cloudflare' });
    expect(JSON.stringify(token.body)).not.toContain('A'.repeat(40));
  });

  test('members', async () => {
    await call('appCreate', '/api/local/apps', { name: 'worker', addresses: ['127.0.0.1:5001'] });
    const add = await call('memberAdd', '/api/clusters/shop/members', { app: 'worker', variant: 'blue', weight: 50 });
    expect(add.result).toMatchObject({ app: 'worker', status: 'active', weight: 50, variants: ['blue'], addresses: ['127.0.0.1:5001'] });
    expect((await call('memberList', '/api/clusters/shop/members')).members.map((m: { app: string }) => m.app)).toEqual(['web', 'worker']);
    expect((await call('memberDrain', '/api/clusters/shop/members/worker/drain', {})).result.status).toBe('draining');
    expect((await call('memberUndrain', '/api/clusters/shop/members/worker/undrain')).result.status).toBe('active');
    expect((await call('memberWeight', '/api/clusters/shop/members/worker/weight', { weight: 0 })).result.weight).toBe(0);
    expect((await call('memberRemove', '/api/clusters/shop/members/worker')).result.status).toBe('removed');
  });

  test('maintenance: start, list, show, end', async () => {
    const start = await call('maintenanceStart', '/api/maintenance/127.0.0.1/start', { force: true });
    expect(start).toMatchObject({ host: '127.0.0.1', state: 'started', applied: true });
    expect(start.addresses.map((a: { address: string }) => a.address)).toEqual(['127.0.0.1:4001', '127.0.0.1:4002']);
    expect((await call('maintenanceList', '/api/maintenance')).hosts.map((h: { host: string }) => h.host)).toEqual(['127.0.0.1']);
    expect((await call('maintenanceShow', '/api/maintenance/127.0.0.1')).drained).toEqual(start.addresses);
    const end = await call('maintenanceEnd', '/api/maintenance/127.0.0.1/end', {});
    expect(end).toMatchObject({ host: '127.0.0.1', state: 'ended', addresses: start.addresses });
    expect((await call('maintenanceList', '/api/maintenance')).hosts).toEqual([]);
  });

  test('status and proxy-config', async () => {
    const st = await call('clusterStatus', '/api/clusters/shop/status');
    expect(st.edge).toMatchObject({ mode: 'none', records: [], error: null });
    const cfg = await call('proxyConfig', '/api/clusters/shop/proxy-config');
    expect(cfg.files).toEqual({ caddyfile: join(s.home, 'local', 'clusters', 'shop', 'Caddyfile'), env: join(s.home, 'local', 'clusters', 'shop', 'proxy.env') });
    expect(cfg.env.CLUSTER_UPSTREAMS_SHOP_EXAMPLE_COM).toBe('127.0.0.1:4001 127.0.0.1:4002');
  });

  test('export and apply: the document of shop applies to itself as a no-op, and creates a copy', async () => {
    const doc = await call('clusterExport', '/api/clusters/shop/export');
    expect(doc).toMatchObject({ name: 'shop', edge: 'none', hostnames: ['shop.example.com', 'www.example.com'], variants: [{ name: 'blue' }, { name: 'green' }] });
    const same = await call('clusterApply', '/api/clusters/shop/apply', { document: doc });
    expect(same).toMatchObject({ cluster: 'shop', created: false, changed: false });
    const copy = await call('clusterApply', '/api/clusters/shop-copy/apply', { document: { ...doc, name: 'shop-copy', hostnames: ['copy.example.com'], upstreams: doc.upstreams.filter((u: { hostname?: string }) => u.hostname === undefined) } });
    expect(copy).toMatchObject({ cluster: 'shop-copy', created: true, changed: true, generation: 1 });
    await s.api('DELETE', '/api/clusters/shop-copy');
  });

  test('deploys: queued (no runner), list, show, events (SSE), abort', async () => {
    const d = await call('deployStart', '/api/clusters/shop/deploys', { strategy: 'rolling' });
    expect(d).toMatchObject({ cluster: 'shop', strategy: 'rolling', state: 'queued', members: [{ app: 'web', step: 'pending' }], skipped: [{ url: 'https://shop.example.net:8443' }] });
    // At most one unfinished job per cluster.
    const again = await s.api('POST', '/api/clusters/shop/deploys', {});
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain(`deploy ${d.id} (queued)`);
    expect((await call('deployList', '/api/clusters/shop/deploys')).deploys.map((x: { id: number }) => x.id)).toEqual([d.id]);
    expect((await call('deployShow', `/api/clusters/shop/deploys/${d.id}`)).state).toBe('queued');
    const status = await s.api('GET', '/api/clusters/shop/status');
    expect(status.body.deploy).toEqual({ id: d.id, state: 'queued' });

    // The stream stays open while the job is unfinished: read what is recorded, abort, then it ends.
    const res = await fetch(`${s.cp.url}/api/clusters/shop/deploys/${d.id}/events`, { headers: { authorization: `Bearer ${s.cp.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    seen.add('deployEvents');
    const link = (await call('dashboardLink', '/api/dashboard/links', {})) as { path: string };
    expect(link.path).toMatch(/^\/login\?code=[A-Za-z0-9_-]{43}$/);
    const live = new AbortController();
    const statusStream = await fetch(`${s.cp.url}/api/clusters/shop/status/events`, { headers: { authorization: `Bearer ${s.cp.token}` }, signal: live.signal });
    expect(statusStream.status).toBe(200);
    expect(statusStream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const first = new TextDecoder().decode((await statusStream.body!.getReader().read()).value);
    expect(first).toMatch(/^id: 1\nevent: status\ndata: \{"cluster":\{/);
    live.abort();
    seen.add('clusterEvents');
    const text = res.text();
    const aborted = await call('deployAbort', `/api/clusters/shop/deploys/${d.id}/abort`, {});
    expect(aborted).toMatchObject({ state: 'aborted', members: [{ step: 'skipped' }] });
    const events = (await text)
      .split('\n\n')
      .filter((b) => b.startsWith('id:'))
      .map((b) => JSON.parse(b.split('\n').find((l) => l.startsWith('data: '))!.slice(6)));
    expect(events.map((e) => [e.seq, e.type, e.state])).toEqual([
      [1, 'state', 'queued'],
      [2, 'log', null],
      [3, 'state', 'aborted'],
    ]);
    expect(events[1].message).toMatch(/no deploy runner/);
    const after = await s.api('GET', `/api/clusters/shop/deploys/${d.id}/events?after=2`);
    expect(after.body).toContain('id: 3\nevent: state\n');
  });

  test('proxy agents: the config (at once, or after a long-poll) and a report', async () => {
    const cfg = await call('agentConfig', '/api/clusters/shop/agent/config');
    expect(cfg).toMatchObject({ schema: 1, cluster: 'shop', mode: 'caddy', command: null });
    expect(cfg.input.domains.length).toBeGreaterThan(0);
    // Nothing newer within the wait: 204.
    const t0 = Date.now();
    const none = await s.api('GET', `/api/clusters/shop/agent/config?after=${cfg.generation}&wait=1`);
    expect(none.status).toBe(204);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    // A change wakes a waiting agent at once.
    const waiting = s.api('GET', `/api/clusters/shop/agent/config?after=${cfg.generation}&wait=20`);
    await new Promise((r) => setTimeout(r, 200));
    const t1 = Date.now();
    expect((await s.api('POST', '/api/clusters/shop/variants', { name: 'agent-probe', weight: 0 })).status).toBe(201);
    const woke = await waiting;
    expect(woke.status).toBe(200);
    expect(woke.body.generation).toBe(cfg.generation + 1);
    expect(Date.now() - t1).toBeLessThan(2_000);
    const report = {
      name: 'edge-1', cluster: 'shop', agent_version: '0.1.0', caddy_version: '2.6.2', host: 'proxy-host', public_address: '203.0.113.10', listen: '0.0.0.0:80',
      instance_id: null, pid: 1234, proxy_pid: 1235, state: 'running', applied_generation: cfg.generation + 1, refused: null, healthz: 'ok', last_error: null, probes: [], fallbacks: [],
    };
    expect(await call('agentReport', '/api/clusters/shop/agent/report', report)).toEqual({ generation: cfg.generation + 1 });
    await s.api('DELETE', '/api/clusters/shop/variants/agent-probe');
  });

  test('tokens: an agent token is created once, listed without its secret, scoped, then revoked', async () => {
    const made = await call('tokenCreate', '/api/tokens', { name: 'edge-2', cluster: 'shop' });
    expect(made).toMatchObject({ kind: 'agent', name: 'edge-2', cluster: 'shop', revoked_at: null });
    expect(made.token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const list = await call('tokenList', '/api/tokens');
    const row = list.tokens.find((t: { id: number }) => t.id === made.id);
    expect(row).toMatchObject({ kind: 'agent', cluster: 'shop' });
    expect(JSON.stringify(list)).not.toContain(made.token);
    // The same name again while it is active: 409.
    expect((await s.api('POST', '/api/tokens', { name: 'edge-2', cluster: 'shop' })).status).toBe(409);
    const agent = (path: string) => fetch(`${s.cp.url}${path}`, { headers: { authorization: `Bearer ${made.token}` } });
    expect((await agent('/api/clusters/shop/agent/config')).status).toBe(200);
    expect((await agent('/api/clusters')).status).toBe(403);
    expect((await agent('/api/tokens')).status).toBe(403);
    const revoked = await call('tokenRevoke', `/api/tokens/${made.id}`);
    expect(revoked.revoked_at).not.toBeNull();
    expect((await agent('/api/clusters/shop/agent/config')).status).toBe(401);
    // An operator token made here works like the token file, until revoked.
    const op = await call('tokenCreate', '/api/tokens', { name: 'ci' });
    expect(op).toMatchObject({ kind: 'operator', cluster: null });
    const asOp = await fetch(`${s.cp.url}/api/clusters`, { headers: { authorization: `Bearer ${op.token}` } });
    expect(asOp.status).toBe(200);
    await s.api('DELETE', `/api/tokens/${op.id}`);
    expect((await fetch(`${s.cp.url}/api/clusters`, { headers: { authorization: `Bearer ${op.token}` } })).status).toBe(401);
  });

  test('destroy (last): removes the rows and the cluster folder', async () => {
    const c = await call('clusterDestroy', '/api/clusters/shop');
    expect(c.name).toBe('shop');
    expect((await s.api('GET', '/api/clusters')).body.clusters).toEqual([]);
    expect(() => s.file('clusters', 'shop', 'Caddyfile')).toThrow(/ENOENT/);
    // The apps stay (they are not the cluster's).
    expect((await s.api('GET', '/api/local/apps')).body.apps.map((a: { name: string }) => a.name)).toEqual(['web', 'worker']);
  });

  test('every route of the contract was exercised', () => {
    expect([...seen].sort()).toEqual((Object.keys(routes) as RouteName[]).sort());
  });
});
