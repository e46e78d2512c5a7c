// The path as sent is what is routed (no `..` resolution), a dry run never changes anything on
// any route (or is refused), unknown query parameters are refused, and server.log names the
// route and parameters actually served, one line per request.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { routes, type RouteName } from '../../src/api/routes.js';
import { dumpDb, removeHome, startTestServer, type TestServer } from './helpers.js';
import { rawRequest } from './helpers-raw.js';

let s: TestServer;

beforeEach(async () => {
  s = await startTestServer();
  const ok = async (m: string, p: string, b?: unknown) => {
    const r = await s.api(m, p, b);
    expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
  };
  await ok('POST', '/api/clusters', { name: 'c1', hostnames: ['api.example.com', 'app.example.com'] });
  await ok('POST', '/api/clusters', { name: 'c2', hostnames: ['c2.example.com'] });
  await ok('POST', '/api/clusters/c1/variants', { name: 'blue', weight: 100 });
  await ok('POST', '/api/clusters/c1/variants', { name: 'green', weight: 0 });
  await ok('POST', '/api/local/apps', { name: 'rails', addresses: ['127.0.0.1:3001'] });
  await ok('POST', '/api/local/apps', { name: 'worker', addresses: ['127.0.0.1:5001'] });
  await ok('POST', '/api/clusters/c1/members', { app: 'rails', variant: 'blue' });
  await ok('POST', '/api/clusters/c1/upstreams', { variant: 'green', url: 'https://green.example.net' });
  await ok('POST', '/api/clusters/c1/deploys', {});
  // A host under maintenance with nothing on it: maintenance end has something to preview.
  await ok('POST', '/api/maintenance/10.9.9.9/start', {});
});
afterEach(async () => {
  await s.close();
  removeHome(s.home);
});

/** Every file under clusters/ (the database is compared with dumpDb). */
function files(): Record<string, string> {
  const root = join(s.home, 'local', 'clusters');
  const out: Record<string, string> = {};
  for (const c of readdirSync(root)) for (const f of readdirSync(join(root, c))) out[`${c}/${f}`] = readFileSync(join(root, c, f), 'utf8');
  return out;
}

