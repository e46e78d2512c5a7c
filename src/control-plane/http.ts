// The HTTP layer on node:http, driven by the endpoint table in src/api/routes.ts: route
// matching, bearer auth, body limits, validation with the contract's schemas, idempotent POSTs,
// the one error body, and server-sent events for deploy logs.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { routes, type RouteName, type Route } from '../api/routes.js';
import type { ErrorBody } from '../api/schemas.js';
import { issuePath, issueToDetails } from '../inputs/parse.js';
import type { DeployService } from './deploys.js';
import { FINISHED_STATES } from './deploys.js';
import { HttpError, invalid } from './http-error.js';
import { IdempotencyStore, parseIdempotencyKey, requestHash } from './idempotency.js';
import type { Reconciler } from './reconcile.js';
import type { Outcome, Service } from './service.js';
import { clusterStatus, proxyConfig } from './status.js';
import { parseId } from './deploys.js';
import { didYouMean } from './suggest.js';

export const MAX_BODY_BYTES = 1024 * 1024;
/** Create-time edge checks: total backoff between retries, and the whole check. */
export const EDGE_VERIFY_RETRY_BUDGET_MS = 3_000;
export const EDGE_VERIFY_TIMEOUT_MS = 20_000;
const SSE_HEARTBEAT_MS = 15_000;

export interface HttpDeps {
  service: Service;
  deploys: DeployService;
  reconciler: Reconciler;
  idempotency: IdempotencyStore;
  token: string;
  stateDir: string;
  version: string;
  log: (line: string) => void;
  /** Builds the OpenAPI document (loaded lazily: only GET /api/openapi.json needs it). */
  openapi: () => Promise<unknown>;
}

/** What a handler sees: decoded path parameters, the query, the validated body. */
interface Ctx {
  params: Record<string, string>;
  query: URLSearchParams;
  // The validated body: its type is the route's schema output, checked by the schema at runtime.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  dryRun: boolean;
}

