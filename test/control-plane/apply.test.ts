// POST /api/clusters/:cluster/apply and GET …/export against a real control plane (no proxies):
// creating a cluster from a document, the diff by name, one generation per apply, no-op re-applies,
// dry runs that change nothing, and the refusals (validation 400, gates 409, unknown apps 404).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpDb, removeHome, startTestServer, type TestServer } from './helpers.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  for (const [name, addr] of [['blue-1', '127.0.0.1:3001'], ['blue-2', '127.0.0.1:3002'], ['green-1', '127.0.0.1:3003']] as const) {
    expect((await s.api('POST', '/api/local/apps', { name, addresses: [addr] })).status).toBe(201);
  }
});
afterAll(async () => {
  await s.close();
  removeHome(s.home);
});

const base = () => ({
  name: 'web',
  edge: 'dns_rr',
  proxy_count: 2,
  health: { path: '/up', interval: '5s', timeout: '2s' },
  hostnames: ['a.example.com', 'b.example.com'],
  variants: [
    { name: 'blue', weight: 100, status: 'active', description: 'current' },
    { name: 'green', weight: 0, status: 'active', description: '' },
  ],
  upstreams: [
    { variant: 'blue', app: 'blue-1', weight: 100, status: 'active' },
    { variant: 'blue', app: 'blue-2', hostname: 'b.example.com', weight: 50, status: 'active' },
    { variant: 'green', app: 'green-1', weight: 100, status: 'active' },
    { variant: 'green', url: 'https://green.example.net', hostname: 'a.example.com', weight: 100, status: 'active', host_header: 'a.example.com' },
  ],
});

const apply = (doc: unknown, opts: { dry_run?: boolean; force?: boolean } = {}, cluster = 'web') => s.api('POST', `/api/clusters/${cluster}/apply`, { document: doc, ...opts });

