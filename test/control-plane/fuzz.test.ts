// Hostile and malformed requests straight to the server (bodies, paths, queries, headers, methods):
// at least 600 of them, generated from a fixed seed (OWNSTACK_FUZZ_SEED picks another), each
// built to be refused, a dry run, or a read. None may be answered 5xx, crash the server or change
// anything on disk.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { routes, type Route } from '../../src/api/routes.js';
import { errorBody } from '../../src/api/schemas.js';
import { MAX_BODY_BYTES } from '../../src/control-plane/http/router.js';
import { dumpDb, removeHome, startTestServer, type TestServer } from './helpers.js';
import { rawRequest } from './helpers-raw.js';

const SEED = Number(process.env.OWNSTACK_FUZZ_SEED ?? 18_2026);
const RUNS = 600;

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  const ok = async (m: string, p: string, b?: unknown) => {
    const r = await s.api(m, p, b);
    expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
  };
  await ok('POST', '/api/clusters', { name: 'api', hostnames: ['api.example.com', 'app.example.com'], proxy_count: 2 });
  await ok('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 });
  await ok('POST', '/api/clusters/api/variants', { name: 'green', weight: 0 });
  await ok('POST', '/api/local/apps', { name: 'rails', addresses: ['127.0.0.1:3001'], deploy_cmd: 'true' });
  await ok('POST', '/api/clusters/api/members', { app: 'rails', variant: 'blue' });
  await ok('POST', '/api/clusters/api/upstreams', { variant: 'green', url: 'https://green.example.net' });
});
afterAll(async () => {
  await s.close();
  removeHome(s.home);
});

/** Every file of the state folder but the database (compared row by row) and its journal. */
function files(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path, `${rel}${name}/`);
      else if (!name.startsWith('state.db')) out[`${rel}${name}`] = readFileSync(path, 'utf8');
    }
  };
  walk(join(s.home, 'local'), '');
  return out;
}

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  why: string;
}