interface Handler {
  /** Async work before the transaction (e.g. verifying edge credentials). */
  prepare?: (ctx: Ctx) => Promise<void>;
  /** The synchronous operation; runs inside the request's transaction. */
  run?: (ctx: Ctx) => Outcome<unknown>;
  /** Read-only operations that need I/O (status). */
  read?: (ctx: Ctx) => Promise<unknown>;
  /** Streaming responses (SSE). */
  stream?: (ctx: Ctx, req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

interface CompiledRoute {
  name: RouteName;
  route: Route;
  regex: RegExp;
  keys: string[];
}

function compile(): CompiledRoute[] {
  return (Object.keys(routes) as RouteName[]).map((name) => {
    const route = routes[name] as Route;
    const keys: string[] = [];
    const pattern = route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:([a-z_]+)/g, (_, k: string) => {
      keys.push(k);
      return '([^/]+)';
    });
    return { name, route, regex: new RegExp(`^${pattern}$`), keys };
  });
}

/** The request listener of the control plane, plus a close() that ends open event streams. */
export function createRequestHandler(deps: HttpDeps): { listener: (req: IncomingMessage, res: ServerResponse) => void; close(): void } {
  const compiled = compile();
  const handlers = buildHandlers(deps);
  const streams = new Set<() => void>();
  const tokenDigest = sha256(deps.token);
  const ctxStreams = { streams };

  const authorised = (req: IncomingMessage): void => {
    const header = req.headers.authorization;
    if (header === undefined || header === '') {
      throw new HttpError(401, {
        code: 'unauthorized',
        message: 'missing bearer token',
        field: 'Authorization',
        rule: 'send Authorization: Bearer <token>',
        hint: `the local token is in ${deps.stateDir}/token (ownstack local prints the URL and token)`,
      });
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m || !timingSafeEqual(sha256(m[1]!), tokenDigest)) {
      throw new HttpError(401, {
        code: 'unauthorized',
        message: m ? 'invalid bearer token' : 'the Authorization header must be "Bearer <token>"',
        field: 'Authorization',
        rule: 'the token in the state folder of this control plane',
        hint: `the local token is in ${deps.stateDir}/token`,
      });
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://control-plane.invalid');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const onPath = compiled.filter((r) => r.regex.test(path));
    const match = onPath.find((r) => r.route.method === method) ?? (method === 'HEAD' ? onPath.find((r) => r.route.method === 'GET') : undefined);
    if (!match) {
      authorised(req);
      if (onPath.length > 0) {
        const allow = [...new Set(onPath.map((r) => r.route.method))].join(', ');
        res.setHeader('allow', allow);
        throw new HttpError(405, { code: 'invalid', message: `${method} is not allowed on ${path}`, hint: `allowed: ${allow}` });
      }
      const known = [...new Set(compiled.map((r) => r.route.path))];
      throw new HttpError(404, {
        code: 'not_found',
        message: `no endpoint ${method} ${path}`,
        hint: 'GET /api/openapi.json lists every endpoint',
        candidates: didYouMean(path, known, 3),
      });
    }
    const { route, name } = match;
    if (!route.public) authorised(req);

    const params: Record<string, string> = {};
    const values = match.regex.exec(path)!.slice(1);
    match.keys.forEach((k, i) => {
      try {
        params[k] = decodeURIComponent(values[i]!);
      } catch {
        throw invalid(`invalid ${k} in the path: bad percent-encoding`, { field: k, value: values[i]! });
      }
    });

    const rawText = await readBody(req);
    let raw: unknown;
    if (route.body !== undefined) {
      if (rawText.trim() === '') raw = {};
      else {
        const type = String(req.headers['content-type'] ?? 'application/json');
        if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
          throw new HttpError(415, { code: 'invalid', message: `the body must be JSON (content-type application/json), not ${type}`, field: 'Content-Type', value: type });
        }
        try {
          raw = JSON.parse(rawText) as unknown;
        } catch (err) {
          throw invalid(`the body is not valid JSON: ${(err as Error).message}`, { field: 'body', rule: 'a JSON object' });
        }
      }
    } else if (rawText.trim() !== '' && method !== 'GET' && method !== 'DELETE') {
      throw invalid(`${method} ${route.path} takes no body`, { field: 'body' });
    }
    const body = route.body !== undefined ? validateBody(route.body, raw) : undefined;
    const dryRun = (body as { dry_run?: boolean } | undefined)?.dry_run === true || queryBool(url.searchParams, 'dry_run');
    const ctx: Ctx = { params, query: url.searchParams, body, dryRun };
    const handler = handlers[name];

    if (handler.stream) {
      await handler.stream(ctx, req, Object.assign(res, ctxStreams));
      return 200;
    }
    if (handler.read) {
      sendJson(res, route.status, await handler.read(ctx), method === 'HEAD');
      return route.status;
    }

    const key = method === 'POST' ? parseIdempotencyKey(req.headers['idempotency-key']) : undefined;
    const hash = key === undefined ? '' : requestHash(method, path, rawText);
    if (key !== undefined) {
      const stored = deps.idempotency.replay(key, method, path, hash);
      if (stored) {
        res.setHeader('idempotent-replayed', 'true');
        sendJson(res, stored.status, stored.body);
        return stored.status;
      }
    }
    await handler.prepare?.(ctx);
    const status = dryRun ? 200 : route.status;
    const result = method === 'GET' ? { outcome: handler.run!(ctx) } : deps.service.tx(() => {
      if (key !== undefined) {
        // A concurrent request with the same key may have committed while we prepared.
        const stored = deps.idempotency.replay(key, method, path, hash);
        if (stored) return { replay: stored };
      }
      const outcome = handler.run!(ctx);
      if (key !== undefined) deps.idempotency.save(key, method, path, hash, { status, body: outcome.body });
      return { outcome };
    });
    if ('replay' in result) {
      res.setHeader('idempotent-replayed', 'true');
      sendJson(res, result.replay.status, result.replay.body);
      return result.replay.status;
    }
    const { outcome } = result;
    const warnings: string[] = [];
    const failed: string[] = [];
    for (const id of new Set(outcome.reconcile)) {
      const r = await deps.reconciler.reconcile(id);
      warnings.push(...r.warnings);
      failed.push(...(r.failed ?? []));
    }
    const plan = (outcome.body as { plan?: { warnings: string[] } } | null)?.plan;
    if (plan && warnings.length > 0) plan.warnings.push(...warnings);
    // Issue 4: a proxy refused the new config (it keeps serving the old one): the change is saved,
    // but the caller must learn it did not take effect (500 `failed` → CLI exit 1; not retried).
    if (failed.length > 0) {
      throw new HttpError(500, {
        code: 'failed',
        message: `the change was saved, but the proxies did not apply it: ${failed.join('; ')}`,
        hint: 'a proxy that refused keeps serving its previous config; see `ownstack cluster status` (last_error), fix the cause, then retry: any later change, or the periodic reconcile within a minute, applies the current config',
        details: { saved: true, response: outcome.body },
      });
    }
    sendJson(res, status, outcome.body);
    return status;
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    handle(req, res)
      .then((status) => deps.log(`${req.method} ${req.url} ${status} ${Date.now() - started}ms`))
      .catch((err: unknown) => {
        const { status, body } = toErrorResponse(err);
        if (status >= 500) deps.log(`${req.method} ${req.url} ${status}: ${(err as Error)?.stack ?? String(err)}`);
        else deps.log(`${req.method} ${req.url} ${status} ${Date.now() - started}ms ${body.error.message}`);
        if (res.headersSent) {
          res.end();
          return;
        }
        // An unread body (too large, refused early) would otherwise keep the connection busy.
        if (!req.complete) res.setHeader('connection', 'close');
        sendJson(res, status, body);
      });
  };

  return {
    listener,
    close() {
      for (const end of streams) end();
      streams.clear();
    },
  };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof HttpError) return { status: err.status, body: { error: err.body } };
  const code = (err as { code?: string })?.code;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return { status: 503, body: { error: { code: 'unavailable', message: 'the state database is busy (another process holds the write lock)', hint: 'retry in a moment' } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: `internal error: ${(err as Error)?.message ?? String(err)}`, hint: 'see server.log in the state folder' } } };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headOnly = false): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(headOnly ? undefined : text);
}