describe('apply creates, export round-trips', () => {
  it('a dry run of a cluster that does not exist changes nothing and shows the whole plan', async () => {
    const before = dumpDb(s.home);
    const r = await apply(base(), { dry_run: true });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ cluster: 'web', created: true, changed: true, generation: 0 });
    expect(r.body.plan.applied).toBe(false);
    expect(r.body.changes.hostnames.added).toEqual(['a.example.com', 'b.example.com']);
    expect(r.body.changes.upstreams.added).toHaveLength(4);
    expect(r.body.plan.env.find((e: any) => e.hostname === 'b.example.com')).toMatchObject({ before: null, changed: true });
    expect(dumpDb(s.home)).toEqual(before);
    expect((await s.api('GET', '/api/clusters/web')).status).toBe(404);
  });

  it('creates the cluster in one generation; export gives the document back', async () => {
    const r = await apply(base());
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ cluster: 'web', created: true, changed: true, generation: 1 });
    const ex = await s.api('GET', '/api/clusters/web/export');
    expect(ex.status).toBe(200);
    expect(ex.body).toEqual({
      ...base(),
      edge_config: {},
      proxy_app: null,
      upstreams: [
        { variant: 'blue', app: 'blue-1', weight: 100, status: 'active' },
        { variant: 'blue', hostname: 'b.example.com', app: 'blue-2', weight: 50, status: 'active' },
        { variant: 'green', app: 'green-1', weight: 100, status: 'active' },
        { variant: 'green', hostname: 'a.example.com', url: 'https://green.example.net', weight: 100, status: 'active', host_header: 'a.example.com' },
      ],
      members: [
        { app: 'blue-1', variants: ['blue'], status: 'active' },
        { app: 'blue-2', variants: ['blue'], status: 'active' },
        { app: 'green-1', variants: ['green'], status: 'active' },
      ],
    });
    // Applying the export again: nothing changes, no new generation.
    const again = await apply(ex.body);
    expect(again.body).toMatchObject({ created: false, changed: false, generation: 1 });
    expect(again.body.plan.env.every((e: any) => !e.changed)).toBe(true);
    expect((await s.api('GET', '/api/clusters/web')).body.cluster.generation).toBe(1);
  });

  it('changes by name in one generation: hostnames, variants, upstreams, health', async () => {
    const doc = base();
    doc.health.interval = '10s';
    doc.hostnames = ['b.example.com', 'c.example.com'];
    doc.variants = [{ name: 'blue', weight: 0, status: 'active', description: 'old' }, { name: 'green', weight: 100, status: 'active', description: '' }];
    doc.upstreams = [
      { variant: 'blue', app: 'blue-1', weight: 100, status: 'draining' },
      { variant: 'green', app: 'green-1', weight: 100, status: 'active' },
      { variant: 'green', app: 'blue-2', hostname: 'c.example.com', weight: 10, status: 'active' },
    ];
    const r = await apply(doc);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.generation).toBe(2);
    expect(r.body.changes).toEqual({
      settings: [{ field: 'health.interval', before: '5s', after: '10s' }],
      hostnames: { added: ['c.example.com'], removed: ['a.example.com'] },
      variants: {
        added: [],
        updated: [
          { name: 'blue', fields: [{ field: 'weight', before: '100', after: '0' }, { field: 'description', before: 'current', after: 'old' }] },
          { name: 'green', fields: [{ field: 'weight', before: '0', after: '100' }] },
        ],
        removed: [],
      },
      upstreams: {
        added: [{ variant: 'green', hostname: 'c.example.com', url: null, app: 'blue-2' }],
        updated: [{ variant: 'blue', hostname: null, url: null, app: 'blue-1', fields: [{ field: 'status', before: 'active', after: 'draining' }] }],
        removed: [
          { variant: 'blue', hostname: 'b.example.com', url: null, app: 'blue-2' },
          { variant: 'green', hostname: 'a.example.com', url: 'https://green.example.net', app: null },
        ],
      },
    });
    const env = s.file('clusters', 'web', 'proxy.env');
    // green (100) takes every hostname: green-1 everywhere, plus blue-2 (weight 10) on c only.
    expect(env).toContain(`CLUSTER_UPSTREAMS_C_EXAMPLE_COM="${'127.0.0.1:3003 '.repeat(10)}127.0.0.1:3002"`);
    expect(env).toContain('CLUSTER_UPSTREAMS_B_EXAMPLE_COM="127.0.0.1:3003"');
    expect(env).not.toContain('A_EXAMPLE_COM');
  });
});

/** The current document of web, as export answers it. */
const current = async () => (await s.api('GET', '/api/clusters/web/export')).body;