const send = (method: string, path: string, body?: unknown) =>
  rawRequest(s.cp.url, method, path, {
    headers: { authorization: `Bearer ${s.cp.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('routing on the raw path', () => {
  test.each([
    ['DELETE', '/api/clusters/c1/upstreams/..?dry_run=true'],
    ['DELETE', '/api/clusters/c1/upstreams/%2e%2e?dry_run=true'],
    ['DELETE', '/api/clusters/c1/upstreams/%2E%2E'],
    ['DELETE', '/api/clusters/c1/upstreams/.'],
    ['DELETE', '/api/clusters/c1/variants/%2e'],
    ['DELETE', '/api/clusters/c2/domains/..'],
    ['GET', '/api/clusters/c1/../c2'],
    ['GET', '/api/./clusters'],
  ])('%s %s: 400 (a dot segment), nothing changed', async (method, path) => {
    const db = dumpDb(s.home);
    const r = await send(method, path);
    expect(r.status, r.text).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid', field: 'path', rule: expect.stringContaining('no . or .. segments') });
    expect(dumpDb(s.home)).toEqual(db);
    expect((await s.api('GET', '/api/clusters/c1')).status).toBe(200);
  });

  test.each([
    ['DELETE', '/api/clusters/c1%2Fupstreams%2F1', 'cluster'],
    ['DELETE', '/api/clusters/c1/variants/blue%2f..', 'variant'],
    ['DELETE', '/api/clusters/c1/members/rails%5C..', 'app'],
    ['GET', '/api/local/apps/rails%0aworker', 'app'],
  ])('%s %s: 400 naming the parameter (encoded slash, backslash or control character)', async (method, path, field) => {
    const db = dumpDb(s.home);
    const r = await send(method, path);
    expect(r.status, r.text).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid', field });
    expect(dumpDb(s.home)).toEqual(db);
  });

  test('an empty upstream id does not reach the cluster', async () => {
    const db = dumpDb(s.home);
    const r = await send('DELETE', '/api/clusters/c1/upstreams/');
    // The trailing slash goes: DELETE /api/clusters/c1/upstreams is not a route.
    expect(r.status).toBe(405);
    expect(dumpDb(s.home)).toEqual(db);
  });
});

/** A valid request for every route that changes something. */
const mutations: Record<string, [method: string, path: string, body?: Record<string, unknown>]> = {
  clusterCreate: ['POST', '/api/clusters', { name: 'c3' }],
  clusterUpdate: ['PATCH', '/api/clusters/c1', { health: { path: '/up' }, proxy_count: 2 }],
  clusterDestroy: ['DELETE', '/api/clusters/c2'],
  domainAdd: ['POST', '/api/clusters/c1/domains', { hostname: 'www.example.com' }],
  domainRemove: ['DELETE', '/api/clusters/c1/domains/app.example.com'],
  variantAdd: ['POST', '/api/clusters/c1/variants', { name: 'canary', weight: 10 }],
  variantUpdate: ['PATCH', '/api/clusters/c1/variants/green', { weight: 50 }],
  variantRemove: ['DELETE', '/api/clusters/c1/variants/green'],
  upstreamAdd: ['POST', '/api/clusters/c1/upstreams', { variant: 'blue', url: 'https://extra.example.net' }],
  upstreamRemove: ['DELETE', '/api/clusters/c1/upstreams/2'],
  switch: ['POST', '/api/clusters/c1/switch', { to: 'green' }],
  clusterApply: ['POST', '/api/clusters/c9/apply', { document: { name: 'c9', edge: 'none', hostnames: ['c9.example.com'], variants: [{ name: 'blue', weight: 100 }], upstreams: [] } }],
  memberAdd: ['POST', '/api/clusters/c1/members', { app: 'worker', variant: 'blue' }],
  memberDrain: ['POST', '/api/clusters/c1/members/rails/drain', {}],
  memberUndrain: ['POST', '/api/clusters/c1/members/rails/undrain', {}],
  memberWeight: ['PUT', '/api/clusters/c1/members/rails/weight', { weight: 0 }],
  memberRemove: ['DELETE', '/api/clusters/c1/members/rails'],
  deployStart: ['POST', '/api/clusters/c2/deploys', {}],
  deployAbort: ['POST', '/api/clusters/c1/deploys/1/abort', {}],
  maintenanceStart: ['POST', '/api/maintenance/127.0.0.1/start', { force: true }],
  maintenanceEnd: ['POST', '/api/maintenance/10.9.9.9/end', {}],
  appCreate: ['POST', '/api/local/apps', { name: 'new-app', addresses: [] }],
  appUpdate: ['PATCH', '/api/local/apps/worker', { addresses: ['127.0.0.1:5002'] }],
  appRemove: ['DELETE', '/api/local/apps/worker'],
  dashboardLink: ['POST', '/api/dashboard/links', {}],
  tokenCreate: ['POST', '/api/tokens', { name: 'ci' }],
  tokenRevoke: ['DELETE', '/api/tokens/1'],
  agentReport: [
    'POST',
    '/api/clusters/c1/agent/report',
    {
      name: 'edge-1', cluster: 'c1', agent_version: '0.1.0', caddy_version: '2.6.2', host: 'h', public_address: '203.0.113.10', listen: '0.0.0.0:80', instance_id: null,
      pid: 1, proxy_pid: 2, state: 'running', applied_generation: 1, refused: null, healthz: 'ok', last_error: null, probes: [], fallbacks: [],
    },
  ],
};

describe('dry_run on every mutating route', () => {
  test('the table covers every route that is not a GET', () => {
    const mutating = (Object.keys(routes) as RouteName[]).filter((n) => routes[n].method !== 'GET').sort();
    expect(Object.keys(mutations).sort()).toEqual(mutating);
  });

  test.each(Object.entries(mutations))('%s with ?dry_run=true: previewed with nothing changed, or refused', async (name, [method, path, body]) => {
    const db = dumpDb(s.home);
    const before = files();
    const r = await send(method, `${path}?dry_run=true`, body);
    const route = routes[name as RouteName] as { dryRun?: boolean };
    if (route.dryRun) {
      expect(r.status, r.text).toBe(200);
      if (r.body.plan) expect(r.body.plan.applied).toBe(false);
    } else {
      expect(r.status, r.text).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'invalid', field: 'dry_run', message: expect.stringContaining('has no dry run') });
    }
    expect(dumpDb(s.home)).toEqual(db);
    expect(files()).toEqual(before);
  });

  test.each(Object.entries(mutations).filter(([, [m]]) => m !== 'DELETE'))('%s with dry_run: true in the body: previewed or refused, nothing changed', async (name, [method, path, body]) => {
    const db = dumpDb(s.home);
    const r = await send(method, path, { ...body, dry_run: true });
    const route = routes[name as RouteName] as { dryRun?: boolean };
    expect(r.status, r.text).toBe(route.dryRun ? 200 : 400);
    if (!route.dryRun) expect(r.body.error.field).toBe('dry_run');
    expect(dumpDb(s.home)).toEqual(db);
  });

  test('a cluster destroy dry run answers the cluster and keeps it', async () => {
    const r = await send('DELETE', '/api/clusters/c2?dry_run=true');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'c2', hostnames: ['c2.example.com'] });
    expect((await s.api('GET', '/api/clusters/c2')).status).toBe(200);
    expect(readdirSync(join(s.home, 'local', 'clusters'))).toContain('c2');
  });

  test('?dry_run=false on a route without dry run is the real call', async () => {
    const r = await send('POST', '/api/local/apps?dry_run=false', { name: 'plain', addresses: [] });
    expect(r.status, r.text).toBe(201);
  });

  test('a dry run and the real call are different requests for an Idempotency-Key', async () => {
    const key = { authorization: `Bearer ${s.cp.token}`, 'content-type': 'application/json', 'idempotency-key': 'k-dry-1' };
    const body = JSON.stringify({ name: 'canary', weight: 10 });
    const dry = await rawRequest(s.cp.url, 'POST', '/api/clusters/c1/variants?dry_run=true', { headers: key, body });
    expect(dry.status).toBe(200);
    const real = await rawRequest(s.cp.url, 'POST', '/api/clusters/c1/variants', { headers: key, body });
    // Not the stored dry run replayed as if the change had been made.
    expect(real.headers['idempotent-replayed']).toBeUndefined();
    expect(real.status).toBe(422);
  });
});

describe('query parameters', () => {
  test('an unknown one is refused with a did-you-mean, nothing destroyed', async () => {
    const db = dumpDb(s.home);
    const r = await send('DELETE', '/api/clusters/c2?dryrun=true');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ field: 'dryrun', hint: 'dry_run', message: expect.stringContaining('unknown query parameter "dryrun"') });
    expect(dumpDb(s.home)).toEqual(db);
  });

  test('one given twice is refused', async () => {
    const db = dumpDb(s.home);
    const r = await send('DELETE', '/api/clusters/c2?dry_run=true&dry_run=false');
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('dry_run');
    expect(dumpDb(s.home)).toEqual(db);
  });

  test('a GET takes none it does not declare', async () => {
    const r = await send('GET', '/api/clusters?verbose=1');
    expect(r.status).toBe(400);
    expect(r.body.error.rule).toBe('GET /api/clusters takes no query parameters');
  });
});

describe('server.log', () => {
  test('names the route template and the decoded parameters served', async () => {
    await send('DELETE', '/api/clusters/c1/upstreams/2?dry_run=true');
    await send('DELETE', '/api/clusters/c1/variants/gr%65en?dry_run=true');
    expect(s.logs).toContainEqual(expect.stringMatching(/^DELETE \/api\/clusters\/:cluster\/upstreams\/:id cluster="c1" id="2" dry_run 200 \d+ms$/));
    expect(s.logs).toContainEqual(expect.stringMatching(/^DELETE \/api\/clusters\/:cluster\/variants\/:variant cluster="c1" variant="green" dry_run 200 \d+ms$/));
  });

  test('nothing a client sends starts a new line', async () => {
    const forged = '\n2026-01-01T00:00:00.000Z DELETE /api/clusters/c1 200 1ms';
    await rawRequest(s.cp.url, 'POST', '/api/local/apps', { headers: { authorization: `Bearer ${s.cp.token}`, 'content-type': 'application/json' }, body: `{"name": "x"${forged}` });
    await rawRequest(s.cp.url, 'POST', '/api/local/apps', { headers: { authorization: `Bearer ${s.cp.token}`, 'content-type': 'application/json' }, body: `x${forged}` });
    await send('POST', '/api/local/apps', { name: `bad${forged}` });
    await send('GET', `/api/local/apps/${encodeURIComponent(`x${forged}`)}`);
    await send('GET', `/api/clusters/${encodeURIComponent(`\u001b]0;title\u0007${forged}`)}/status`);
    await send('GET', `/api/clusters/${encodeURIComponent('gpj.\u202eexe')}/status`);
    for (const line of s.logs) {
      expect(line).not.toMatch(/[\n\r\u001b\u0007\u202e]/);
    }
    // The forged text is there, escaped, inside the line of the request that carried it.
    expect(s.logs.some((l) => l.includes('\\n2026-01-01T00:00:00.000Z DELETE'))).toBe(true);
  });

  test('a JSON syntax error quotes no part of the body', async () => {
    const r = await rawRequest(s.cp.url, 'POST', '/api/local/apps', { headers: { authorization: `Bearer ${s.cp.token}`, 'content-type': 'application/json' }, body: '{"name": "x", "deploy_cmd": "SECRET-IN-BODY' });
    expect(r.status).toBe(400);
    const r2 = await rawRequest(s.cp.url, 'POST', '/api/local/apps', { headers: { authorization: `Bearer ${s.cp.token}`, 'content-type': 'application/json' }, body: 'SECRET-IN-BODY' });
    expect(r2.status).toBe(400);
    expect(r2.text).not.toContain('SECRET-IN-BODY');
    expect(r.text).not.toContain('SECRET-IN-BODY');
    expect(s.logs.join('\n')).not.toContain('SECRET-IN-BODY');
  });
});

test('a DELETE with a body is refused, not run with the body ignored', async () => {
  const db = dumpDb(s.home);
  const r = await send('DELETE', '/api/clusters/c2', { dry_run: true });
  expect(r.status).toBe(400);
  expect(r.body.error).toMatchObject({ field: 'body', message: 'DELETE /api/clusters/:cluster takes no body (a dry run is ?dry_run=true)' });
  expect(dumpDb(s.home)).toEqual(db);
});