/** Reads the body up to MAX_BODY_BYTES (413 beyond). */
function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

function tooLarge(): HttpError {
  return new HttpError(413, { code: 'invalid', message: `the request body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`, field: 'body', rule: `at most ${MAX_BODY_BYTES} bytes` });
}

/** Top-level keys of an object schema (through optional/default wrappers), or null. */
function objectKeys(schema: z.ZodType): string[] | null {
  let s: unknown = schema;
  for (let i = 0; i < 5; i++) {
    if (s instanceof z.ZodObject) return Object.keys(s.shape);
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) s = (s as z.ZodOptional<z.ZodType>).unwrap();
    else return null;
  }
  return null;
}

/** Validates a body with the route's schema; the first problem becomes the error body (field, value, rule, hint). */
function validateBody(schema: z.ZodType, raw: unknown): unknown {
  const keys = objectKeys(schema);
  if (keys !== null && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const unknown = Object.keys(raw).filter((k) => !keys.includes(k));
    if (unknown.length > 0) {
      const k = unknown[0]!;
      const near = didYouMean(k, keys, 1);
      throw invalid(`unknown field ${JSON.stringify(k)}${near.length > 0 ? ` — did you mean ${near[0]}?` : ''}`, {
        field: k,
        rule: `not a field of this request (fields: ${keys.join(', ')})`,
        ...(near.length > 0 ? { hint: near[0]!, candidates: near } : {}),
      });
    }
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const all = issues.map((issue) => issueToDetails(issue, issuePath(issue) || 'body', raw));
  const first = all[0]!;
  throw new HttpError(400, {
    ...first,
    code: 'invalid',
    ...(all.length > 1 ? { details: { issues: all.map(({ field, value, rule, hint }) => ({ field, value, rule, hint })) } } : {}),
  });
}

/** A boolean query parameter: absent → false; true/1/empty → true; false/0 → false; else 400. */
function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === 'false' || v === '0') return false;
  if (v === '' || v === 'true' || v === '1') return true;
  throw invalid(`invalid ${name} ${JSON.stringify(v)}: use true or false`, { field: name, value: v, rule: 'true or false' });
}