const VALID_PARAM: Record<string, string> = { cluster: 'api', hostname: 'api.example.com', variant: 'blue', app: 'rails', id: '1' };
const HOSTILE_PARAMS = [
  '..', '%2e%2e', '%2E%2e', '.', '%2e', '%2F', 'api%2F..', 'api%2fupstreams%2f1', '%5C', 'api%5C..', '%00', '%0a', '%0d%0aX-Injected:%201',
  '%1b%5B31m', '%', '%zz', '%ff', '%c0%ae%c0%ae', '%F0%9F%98%80', '%C7%98.com', '__proto__', 'constructor', 'prototype', '-1', '0', '1e3',
  '99999999999999999999999', 'api%3Fdry_run%3Dfalse', '%20', 'API', 'x'.repeat(3_000), 'a'.repeat(64), '1.0', '0x1', 'null', 'undefined',
];
const JUNK_TEXT = [
  '', '{', '}', '[', '{"a":', '[1,2', 'null', 'true', '"str"', '1e309', 'NaN', 'Infinity', '{"__proto__":{"polluted":1}}', '\ufeff{}', '{"a":1,"a":2}',
  '{"name":"x"}\n{"name":"y"}', "{'name':'x'}", '{"name":"\\ud800"}', '{"name":"x\u0000"}', '\u0000', 'SECRET-LOOKING-TEXT\n2026-01-01 forged line',
  `${'['.repeat(17)}${']'.repeat(17)}`, `${'['.repeat(100_000)}${']'.repeat(100_000)}`, `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
];

const json = fc.jsonValue({ maxDepth: 3 });
const routeList = Object.entries(routes) as [string, Route][];
const mutating = (m: string) => m !== 'GET' && m !== 'HEAD';

/** The body schema's top-level fields, to send them with the wrong types. */
function fieldsOf(route: Route): string[] {
  const shape = (route.body as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

const request: fc.Arbitrary<Req> = fc
  .record({
    route: fc.constantFrom(...routeList),
    hostileParam: fc.constantFrom(...HOSTILE_PARAMS),
    // Which refusal makes this request safe to send: every one of them must leave the state alone.
    how: fc.constantFrom('param', 'auth', 'host', 'body-unknown-field', 'body-junk', 'body-types', 'dry-run', 'query', 'method', 'content-type', 'idempotency-key', 'big'),
    jsonBody: json,
    junk: fc.constantFrom(...JUNK_TEXT),
    typed: fc.array(json, { minLength: 1, maxLength: 6 }),
    // Keys no route declares (a declared one such as with_proxy could make a request valid).
    queryKey: fc.constantFrom('dryrun', 'DRY_RUN', 'x', '__proto__', '%00', 'dry_run%00', 'with-proxy'),
    queryValue: fc.constantFrom('true', 'false', 'maybe', '', '-1', '1e99', '%0a', 'x'.repeat(500)),
    auth: fc.constantFrom('', 'Bearer', 'Bearer wrong-token', 'Basic dXNlcjpwYXNz', 'bearer  ', 'Bearer a b'),
    host: fc.constantFrom('evil.example', 'rebind.example:80', '127.0.0.1.evil.example', 'localhost.evil.example', '[::2]', '10.0.0.1'),
    // Methods no route has (PUT or PATCH could reach another route with a valid body).
    method: fc.constantFrom('OPTIONS', 'TRACE', 'FOO', 'PROPFIND', 'MKCOL', 'get'),
    contentType: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml'),
    key: fc.constantFrom(' spaced key', 'x'.repeat(300), 'cl\u00e9', ''),
    extraQuery: fc.boolean(),
  })
  .map((g): Req => {
    const [name, route] = g.route;
    const params = [...route.path.matchAll(/:([a-z_]+)/g)].map((m) => m[1]!);
    let how = g.how;
    // Fall back to a refusal that applies to this route.
    if (how === 'param' && params.length === 0) how = 'query';
    if (how.startsWith('body-') && route.body === undefined) how = mutating(route.method) ? 'dry-run' : 'query';
    if ((how === 'content-type' || how === 'idempotency-key') && route.method !== 'POST') how = 'auth';
    const hostile = how === 'param' ? params[g.hostileParam.length % params.length] : undefined;
    const path = route.path.replace(/:([a-z_]+)/g, (_, k: string) => (k === hostile ? g.hostileParam : VALID_PARAM[k]!));
    const query: string[] = [];
    if (how === 'dry-run') query.push('dry_run=true');
    if (how === 'query') query.push(`${g.queryKey}=${g.queryValue}`);
    if (g.extraQuery && how !== 'dry-run') query.push(`${g.queryKey}=${g.queryValue}`);
    const headers: Record<string, string> = { authorization: `Bearer ${s.cp.token}` };
    if (how === 'auth') {
      if (g.auth === '') delete headers.authorization;
      else headers.authorization = g.auth;
    }
    if (how === 'host') headers.host = g.host;
    let method = route.method as string;
    if (how === 'method') method = g.method;
    let body: string | undefined;
    if (route.body !== undefined) {
      headers['content-type'] = 'application/json';
      const fields = fieldsOf(route);
      if (how === 'body-unknown-field') body = JSON.stringify({ ...(typeof g.jsonBody === 'object' && g.jsonBody !== null && !Array.isArray(g.jsonBody) ? g.jsonBody : {}), zz_fuzz_field: g.jsonBody });
      else if (how === 'body-junk') body = g.junk === '' ? '[]' : g.junk;
      else if (how === 'body-types') {
        // Known fields with values of any type, and a dry_run that is not a boolean (refused on every route).
        body = JSON.stringify({ ...Object.fromEntries(fields.map((f, i) => [f, g.typed[i % g.typed.length]])), dry_run: 'yes' });
      } else body = JSON.stringify(g.jsonBody);
      if (how === 'content-type') headers['content-type'] = g.contentType;
    }
    if (how === 'idempotency-key') headers['idempotency-key'] = g.key;
    if (how === 'big') {
      headers['content-type'] = 'application/json';
      body = `{"name":"${'x'.repeat(MAX_BODY_BYTES)}"}`;
    }
    const target = `${path}${query.length > 0 ? `?${query.join('&')}` : ''}`;
    return { method, path: target, headers, ...(body === undefined ? {} : { body }), why: `${name} (${how})` };
  });

test(`${RUNS} hostile requests: no 5xx, no crash, nothing changed on disk (seed ${SEED})`, async () => {
  const db = dumpDb(s.home);
  const before = files();
  const requests = fc.sample(request, { numRuns: RUNS, seed: SEED });
  const problems: string[] = [];
  const statuses = new Map<number, number>();
  for (const r of requests) {
    let res;
    try {
      res = await rawRequest(s.cp.url, r.method, r.path, { headers: r.headers, ...(r.body === undefined ? {} : { body: r.body }) });
    } catch (err) {
      // A body refused before it was read may reset the connection under the client's feet.
      const code = (err as NodeJS.ErrnoException).code;
      if (r.body !== undefined && r.body.length > MAX_BODY_BYTES && (code === 'EPIPE' || code === 'ECONNRESET')) continue;
      problems.push(`${r.method} ${r.path.slice(0, 120)} [${r.why}]: ${code ?? (err as Error).message}`);
      continue;
    }
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500) problems.push(`${r.method} ${r.path.slice(0, 120)} [${r.why}]: ${res.status} ${res.text.slice(0, 300)}`);
    else if (res.status >= 400 && r.method !== 'HEAD' && !errorBody.safeParse(res.body).success) problems.push(`${r.method} ${r.path.slice(0, 120)} [${r.why}]: ${res.status} without the error body`);
  }
  console.log(`fuzz: ${requests.length} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  expect(problems).toEqual([]);
  expect(requests.length).toBeGreaterThanOrEqual(500);
  // Still serving, nothing logged as an internal error, and the state is exactly as it was.
  expect((await s.api('GET', '/api/health')).status).toBe(200);
  expect((await s.api('GET', '/api/clusters/api')).status).toBe(200);
  expect(s.logs.filter((l) => / 5\d\d[: ]|internal error/.test(l))).toEqual([]);
  expect(dumpDb(s.home)).toEqual(db);
  expect(files()).toEqual(before);
}, 120_000);
