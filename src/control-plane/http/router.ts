// The HTTP layer on node:http, driven by the endpoint table in src/api/routes.ts: route
// matching, bearer auth, body limits, validation with the contract's schemas, idempotent POSTs,
// the one error body, and server-sent events for deploy logs.
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { routes, type RouteName, type Route } from '../../api/routes.js';
import { clusterCreateRequest, type ErrorBody } from '../../api/schemas.js';
import { issuePath, issueToDetails, secretFieldsOf } from '../../inputs/parse.js';
import { secretValues } from '../../inputs/secret.js';
import type { DeployService } from '../service/deploys.js';
import { FINISHED_STATES } from '../service/deploys.js';
import { HttpError, invalid } from '../http-error.js';
import { IdempotencyStore, parseIdempotencyKey, requestHash } from '../store/idempotency.js';
import type { Reconciler } from '../runtime/reconcile.js';
import type { Outcome, Service } from '../service/service.js';
import type { ClusterRow } from '../store/store.js';
import type { AgentReport } from '../../api/agent.js';
import { agentConfigOf, clusterStatus, proxyConfig } from '../service/status.js';
import type { AgentTokens, ProxyFleet } from '../runtime/fleet.js';
import { parseId } from '../service/deploys.js';
import { checkPathParam, parseRequestTarget } from './request-target.js';
import { didYouMean } from '../suggest.js';
import { documentIssueDetails, documentIssuesInOrder, type ClusterDocument } from '../../api/cluster-document.js';
import type { ErrorDetails } from '../../errors.js';
import { applyCluster, clusterForDocument, createRequestOf, exportCluster } from '../service/cluster-apply.js';

export const MAX_BODY_BYTES = 1024 * 1024;
/** Longest long-poll of an agent (below the client's 30 s headers timeout). */
export const MAX_AGENT_WAIT_S = 25;
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
  version: string;
  log: (line: string) => void;
  /** Builds the OpenAPI document (loaded lazily: only GET /api/openapi.json needs it). */
  openapi: () => Promise<unknown>;
  /** The proxies' reports and long-polls (absent: no agent endpoints). */
  fleet?: ProxyFleet;
  agentTokens?: AgentTokens;
  /** Whether a Host header names this server (DNS rebinding guard); undefined accepts any. */
  allowedHost?: (host: string) => boolean;
  /** The error to answer with 503 when the request's connection is over the connection limit. */
  overCapacity?: (req: IncomingMessage) => ErrorBody['error'] | null;
  limits?: Partial<HttpLimits>;
}

/** What a handler sees: decoded path parameters, the query, the validated body. */
interface Ctx {
  params: Record<string, string>;
  query: URLSearchParams;
  // The validated body: its type is the route's schema output, checked by the schema at runtime.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  dryRun: boolean;
  caller: Caller;
}

/** The operator, or the agents of one cluster (`local`: the local replicas' token). */
type Caller = { kind: 'operator' } | { kind: 'agent'; clusterId: number; local: boolean };

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
  /** The template's segments: a literal, or `:name` for a parameter. */
  segments: string[];
}

function compile(): CompiledRoute[] {
  return (Object.keys(routes) as RouteName[]).map((name) => {
    const route = routes[name] as Route;
    return { name, route, segments: route.path.slice(1).split('/') };
  });
}

/** The path parameters when the raw path fits the template, else null (literals compare as sent). */
function matchRoute(r: CompiledRoute, rawSegments: string[], decoded: string[]): Record<string, string> | null {
  if (r.segments.length !== rawSegments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < r.segments.length; i++) {
    const t = r.segments[i]!;
    if (t.startsWith(':')) params[t.slice(1)] = decoded[i]!;
    else if (t !== rawSegments[i]) return null;
  }
  return params;
}

/** What a request was served as, for server.log: the route template and the decoded parameters. */
interface Served {
  line: string;
}