function buildHandlers(deps: HttpDeps): Record<RouteName, Handler> {
  const { service: svc, deploys, reconciler } = deps;
  const store = svc.store;
  return {
    health: {
      read: async () => ({ ok: true, service: 'ownstack-control-plane', version: deps.version, pid: process.pid, state_dir: deps.stateDir }),
    },
    openapi: {
      read: async () => {
        try {
          return await deps.openapi();
        } catch (err) {
          throw new HttpError(501, { code: 'unavailable', message: `the OpenAPI document is not available in this build: ${(err as Error).message}` });
        }
      },
    },
    clusterList: { run: () => svc.clusterList() },
    clusterCreate: {
      prepare: async (ctx) => {
        svc.assertClusterNameFree(ctx.body.name);
        await verifyEdge(reconciler, ctx.body);
      },
      run: (ctx) => svc.clusterCreate(ctx.body),
    },
    clusterShow: { run: (ctx) => svc.clusterShow(ctx.params.cluster!) },
    clusterUpdate: {
      // New edge credentials are checked with the provider first, as at create (dry runs too).
      prepare: async (ctx) => {
        const edge = svc.edgeUpdate(store.cluster(ctx.params.cluster!), ctx.body);
        if (edge) await verifyEdge(reconciler, edge);
      },
      run: (ctx) => svc.clusterUpdate(ctx.params.cluster!, ctx.body),
    },
    clusterDestroy: {
      read: async (ctx) => destroyCluster(deps, ctx.params.cluster!, queryBool(ctx.query, 'with_proxy')),
    },
    clusterStatus: {
      read: async (ctx) => clusterStatus(store, reconciler, deploys.log, store.cluster(ctx.params.cluster!)),
    },
    proxyConfig: { read: async (ctx) => proxyConfig(store, reconciler, store.cluster(ctx.params.cluster!)) },

    domainList: { run: (ctx) => svc.domainList(ctx.params.cluster!) },
    domainAdd: { run: (ctx) => svc.domainAdd(ctx.params.cluster!, ctx.body) },
    domainRemove: { run: (ctx) => svc.domainRemove(ctx.params.cluster!, ctx.params.hostname!, ctx.dryRun) },

    variantList: { run: (ctx) => svc.variantList(ctx.params.cluster!) },
    variantAdd: { run: (ctx) => svc.variantAdd(ctx.params.cluster!, ctx.body) },
    variantUpdate: { run: (ctx) => svc.variantUpdate(ctx.params.cluster!, ctx.params.variant!, ctx.body) },
    variantRemove: { run: (ctx) => svc.variantRemove(ctx.params.cluster!, ctx.params.variant!, ctx.dryRun) },

    upstreamList: { run: (ctx) => svc.upstreamList(ctx.params.cluster!) },
    upstreamAdd: { run: (ctx) => svc.upstreamAdd(ctx.params.cluster!, ctx.body) },
    upstreamRemove: { run: (ctx) => svc.upstreamRemove(ctx.params.cluster!, parseId(ctx.params.id!), ctx.dryRun) },

    switch: { run: (ctx) => svc.switch(ctx.params.cluster!, ctx.body) },

    memberList: { run: (ctx) => svc.memberList(ctx.params.cluster!) },
    memberAdd: { run: (ctx) => svc.memberAdd(ctx.params.cluster!, ctx.body) },
    memberDrain: { run: (ctx) => svc.memberDrain(ctx.params.cluster!, ctx.params.app!, ctx.dryRun) },
    memberUndrain: { run: (ctx) => svc.memberUndrain(ctx.params.cluster!, ctx.params.app!, ctx.dryRun) },
    memberWeight: { run: (ctx) => svc.memberWeight(ctx.params.cluster!, ctx.params.app!, ctx.body) },
    memberRemove: { run: (ctx) => svc.memberRemove(ctx.params.cluster!, ctx.params.app!, ctx.dryRun) },

    deployStart: { run: (ctx) => deploys.start(ctx.params.cluster!, ctx.body) },
    deployList: { run: (ctx) => deploys.list(ctx.params.cluster!) },
    deployShow: { run: (ctx) => deploys.show(ctx.params.cluster!, ctx.params.id!) },
    deployEvents: { stream: (ctx, req, res) => streamEvents(deps, ctx, req, res as ServerResponse & { streams: Set<() => void> }) },
    deployAbort: { run: (ctx) => deploys.abort(ctx.params.cluster!, ctx.params.id!) },

    appList: { run: () => svc.appList() },
    appCreate: { run: (ctx) => svc.appCreate(ctx.body) },
    appShow: { run: (ctx) => svc.appShow(ctx.params.app!) },
    appUpdate: { run: (ctx) => svc.appUpdate(ctx.params.app!, ctx.body) },
    appRemove: { run: (ctx) => svc.appRemove(ctx.params.app!) },
  };
}