describe('refused: nothing changes, the error names the path in the document', () => {
  const unchanged = async (r: { status: number; body: any }, status: number, error: Record<string, unknown>) => {
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.body.error).toMatchObject(error);
  };

  it.each([
    ['a weight out of range', (d: any) => (d.variants[1].weight = 2000), { code: 'invalid', field: 'document.variants[1].weight', value: '2000', rule: expect.stringMatching(/0 to 1000/) }],
    ['an unknown field, with a did-you-mean', (d: any) => (d.variants[0].wieght = 5), { field: 'document.variants[0].wieght', message: expect.stringContaining('did you mean weight?'), hint: 'weight' }],
    ['an upstream of a variant the file does not list', (d: any) => (d.upstreams[0].variant = 'red'), { field: 'document.upstreams[0].variant', value: 'red', rule: expect.stringContaining('blue, green') }],
    ['an upstream for a hostname the file does not list', (d: any) => (d.upstreams[0].hostname = 'z.example.com'), { field: 'document.upstreams[0].hostname' }],
    ['an upstream listed twice', (d: any) => d.upstreams.push({ ...d.upstreams[0] }), { field: 'document.upstreams[3]', rule: expect.stringContaining('upstreams[0]') }],
    ['both url and app', (d: any) => (d.upstreams[0].url = 'https://x.example.net'), { field: 'document.upstreams[0].url', rule: 'give exactly one of url or app' }],
    ['a hostname twice', (d: any) => d.hostnames.push(d.hostnames[0]), { field: 'document.hostnames[2]' }],
    ['a variant twice', (d: any) => d.variants.push({ name: 'blue' }), { field: 'document.variants[2].name' }],
    ['members that do not follow from the upstreams', (d: any) => (d.members[0].status = d.members[0].status === 'active' ? 'draining' : 'active'), { field: 'document.members[0].status', rule: expect.stringContaining('set status on its upstreams') }],
    ['an app with upstreams missing from members', (d: any) => d.members.pop(), { field: 'document.members', rule: expect.stringContaining('has upstreams but is not listed') }],
    ['a health timeout not shorter than the interval', (d: any) => (d.health.timeout = '20s'), { field: 'document.health.timeout' }],
    ['a missing list', (d: any) => delete d.upstreams, { field: 'document.upstreams', rule: 'a value is required' }],
  ])('400: %s', async (_, edit, error) => {
    const doc = await current();
    const db = dumpDb(s.home);
    edit(doc);
    await unchanged(await apply(doc), 400, error);
    expect(dumpDb(s.home)).toEqual(db);
  });

  it.each([
    ['another edge mode', (d: any) => (d.edge = 'none'), { field: 'document.edge', value: 'none', rule: expect.stringContaining('cannot change in place') }],
    ['another edge setting', (d: any) => (d.edge_config = { dns_provider: 'rfc2136', dns_server: '127.0.0.1:5353', dns_zone: 'example.com', dns_tsig_name: 'k.', dns_tsig_secret: 'c2VjcmV0c2VjcmV0' }), { field: 'document.edge_config.dns_provider' }],
    ['another proxy count', (d: any) => (d.proxy_count = 3), { field: 'document.proxy_count', value: '3', hint: expect.stringContaining('cluster update') }],
    ['another proxy app', (d: any) => (d.proxy_app = 'blue-1'), { field: 'document.proxy_app' }],
  ])('409: %s cannot change in place', async (_, edit, error) => {
    const doc = await current();
    const db = dumpDb(s.home);
    edit(doc);
    await unchanged(await apply(doc), 409, { code: 'conflict', ...error });
    expect(dumpDb(s.home)).toEqual(db);
  });

  it('404: an app that does not exist, with candidates', async () => {
    const doc = await current();
    doc.upstreams.push({ variant: 'blue', app: 'blue-3' });
    delete doc.members;
    await unchanged(await apply(doc), 404, { code: 'not_found', field: 'document.upstreams[3].app', value: 'blue-3', candidates: expect.arrayContaining(['blue-1']) });
  });

  it("409: a hostname of another cluster (checked for every new hostname in one query)", async () => {
    expect((await s.api('POST', '/api/clusters', { name: 'other', edge: 'none', hostnames: ['taken.example.com'] })).status).toBe(201);
    const doc = await current();
    doc.hostnames.push('taken.example.com');
    await unchanged(await apply(doc), 409, { field: 'document.hostnames[2]', value: 'taken.example.com', message: expect.stringContaining('cluster other') });
  });

  it('400: a document for another cluster than the path names', async () => {
    const doc = await current();
    doc.name = 'elsewhere';
    await unchanged(await apply(doc), 400, { field: 'document.name', value: 'elsewhere' });
  });

  it('409 unless force: a served hostname left with no upstream; dry runs show the refusal too', async () => {
    const doc = await current();
    doc.upstreams = doc.upstreams.filter((u: any) => u.hostname !== 'c.example.com' && u.app !== 'green-1');
    delete doc.members;
    const gen = (await s.api('GET', '/api/clusters/web')).body.cluster.generation;
    for (const dry_run of [true, false]) {
      await unchanged(await apply(doc, { dry_run }), 409, { code: 'conflict', field: 'document.upstreams', details: { hostnames: ['b.example.com', 'c.example.com'] }, hint: expect.stringContaining('--force') });
    }
    const forced = await apply(doc, { force: true });
    expect(forced.status).toBe(200);
    expect(forced.body.generation).toBe(gen + 1);
    expect(forced.body.plan.warnings).toContain('forced: b.example.com, c.example.com now has no upstream');
  });

  it('409: a deploy in progress', async () => {
    const doc = await current();
    doc.upstreams = [{ variant: 'green', app: 'green-1', weight: 100, status: 'active' }];
    delete doc.members;
    expect((await apply(doc)).status).toBe(200);
    const d = await s.api('POST', '/api/clusters/web/deploys', {});
    expect(d.status).toBe(202);
    doc.variants[0].description = 'during the deploy';
    await unchanged(await apply(doc), 409, { message: expect.stringContaining(`deploy in progress (${d.body.id}`) });
    expect((await s.api('POST', `/api/clusters/web/deploys/${d.body.id}/abort`, {})).status).toBe(202);
    expect((await apply(doc)).status).toBe(200);
  });
});