/** Limits of the HTTP layer; the defaults are documented in the README (control plane, limits). */
export interface HttpLimits {
  /** Event streams (GET …/events) open at once; one more is a 503. */
  eventStreams: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { eventStreams: 32 };

/** Deepest nesting of arrays and objects a JSON body may have (the deepest request body has 3). */
export const MAX_JSON_DEPTH = 16;

/** The request listener of the control plane, plus a close() that ends open event streams. */
export function createRequestHandler(deps: HttpDeps): { listener: (req: IncomingMessage, res: ServerResponse) => void; close(): void } {
  const compiled = compile();
  const handlers = buildHandlers(deps);
  const streams = new Set<(shutdown?: boolean) => void>();
  const tokenDigest = sha256(deps.token);
  const limits = { ...DEFAULT_HTTP_LIMITS, ...deps.limits };
  const ctxStreams = { streams, maxStreams: limits.eventStreams };
  // Public answers never name a path on this machine.
  const tokenHint = "see the control plane's token file (`ownstack local` prints the URL and token)";

  /** Who the bearer token is: the operator (the control plane's token) or a cluster's agents. */
  const authorised = (req: IncomingMessage, route?: Route): Caller => {
    const header = req.headers.authorization;
    if (header === undefined || header === '') {
      throw new HttpError(401, {
        code: 'unauthorized',
        message: 'missing bearer token',
        field: 'Authorization',
        rule: 'send Authorization: Bearer <token>',
        hint: tokenHint,
      });
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m && timingSafeEqual(sha256(m[1]!), tokenDigest)) return { kind: 'operator' };
    const agentOf = m ? deps.agentTokens?.clusterOf(m[1]!) : null;
    if (agentOf) {
      if (!route?.agent) {
        throw new HttpError(403, { code: 'forbidden', message: 'an agent token may only read its cluster\'s proxy config and report its proxy', field: 'Authorization', rule: 'an operator token for this endpoint' });
      }
      deps.agentTokens!.touch(m![1]!);
      return { kind: 'agent', clusterId: agentOf.clusterId, local: agentOf.local };
    }
    {
      throw new HttpError(401, {
        code: 'unauthorized',
        message: m ? 'invalid bearer token' : 'the Authorization header must be "Bearer <token>"',
        field: 'Authorization',
        rule: "the token of this control plane",
        hint: tokenHint,
      });
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse, served: Served): Promise<number> {
    const method = (req.method ?? 'GET').toUpperCase();
    checkHost(req, deps.allowedHost);
    const target = parseRequestTarget(req.url ?? '/');
    const { path } = target;
    const rawSegments = path === '/' ? [] : path.slice(1).split('/');
    const onPath = compiled.map((r) => ({ r, params: matchRoute(r, rawSegments, target.segments) })).filter((m) => m.params !== null);
    const match = onPath.find((m) => m.r.route.method === method) ?? (method === 'HEAD' ? onPath.find((m) => m.r.route.method === 'GET') : undefined);
    if (!match) {
      authorised(req, undefined);
      if (onPath.length > 0) {
        const allow = [...new Set(onPath.map((m) => m.r.route.method))].join(', ');
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
    const { route, name } = match.r;
    const params = match.params!;
    for (const [k, v] of Object.entries(params)) checkPathParam(k, v);
    served.line = `${route.path}${Object.entries(params).map(([k, v]) => ` ${k}=${JSON.stringify(v)}`).join('')}`;
    const caller: Caller = route.public ? { kind: 'operator' } : authorised(req, route);

    const queryDryRun = checkQuery(route, method, target.query);
    if (queryDryRun) served.line += ' dry_run';

    const rawText = await readBody(req, route.maxBodyBytes);
    let raw: unknown;
    if (route.body !== undefined) {
      if (rawText.trim() === '') raw = {};
      else {
        const type = String(req.headers['content-type'] ?? 'application/json');
        if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
          throw new HttpError(415, { code: 'invalid', message: `the body must be JSON (content-type application/json), not ${type}`, field: 'Content-Type', value: type });
        }
        raw = parseJsonBody(rawText);
      }
    } else if (rawText.trim() !== '' && method !== 'GET' && method !== 'HEAD') {
      // A DELETE's body is refused, not ignored: `{"dry_run": true}` there must not destroy anything.
      throw invalid(`${method} ${route.path} takes no body${route.dryRun ? ' (a dry run is ?dry_run=true)' : ''}`, { field: 'body', rule: 'no request body' });
    }
    if (!route.dryRun && raw !== null && typeof raw === 'object' && !Array.isArray(raw) && Object.hasOwn(raw, 'dry_run')) throw noDryRun(method, route);
    const body = route.body !== undefined ? validateBody(route.body, raw, name === 'clusterApply' ? { details: (issue) => documentIssueDetails(issue, raw, ['document']), order: documentIssuesInOrder } : undefined) : undefined;
    const bodyDryRun = (body as { dry_run?: boolean } | undefined)?.dry_run === true;
    const dryRun = route.dryRun === true && (bodyDryRun || queryDryRun);
    if (bodyDryRun && !queryDryRun) served.line += ' dry_run';
    // One source of truth for the handlers: the body's flag says what the request asked for.
    if (body !== null && typeof body === 'object' && 'dry_run' in body) (body as { dry_run: boolean }).dry_run = dryRun;
    const ctx: Ctx = { params, query: target.query, body, dryRun, caller };
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
    // A dry run and the real call are different requests: a key used for one never answers the other.
    const hashedPath = dryRun ? `${path}?dry_run` : path;
    const hash = key === undefined ? '' : requestHash(method, hashedPath, rawText);
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
    // Until a route matches, the log names the path as sent (escaped like every log line).
    const served: Served = { line: JSON.stringify(shortText(req.url ?? '/', 300)) };
    if (deps.overCapacity?.(req)) {
      res.setHeader('connection', 'close');
      res.setHeader('retry-after', '1');
      sendJson(res, 503, { error: deps.overCapacity(req)! });
      deps.log(`${req.method} ${served.line} 503 too many connections`);
      return;
    }
    handle(req, res, served)
      .then((status) => deps.log(`${req.method} ${served.line} ${status} ${Date.now() - started}ms`))
      .catch((err: unknown) => {
        const { status, body } = toErrorResponse(err);
        if (status >= 500 && body.error.code === 'internal') deps.log(`${req.method} ${served.line} ${status}: ${(err as Error)?.stack ?? String(err)}`);
        else deps.log(`${req.method} ${served.line} ${status} ${Date.now() - started}ms ${body.error.message}`);
        if (res.headersSent) {
          res.end();
          return;
        }
        // An unread body (too large, refused early) would otherwise keep the connection busy; a
        // closing server lets its connections go.
        if (!req.complete || status === 503) res.setHeader('connection', 'close');
        sendJson(res, status, body);
      });
  };

  return {
    listener,
    close() {
      // Shutting down: end every stream and let go of its socket (a client may hold it open).
      for (const end of streams) end(true);
      streams.clear();
    },
  };
}

/** Refuses a Host header that names none of the addresses this server answers to (DNS rebinding). */
function checkHost(req: IncomingMessage, allowed: ((host: string) => boolean) | undefined): void {
  const host = req.headers.host;
  if (allowed === undefined || host === undefined) return;
  if (allowed(host)) return;
  throw new HttpError(421, {
    code: 'forbidden',
    message: `the Host header ${JSON.stringify(shortText(host, 100))} names no address of this control plane`,
    field: 'Host',
    value: shortText(host, 100),
    rule: 'the address it listens on (127.0.0.1, ::1 or localhost with its port), or a name listed in OWNSTACK_ALLOWED_HOSTS',
    hint: 'use the URL in server.json, or add the name that fronts this control plane to OWNSTACK_ALLOWED_HOSTS',
  });
}

/** Checks the query against the route's declared parameters; returns whether it asks for a dry run. */
function checkQuery(route: Route, method: string, query: URLSearchParams): boolean {
  const known = Object.keys(route.query ?? {});
  const seen = new Set<string>();
  for (const k of query.keys()) {
    if (seen.has(k)) throw invalid(`the query parameter ${JSON.stringify(shortText(k, 60))} is given twice`, { field: k, rule: 'each query parameter at most once' });
    seen.add(k);
    if (known.includes(k)) continue;
    if (k === 'dry_run' && !route.dryRun && method !== 'GET') {
      if (queryBool(query, 'dry_run')) throw noDryRun(method, route);
      continue;
    }
    const near = didYouMean(k, known, 1);
    throw invalid(`unknown query parameter ${JSON.stringify(shortText(k, 60))}${near.length > 0 ? ` — did you mean ${near[0]}?` : ''}`, {
      field: shortText(k, 60),
      rule: known.length > 0 ? `not a query parameter of ${method} ${route.path} (parameters: ${known.join(', ')})` : `${method} ${route.path} takes no query parameters`,
      ...(near.length > 0 ? { hint: near[0]!, candidates: near } : {}),
    });
  }
  return route.dryRun === true && queryBool(query, 'dry_run');
}

function noDryRun(method: string, route: Route): HttpError {
  return invalid(`${method} ${route.path} has no dry run: it cannot be previewed, and a dry run must never change anything`, {
    field: 'dry_run',
    rule: 'dry_run applies to routing changes, hostnames, cluster update and cluster destroy',
    hint: 'leave dry_run out to make the change',
  });
}

/** Parses a JSON body: too deep a nesting and a syntax error are 400s that never quote the body. */
function parseJsonBody(text: string): unknown {
  const depth = jsonDepthBeyond(text, MAX_JSON_DEPTH);
  if (depth) throw invalid(`the body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`, { field: 'body', rule: `a JSON object nested at most ${MAX_JSON_DEPTH} levels deep` });
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // The parser's message quotes the body (a secret, a forged log line): keep only the position.
    const at = /at position (\d+)/.exec((err as Error).message)?.[1];
    throw invalid(`the body is not valid JSON${at === undefined ? '' : ` (at character ${at})`}`, { field: 'body', rule: 'a JSON object' });
  }
}

/** True when `text` nests `[`/`{` deeper than `max` (strings skipped); one pass, no recursion. */
export function jsonDepthBeyond(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function shortText(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
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

/** Reads the body up to `max` bytes (413 beyond). */
function readBody(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > max) return Promise.reject(tooLarge(max));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > max) {
        failed = true;
        reject(tooLarge(max));
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

function tooLarge(max: number): HttpError {
  return new HttpError(413, { code: 'invalid', message: `the request body is larger than ${max / 1024 / 1024} MiB`, field: 'body', rule: `at most ${max} bytes` });
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

/**
 * Validates a body with the route's schema; the first problem becomes the error body (field, value,
 * rule, hint). `describe` names issues its own way (a document's paths read `upstreams[3].app`) and
 * may put the likeliest cause first.
 */
function validateBody(
  schema: z.ZodType,
  raw: unknown,
  describe?: { details: (issue: z.core.$ZodIssue) => ErrorDetails; order: (issues: readonly z.core.$ZodIssue[]) => z.core.$ZodIssue[] },
): unknown {
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
  const issues = describe ? describe.order(parsed.error.issues) : parsed.error.issues;
  const secrets = secretFieldsOf(schema);
  const all = issues.map((issue) => describe?.details(issue) ?? issueToDetails(issue, issuePath(issue) || 'body', raw, secrets));
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
      read: async () => ({ ok: true, service: 'ownstack-control-plane', version: deps.version, pid: process.pid }),
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
      read: async (ctx) => destroyCluster(deps, ctx.params.cluster!, queryBool(ctx.query, 'with_proxy'), ctx.dryRun),
    },
    // One read transaction: the document is one consistent moment of the cluster.
    clusterExport: { run: (ctx) => ({ body: store.db.transaction(() => exportCluster(store, store.cluster(ctx.params.cluster!)))(), reconcile: [] }) },
    clusterApply: {
      prepare: async (ctx) => {
        const doc = ctx.body.document as ClusterDocument;
        // A cluster the file creates: its edge settings are checked with the provider first, as on create.
        if (clusterForDocument(store, ctx.params.cluster!, doc)) return;
        const dir = reconciler.clusterDir(doc.name);
        const had = existsSync(dir);
        try {
          await verifyEdge(reconciler, createRequestOf(doc));
        } finally {
          // The zone-file check makes the cluster's folder: a dry run leaves nothing behind (rmdir: only if still empty).
          if (ctx.dryRun && !had) await rmdir(dir).catch(() => undefined);
        }
      },
      run: (ctx) => applyCluster(svc, ctx.params.cluster!, ctx.body, (id) => deploys.log.current(id)),
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
    deployEvents: { stream: (ctx, req, res) => streamEvents(deps, ctx, req, res as EventResponse) },
    deployAbort: { run: (ctx) => deploys.abort(ctx.params.cluster!, ctx.params.id!) },

    agentConfig: { stream: (ctx, _req, res) => serveAgentConfig(deps, ctx, res) },
    agentReport: { stream: (ctx, _req, res) => receiveAgentReport(deps, ctx, res) },

    appList: { run: () => svc.appList() },
    appCreate: { run: (ctx) => svc.appCreate(ctx.body) },
    appShow: { run: (ctx) => svc.appShow(ctx.params.app!) },
    appUpdate: { run: (ctx) => svc.appUpdate(ctx.params.app!, ctx.body) },
    appRemove: { run: (ctx) => svc.appRemove(ctx.params.app!) },
  };
}

/** The cluster an agent endpoint names, which an agent token must be for. */
function agentCluster(deps: HttpDeps, ctx: Ctx): ClusterRow {
  const c = deps.service.store.cluster(ctx.params.cluster!);
  if (ctx.caller.kind === 'agent' && ctx.caller.clusterId !== c.id) {
    throw new HttpError(403, { code: 'forbidden', message: `this agent token is not for cluster ${c.name}`, field: 'Authorization', rule: "an agent token of the cluster named in the path" });
  }
  return c;
}

/** GET …/agent/config: the config now, or (long-poll) once a generation newer than `after` exists. */
async function serveAgentConfig(deps: HttpDeps, ctx: Ctx, res: ServerResponse): Promise<void> {
  const c = agentCluster(deps, ctx);
  const after = ctx.query.get('after');
  const waitRaw = ctx.query.get('wait') ?? '0';
  if (after !== null && !/^\d{1,15}$/.test(after)) throw invalid(`invalid after ${JSON.stringify(after)}: a generation number`, { field: 'after', value: after, rule: 'a whole number' });
  if (!/^\d{1,2}$/.test(waitRaw) || Number(waitRaw) > MAX_AGENT_WAIT_S) {
    throw invalid(`invalid wait ${JSON.stringify(waitRaw)}: seconds from 0 to ${MAX_AGENT_WAIT_S}`, { field: 'wait', value: waitRaw, rule: `0 to ${MAX_AGENT_WAIT_S}` });
  }
  if (deps.fleet?.closed) throw shuttingDown();
  const deadline = Date.now() + Number(waitRaw) * 1_000;
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  for (;;) {
    const row = deps.service.store.clusterById(c.id);
    if (!row) throw new HttpError(404, { code: 'not_found', message: `cluster ${c.name} was destroyed` });
    if (after === null || row.generation > Number(after)) {
      sendJson(res, 200, agentConfigOf(deps.service.store, deps.reconciler, row));
      return;
    }
    const left = deadline - Date.now();
    if (left <= 0 || gone.signal.aborted || !deps.fleet || deps.fleet.closed) break;
    await deps.fleet.waitForChange(c.id, left, gone.signal);
  }
  if (deps.fleet?.closed) throw shuttingDown();
  if (!res.writableEnded && !res.destroyed) {
    res.writeHead(204, { 'cache-control': 'no-store' });
    res.end();
  }
}

/** What an agent hears while the control plane closes: try again later, on a new connection. */
function shuttingDown(): HttpError {
  return new HttpError(503, { code: 'unavailable', message: 'the control plane is shutting down', hint: 'the proxies keep serving; agents retry with backoff' });
}

/** POST …/agent/report: records a proxy's report; answers the cluster's generation. */
async function receiveAgentReport(deps: HttpDeps, ctx: Ctx, res: ServerResponse): Promise<void> {
  const c = agentCluster(deps, ctx);
  if (!deps.fleet) throw new HttpError(501, { code: 'unavailable', message: 'this control plane keeps no proxy reports' });
  const report = ctx.body as AgentReport;
  if (report.cluster !== c.name) throw invalid(`the report is for cluster ${JSON.stringify(report.cluster)}, not ${c.name}`, { field: 'cluster', value: report.cluster, rule: 'the cluster in the path' });
  // Only the local replicas' token may claim a local replica's slot.
  const m = /^proxy-(\d+)$/.exec(report.name);
  const localIndex = ctx.caller.kind === 'agent' && ctx.caller.local && m ? Number(m[1]) : null;
  deps.fleet.receive(c.id, report, localIndex);
  sendJson(res, 200, { generation: c.generation });
}

/** Create-time check of the edge settings: the driver's verify() (credentials, zone, target group, folder). */
async function verifyEdge(reconciler: Reconciler, body: { name: string; edge: 'dns_rr' | 'cloudflare' | 'aws_alb' | 'none'; edge_config: Record<string, unknown> }): Promise<void> {
  const { EdgeError, redact } = await import('../../edge/index.js');
  // The driver's last warning (already redacted by the driver) explains a timeout: "no answer"
  // alone would leave the cause in server.log only.
  let lastWarning: string | null = null;
  const logger = { info: () => undefined, warn: (m: string) => void (lastWarning = m.replace(/; retrying in \d+ ms$/, '')) };
  // The request's secret fields, as the schema marks them: none may reach a message.
  const secrets = secretValues(body, secretFieldsOf(clusterCreateRequest));
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
    const fields = { field: err.field ? `edge_config.${err.field}` : 'edge_config', rule: `the ${body.edge} edge must accept these settings before they are saved`, ...(err.hint ? { hint: redact(err.hint, secrets) } : {}) };
    if (err.kind === 'invalid' || err.kind === 'auth') throw invalid(redact(`the ${body.edge} edge refused the settings: ${err.message}`, secrets), fields);
    const last = timeouts.has(err) && lastWarning !== null ? ` (last error: ${lastWarning})` : '';
    throw new HttpError(424, { code: err.kind === 'unavailable' ? 'unavailable' : 'failed', message: redact(`could not verify the ${body.edge} edge: ${err.message}${last}`, secrets), ...fields });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * DELETE a cluster: edge records first (so nothing points at proxies that are gone), then the
 * rows, then files. A dry run makes the same checks and answers the cluster that would go.
 */
async function destroyCluster(deps: HttpDeps, ref: string, withProxy: boolean, dryRun: boolean): Promise<unknown> {
  const { service: svc, reconciler, deploys } = deps;
  const store = svc.store;
  const c = store.cluster(ref);
  const current = deploys.log.current(c.id);
  if (current?.state === 'running') {
    throw new HttpError(409, { code: 'conflict', message: `cluster ${c.name} has a running deploy (${current.id})`, hint: 'abort it or wait for it to finish' });
  }
  if (dryRun) return store.toCluster(c);
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
  try {
    await reconciler.teardown(c);
  } catch (err) {
    // The cluster is gone (its rows are deleted): what is left is files, worth a log line, not a failure.
    deps.log(`cluster ${c.name} was destroyed, but its replicas or folder were not all removed: ${(err as Error).message}`);
  }
  return view;
}

/** GET …/deploys/:id/events: recorded events after `after`, then live ones until the job finishes. */
type EventResponse = ServerResponse & { streams: Set<(shutdown?: boolean) => void>; maxStreams: number };

async function streamEvents(deps: HttpDeps, ctx: Ctx, req: IncomingMessage, res: EventResponse): Promise<void> {
  const job = deps.deploys.resolve(ctx.params.cluster!, ctx.params.id!);
  const afterRaw = ctx.query.get('after');
  if (afterRaw !== null && !/^\d{1,15}$/.test(afterRaw)) {
    throw invalid(`invalid after ${JSON.stringify(afterRaw)}: the last seen event seq (a whole number)`, { field: 'after', value: afterRaw, rule: 'a whole number' });
  }
  if (res.streams.size >= res.maxStreams) {
    res.setHeader('retry-after', '5');
    throw new HttpError(503, {
      code: 'unavailable',
      message: `${res.streams.size} event streams are open, the most this control plane serves at once`,
      rule: `at most ${res.maxStreams} open event streams`,
      hint: 'close a `--follow` or `--wait` that is no longer needed, or poll GET …/deploys/:id instead',
    });
  }
  let last = afterRaw === null ? 0 : Number(afterRaw);
  const log = deps.deploys.log;
  // connection: close — the socket goes with the stream, so a shutdown never waits for it to idle out.
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'close', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  await new Promise<void>((resolve) => {
    let done = false;
    const finish = (shutdown = false): void => {
      if (done) return;
      done = true;
      unsubscribe();
      clearInterval(heartbeat);
      res.streams.delete(finish);
      res.end();
      if (shutdown) res.destroy();
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
    // The response's close: the request's own 'close' has already fired once its (empty) body was read.
    res.on('close', () => finish());
    flush();
  });
}