/** Create-time check of the edge settings: the driver's verify() (credentials, zone, target group, folder). */
async function verifyEdge(reconciler: Reconciler, body: { name: string; edge: 'dns_rr' | 'cloudflare' | 'aws_alb' | 'none'; edge_config: Record<string, unknown> }): Promise<void> {
  const { EdgeError, EDGE_SECRET_KEYS, redact } = await import('../edge/index.js');
  // The driver's last warning (already redacted by the driver) explains a timeout: "no answer"
  // alone would leave the cause in server.log only.
  let lastWarning: string | null = null;
  const logger = { info: () => undefined, warn: (m: string) => void (lastWarning = m.replace(/; retrying in \d+ ms$/, '')) };
  const secrets = EDGE_SECRET_KEYS.map((k) => body.edge_config[k]).filter((v): v is string => typeof v === 'string');
  const timeouts = new WeakSet<Error>();
  const timedOut = (message: string, hint: string): Error => {
    const err = new EdgeError(message, 'unavailable', hint);
    timeouts.add(err);
    return err;
  };
  // The request waits for this: cap the drivers' retry backoff and the whole check, so an
  // unreachable provider is a prompt 424 rather than minutes of retries.
  let slept = 0;
  const sleep = async (ms: number): Promise<void> => {
    if (slept + ms > EDGE_VERIFY_RETRY_BUDGET_MS) throw timedOut(`no answer after retrying for ${slept} ms`, 'check the network path to the provider, then create the cluster again');
    slept += ms;
    await new Promise((r) => setTimeout(r, ms));
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const verify = reconciler.edgeDriver({ name: body.name, edge: body.edge, edge_config: body.edge_config as never }, { sleep, logger }).verify();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut(`no answer within ${EDGE_VERIFY_TIMEOUT_MS / 1000} s`, 'check the network path to the provider')), EDGE_VERIFY_TIMEOUT_MS);
    });
    await Promise.race([verify, timeout]);
  } catch (err) {
    if (!(err instanceof EdgeError)) throw err;
    const fields = { field: 'edge_config', rule: `the ${body.edge} edge must accept these settings before they are saved`, ...(err.hint ? { hint: redact(err.hint, secrets) } : {}) };
    if (err.kind === 'invalid' || err.kind === 'auth') throw invalid(redact(`the ${body.edge} edge refused the settings: ${err.message}`, secrets), fields);
    const last = timeouts.has(err) && lastWarning !== null ? ` (last error: ${lastWarning})` : '';
    throw new HttpError(424, { code: err.kind === 'unavailable' ? 'unavailable' : 'failed', message: redact(`could not verify the ${body.edge} edge: ${err.message}${last}`, secrets), ...fields });
  } finally {
    clearTimeout(timer);
  }
}

/** DELETE a cluster: edge records first (so nothing points at proxies that are gone), then the rows, then files. */
async function destroyCluster(deps: HttpDeps, ref: string, withProxy: boolean): Promise<unknown> {
  const { service: svc, reconciler, deploys } = deps;
  const store = svc.store;
  const c = store.cluster(ref);
  const current = deploys.log.current(c.id);
  if (current?.state === 'running') {
    throw new HttpError(409, { code: 'conflict', message: `cluster ${c.name} has a running deploy (${current.id})`, hint: 'abort it or wait for it to finish' });
  }
  if (c.edge !== 'none') {
    try {
      await reconciler.edgeDriver(c).remove(store.domains(c.id).map((d) => d.hostname));
    } catch (err) {
      throw new HttpError(424, {
        code: 'failed',
        message: `could not remove the ${c.edge} edge records of cluster ${c.name}: ${(err as Error).message}`,
        hint: 'fix the edge settings or remove the records by hand; the cluster was not destroyed',
      });
    }
  }
  const view = svc.tx(() => {
    const row = store.clusterById(c.id);
    if (!row) throw new HttpError(404, { code: 'not_found', message: `cluster ${c.name} was destroyed meanwhile` });
    const v = store.toCluster(row);
    store.run('DELETE FROM clusters WHERE id = ?', c.id);
    if (withProxy && row.proxy_app) {
      const app = store.appByName(row.proxy_app);
      if (app && store.clustersUsingApp(app.id).length === 0) store.run('DELETE FROM apps WHERE id = ?', app.id);
    }
    return v;
  });
  await reconciler.teardown(c);
  return view;
}

/** GET …/deploys/:id/events: recorded events after `after`, then live ones until the job finishes. */
async function streamEvents(deps: HttpDeps, ctx: Ctx, req: IncomingMessage, res: ServerResponse & { streams: Set<() => void> }): Promise<void> {
  const job = deps.deploys.resolve(ctx.params.cluster!, ctx.params.id!);
  const afterRaw = ctx.query.get('after');
  if (afterRaw !== null && !/^\d{1,15}$/.test(afterRaw)) {
    throw invalid(`invalid after ${JSON.stringify(afterRaw)}: the last seen event seq (a whole number)`, { field: 'after', value: afterRaw, rule: 'a whole number' });
  }
  let last = afterRaw === null ? 0 : Number(afterRaw);
  const log = deps.deploys.log;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  await new Promise<void>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      unsubscribe();
      clearInterval(heartbeat);
      res.streams.delete(finish);
      res.end();
      resolve();
    };
    const flush = (): void => {
      if (done) return;
      for (const e of log.events(job.id, last)) {
        res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
        last = e.seq;
      }
      const state = log.row(job.id)?.state;
      if (state === undefined || FINISHED_STATES.includes(state)) finish();
    };
    const unsubscribe = log.subscribe(job.id, flush);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    heartbeat.unref();
    res.streams.add(finish);
    req.on('close', finish);
    flush();
  });
}
