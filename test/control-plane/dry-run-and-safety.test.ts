// Dry runs compute the plan and change nothing; applied mutations return the same plan with
// applied: true. Switch safety: refusal, force, and the "no upstream before and after" warning.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { plan as planSchema } from '../../src/api/schemas.js';
import { dumpDb, removeHome, startTestServer, type TestServer } from './helpers.js';

let s: TestServer;

async function walkthrough(): Promise<void> {
  const ok = async (m: string, p: string, b?: unknown) => {
    const r = await s.api(m, p, b);
    expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
    return r.body;
  };
  await ok('POST', '/api/clusters', { name: 'api', hostnames: ['api.example.com', 'app.example.com'], proxy_count: 2 });
  await ok('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 });
  await ok('POST', '/api/clusters/api/variants', { name: 'green', weight: 0 });
  await ok('POST', '/api/local/apps', { name: 'my-rails-app', addresses: ['127.0.0.1:3001', '127.0.0.1:3002'] });
  await ok('POST', '/api/local/apps', { name: 'worker', addresses: ['127.0.0.1:5001'] });
  await ok('POST', '/api/clusters/api/upstreams', { variant: 'blue', hostname: 'api.example.com', app: 'my-rails-app' });
  await ok('POST', '/api/clusters/api/upstreams', { variant: 'green', hostname: 'api.example.com', url: 'https://my-rails-app.herokuapp.com' });
}

/** Every file under the state folder except the database and its WAL. */
function filesSnapshot(): Record<string, string> {
  const root = join(s.home, 'local', 'clusters');
  const out: Record<string, string> = {};
  for (const c of readdirSync(root)) for (const f of readdirSync(join(root, c))) out[`${c}/${f}`] = readFileSync(join(root, c, f), 'utf8');
  return out;
}

beforeEach(async () => {
  s = await startTestServer();
  await walkthrough();
});
afterEach(async () => {
  await s.close();
  removeHome(s.home);
});

type Req = [method: string, path: string, body?: Record<string, unknown>];
const dryRuns: [string, Req][] = [
  ['switch', ['POST', '/api/clusters/api/switch', { to: 'green' }]],
  ['upstream add', ['POST', '/api/clusters/api/upstreams', { variant: 'blue', url: 'https://extra.example.net' }]],
  ['upstream remove', ['DELETE', '/api/clusters/api/upstreams/1']],
  ['variant add', ['POST', '/api/clusters/api/variants', { name: 'canary', weight: 10 }]],
  ['variant update', ['PATCH', '/api/clusters/api/variants/green', { weight: 100 }]],
  ['variant remove', ['DELETE', '/api/clusters/api/variants/blue']],
  ['member add', ['POST', '/api/clusters/api/members', { app: 'worker', variant: 'blue' }]],
  ['member drain', ['POST', '/api/clusters/api/members/my-rails-app/drain', {}]],
  ['member undrain', ['POST', '/api/clusters/api/members/my-rails-app/undrain', {}]],
  ['member weight', ['PUT', '/api/clusters/api/members/my-rails-app/weight', { weight: 0 }]],
  ['member remove', ['DELETE', '/api/clusters/api/members/my-rails-app']],
  ['domain add', ['POST', '/api/clusters/api/domains', { hostname: 'www.example.com' }]],
  ['domain remove', ['DELETE', '/api/clusters/api/domains/api.example.com']],
];

describe('dry runs', () => {
  test.each(dryRuns)('%s: plan without applying, then the same plan applied', async (_name, [method, path, body]) => {
    const db = dumpDb(s.home);
    const files = filesSnapshot();
    const dryPath = method === 'DELETE' ? `${path}?dry_run=true` : path;
    const dry = await s.api(method, dryPath, method === 'DELETE' ? undefined : { ...body, dry_run: true });
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    const dryPlan = planSchema.parse(dry.body.plan);
    expect(dryPlan.applied).toBe(false);
    // Nothing changed: every row (generation included) and every file.
    expect(dumpDb(s.home)).toEqual(db);
    expect(filesSnapshot()).toEqual(files);

    const real = await s.api(method, path, body);
    expect(real.status).toBeLessThan(300);
    const realPlan = planSchema.parse(real.body.plan);
    expect(realPlan.applied).toBe(true);
    expect({ env: realPlan.env, caddy: realPlan.caddyfile_changed, edge: realPlan.edge }).toEqual({ env: dryPlan.env, caddy: dryPlan.caddyfile_changed, edge: dryPlan.edge });
    if (realPlan.env.some((e) => e.changed) || realPlan.caddyfile_changed) expect(dumpDb(s.home)).not.toEqual(db);
    // The files on disk are the plan's "after".
    for (const e of realPlan.env) {
      const line = s.file('clusters', 'api', 'proxy.env').split('\n').find((l) => l.startsWith(`${e.name}=`));
      expect(line ?? null).toBe(e.after === null ? null : `${e.name}="${e.after}"`);
    }
  });

  test('the dry run of a member add that would create variant default creates nothing', async () => {
    await s.api('POST', '/api/clusters', { name: 'solo', hostnames: ['solo.example.com'] });
    const db = dumpDb(s.home);
    const r = await s.api('POST', '/api/clusters/solo/members', { app: 'worker', dry_run: true });
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({ app: 'worker', variants: ['default'] });
    expect(r.body.plan.warnings).toContain('would create variant default (weight 100): the cluster had no variant');
    expect(r.body.plan.env).toContainEqual({ name: 'CLUSTER_UPSTREAMS_SOLO_EXAMPLE_COM', hostname: 'solo.example.com', before: '', after: '127.0.0.1:5001', changed: true });
    expect(dumpDb(s.home)).toEqual(db);
  });

  test('a dry-run switch that would be refused is refused the same way', async () => {
    await s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', hostname: 'app.example.com', url: 'https://app.example.net' });
    const db = dumpDb(s.home);
    const r = await s.api('POST', '/api/clusters/api/switch', { to: 'green', dry_run: true });
    expect(r.status).toBe(409);
    expect(dumpDb(s.home)).toEqual(db);
  });
});

describe('switch safety', () => {
  test('refused (409) when a hostname served now would have no upstream; the error lists it; nothing changes', async () => {
    await s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', hostname: 'app.example.com', url: 'https://app.example.net' });
    const db = dumpDb(s.home);
    const files = filesSnapshot();
    const r = await s.api('POST', '/api/clusters/api/switch', { to: 'green' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({
      code: 'conflict',
      field: 'to',
      value: 'green',
      message: 'switching cluster api to green would leave a hostname that is served now with no upstream: app.example.com',
      details: { hostnames: ['app.example.com'] },
    });
    expect(r.body.error.hint).toMatch(/force: true/);
    expect(dumpDb(s.home)).toEqual(db);
    expect(filesSnapshot()).toEqual(files);
  });

  test('force: true overrides and warns', async () => {
    await s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', hostname: 'app.example.com', url: 'https://app.example.net' });
    const r = await s.api('POST', '/api/clusters/api/switch', { to: 'green', force: true });
    expect(r.status).toBe(200);
    expect(r.body.plan.warnings).toEqual(['forced: app.example.com now has no upstream', 'hostname served now lost every upstream: app.example.com']);
    expect(s.file('clusters', 'api', 'proxy.env')).toContain('CLUSTER_UPSTREAMS_APP_EXAMPLE_COM=""');
  });

  test('a hostname with no upstream before and after is not a refusal; its unchanged warning is not repeated (status keeps it)', async () => {
    const r = await s.api('POST', '/api/clusters/api/switch', { to: 'green' });
    expect(r.status).toBe(200);
    expect(r.body.plan.warnings).toEqual([]);
    expect((await s.api('GET', '/api/clusters/api/status')).body.warnings).toContain('no upstream is routed for app.example.com');
  });

  test('an upstream without hostname serves every hostname, including ones added later', async () => {
    await s.api('POST', '/api/clusters/api/upstreams', { variant: 'green', url: 'https://fallback.example.net' });
    const r = await s.api('POST', '/api/clusters/api/switch', { to: 'green' });
    expect(r.body.plan.warnings).toEqual([]);
    await s.api('POST', '/api/clusters/api/domains', { hostname: 'late.example.com' });
    expect(s.file('clusters', 'api', 'proxy.env')).toContain('CLUSTER_UPSTREAMS_LATE_EXAMPLE_COM="https://fallback.example.net"');
    expect(s.file('clusters', 'api', 'proxy.env')).toContain('CLUSTER_UPSTREAMS_API_EXAMPLE_COM="https://my-rails-app.herokuapp.com https://fallback.example.net"');
  });

  test('unknown variant → 404 with candidates', async () => {
    const r = await s.api('POST', '/api/clusters/api/switch', { to: 'gren' });
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ code: 'not_found', field: 'to', value: 'gren', candidates: ['green'] });
  });

  test('switch reweights every variant in one generation and flips every hostname', async () => {
    await s.api('POST', '/api/clusters/api/upstreams', { variant: 'green', hostname: 'app.example.com', url: 'https://app-green.example.net' });
    await s.api('POST', '/api/clusters/api/variants', { name: 'canary', weight: 20 });
    const gen = (await s.api('GET', '/api/clusters/api')).body.cluster.generation;
    const r = await s.api('POST', '/api/clusters/api/switch', { to: 'green' });
    expect(r.body.variants.map((v: { name: string; weight: number; routed: boolean }) => [v.name, v.weight, v.routed])).toEqual([
      ['blue', 0, false],
      ['green', 100, true],
      ['canary', 0, false],
    ]);
    expect((await s.api('GET', '/api/clusters/api')).body.cluster.generation).toBe(gen + 1);
    const env = s.file('clusters', 'api', 'proxy.env');
    expect(env).toContain('CLUSTER_UPSTREAMS_API_EXAMPLE_COM="https://my-rails-app.herokuapp.com"');
    expect(env).toContain('CLUSTER_UPSTREAMS_APP_EXAMPLE_COM="https://app-green.example.net"');
  });
});

describe('members (legacy single-variant convenience)', () => {
  test('member add: several variants and no variant → 400 naming them', async () => {
    const r = await s.api('POST', '/api/clusters/api/members', { app: 'worker' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid', field: 'variant', candidates: ['blue', 'green'] });
    expect(r.body.error.message).toBe('cluster api has several variants (blue, green): say which one the member joins');
  });

  test('member add: the only variant, or a new variant default (weight 100)', async () => {
    await s.api('POST', '/api/clusters', { name: 'one', hostnames: ['one.example.com'] });
    const first = await s.api('POST', '/api/clusters/one/members', { app: 'worker' });
    expect(first.status).toBe(201);
    expect(first.body.result).toMatchObject({ app: 'worker', variants: ['default'], status: 'active' });
    expect((await s.api('GET', '/api/clusters/one/variants')).body.variants).toMatchObject([{ name: 'default', weight: 100 }]);
    const second = await s.api('POST', '/api/clusters/one/members', { app: 'my-rails-app' });
    expect(second.body.result.variants).toEqual(['default']);
    // Equal member weights: worker's one address carries what my-rails-app's two share.
    expect(s.file('clusters', 'one', 'proxy.env')).toContain('CLUSTER_UPSTREAMS_ONE_EXAMPLE_COM="127.0.0.1:5001 127.0.0.1:5001 127.0.0.1:3001 127.0.0.1:3002"');
    const dup = await s.api('POST', '/api/clusters/one/members', { app: 'worker' });
    expect(dup.status).toBe(409);
  });

  test('drain keeps traffic on draining members when no active one is left; undrain restores', async () => {
    await s.api('POST', '/api/clusters', { name: 'pool', hostnames: ['pool.example.com'] });
    await s.api('POST', '/api/clusters/pool/members', { app: 'worker' });
    await s.api('POST', '/api/clusters/pool/members', { app: 'my-rails-app' });
    const d1 = await s.api('POST', '/api/clusters/pool/members/worker/drain', {});
    expect(d1.body.result.status).toBe('draining');
    expect(s.file('clusters', 'pool', 'proxy.env')).toContain('CLUSTER_UPSTREAMS_POOL_EXAMPLE_COM="127.0.0.1:3001 127.0.0.1:3002"');
    const d2 = await s.api('POST', '/api/clusters/pool/members/my-rails-app/drain', {});
    // Only draining members left: they keep the traffic (the proxy never serves zero members).
    expect(d2.body.plan.warnings[0]).toMatch(/every routed member of pool.example.com is draining/);
    expect(s.file('clusters', 'pool', 'proxy.env')).toContain('CLUSTER_UPSTREAMS_POOL_EXAMPLE_COM="127.0.0.1:5001 127.0.0.1:5001 127.0.0.1:3001 127.0.0.1:3002"');
    const st = await s.api('GET', '/api/clusters/pool/status');
    expect(st.body.hostnames[0].draining_fallback).toBe(true);
    await s.api('POST', '/api/clusters/pool/members/worker/undrain', {});
    expect(s.file('clusters', 'pool', 'proxy.env')).toContain('CLUSTER_UPSTREAMS_POOL_EXAMPLE_COM="127.0.0.1:5001"');
  });

  test('drain/weight/remove apply to every upstream of the app in the cluster', async () => {
    await s.api('POST', '/api/clusters/api/upstreams', { variant: 'green', hostname: 'app.example.com', app: 'my-rails-app' });
    const w = await s.api('PUT', '/api/clusters/api/members/my-rails-app/weight', { weight: 7 });
    expect(w.body.result).toMatchObject({ weight: 7, variants: ['blue', 'green'], upstream_ids: [1, 3] });
    const ups = (await s.api('GET', '/api/clusters/api/upstreams')).body.upstreams;
    expect(ups.filter((u: { app: string | null }) => u.app === 'my-rails-app').map((u: { weight: number }) => u.weight)).toEqual([7, 7]);
    const rm = await s.api('DELETE', '/api/clusters/api/members/my-rails-app');
    expect(rm.body.result).toMatchObject({ status: 'removed', upstream_ids: [1, 3] });
    expect((await s.api('GET', '/api/clusters/api/members')).body.members).toEqual([]);
    expect(rm.body.plan.warnings).toContain('hostname served now lost every upstream: api.example.com');
  });

  test("changing an app's addresses reconciles every cluster that uses it", async () => {
    await s.api('POST', '/api/clusters', { name: 'b2', hostnames: ['b2.example.com'] });
    await s.api('POST', '/api/clusters/b2/members', { app: 'my-rails-app' });
    const g1 = (await s.api('GET', '/api/clusters')).body.clusters.map((c: { generation: number }) => c.generation);
    const r = await s.api('PATCH', '/api/local/apps/my-rails-app', { addresses: ['127.0.0.1:3009'] });
    expect(r.status).toBe(200);
    const g2 = (await s.api('GET', '/api/clusters')).body.clusters.map((c: { generation: number }) => c.generation);
    expect(g2).toEqual(g1.map((g: number) => g + 1));
    expect(s.file('clusters', 'api', 'proxy.env')).toContain('CLUSTER_UPSTREAMS_API_EXAMPLE_COM="127.0.0.1:3009"');
    expect(s.file('clusters', 'b2', 'proxy.env')).toContain('CLUSTER_UPSTREAMS_B2_EXAMPLE_COM="127.0.0.1:3009"');
    // A change that does not touch routing leaves the generation alone.
    await s.api('PATCH', '/api/local/apps/my-rails-app', { deploy_cmd: 'make deploy' });
    expect((await s.api('GET', '/api/clusters')).body.clusters.map((c: { generation: number }) => c.generation)).toEqual(g2);
  });
});

describe('generation', () => {
  test('a standby (weight 0) upstream leaves the rendered files alone; it is a new generation (the agents probe it); show and status list it', async () => {
    // blue already routes api.example.com to my-rails-app; a weight-0 upstream next to it changes no file.
    const files = filesSnapshot();
    const gen = (await s.api('GET', '/api/clusters/api')).body.cluster.generation;
    const r = await s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', hostname: 'api.example.com', app: 'worker', weight: 0 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(filesSnapshot()).toEqual(files);
    expect((await s.api('GET', '/api/clusters/api')).body.cluster.generation).toBe(gen + 1);
    const show = (await s.api('GET', '/api/clusters/api')).body;
    expect(show.upstreams.map((u: { app: string | null; weight: number }) => [u.app, u.weight])).toContainEqual(['worker', 0]);
    const status = (await s.api('GET', '/api/clusters/api/status')).body;
    expect(JSON.stringify(status)).toContain('worker');
    // A routed change still moves it.
    expect((await s.api('PUT', '/api/clusters/api/members/worker/weight', { weight: 5 })).status).toBe(200);
    expect(s.file('clusters', 'api', 'proxy.env')).toContain('127.0.0.1:5001');
    expect((await s.api('GET', '/api/clusters/api')).body.cluster.generation).toBe(gen + 2);
  });
});