describe('secrets', () => {
  it('export leaves them out; apply keeps the stored one, refuses another, creates with one', async () => {
    const { openDatabase } = await import('../../src/control-plane/store/db.js');
    const { Store } = await import('../../src/control-plane/store/store.js');
    const { Service } = await import('../../src/control-plane/service/service.js');
    const { noopRuntime, Reconciler } = await import('../../src/control-plane/runtime/reconcile.js');
    const { applyCluster, exportCluster } = await import('../../src/control-plane/service/cluster-apply.js');
    const { clusterApplyRequest } = await import('../../src/api/schemas.js');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'ownstack-apply-'));
    const store = new Store(openDatabase(join(dir, 'state.db')));
    const svc = new Service(store, new Reconciler(store, dir, noopRuntime, () => undefined));
    const token = 'a'.repeat(40);
    const zone = '0123456789abcdef0123456789abcdef';
    const req = (document: unknown) => clusterApplyRequest.parse({ document });
    const none = () => undefined;
    const created = applyCluster(svc, 'cf', req({ name: 'cf', edge: 'cloudflare', edge_config: { cloudflare_zone_id: zone, cloudflare_api_token: token }, hostnames: ['cf.example.com'], variants: [], upstreams: [] }), none);
    expect(created.body).toMatchObject({ created: true, generation: 1 });
    const doc = exportCluster(store, store.cluster('cf'));
    expect(doc.edge_config).toEqual({ cloudflare_zone_id: zone });
    expect(JSON.stringify(doc)).not.toContain(token);
    // Without the token: kept. With the same: fine. With another: refused, the value hidden.
    expect(applyCluster(svc, 'cf', req({ ...doc, variants: [{ name: 'blue' }] }), none).body.changed).toBe(true);
    expect(applyCluster(svc, 'cf', req({ ...doc, variants: [{ name: 'blue' }], edge_config: { cloudflare_zone_id: zone, cloudflare_api_token: token } }), none).body.changed).toBe(false);
    expect(() => applyCluster(svc, 'cf', req({ ...doc, edge_config: { cloudflare_zone_id: zone, cloudflare_api_token: 'b'.repeat(40) } }), none)).toThrow(
      expect.objectContaining({ status: 409, body: expect.objectContaining({ field: 'document.edge_config.cloudflare_api_token', value: '(hidden)' }) }),
    );
    expect(JSON.parse(store.clusterByName('cf')!.edge_config).cloudflare_api_token).toBe(token);
    // Creating needs it: the create request's rule, named in the document.
    expect(() => applyCluster(svc, 'cf2', req({ ...doc, name: 'cf2', hostnames: [] }), none)).toThrow(
      expect.objectContaining({ status: 400, body: expect.objectContaining({ field: 'document.edge_config.cloudflare_api_token', message: expect.stringContaining('does not exist yet') }) }),
    );
  });
});

describe('the server names a typo before the field it left missing', () => {
  it('400: unknown field document.variants[1].nmae (not "missing name")', async () => {
    const doc = await current();
    doc.variants[1] = { nmae: 'green' };
    const r = await apply(doc);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ field: 'document.variants[1].nmae', hint: 'name', details: { issues: expect.arrayContaining([expect.objectContaining({ field: 'document.variants[1].name' })]) } });
  });
});
