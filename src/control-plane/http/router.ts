// The HTTP layer's router on node:http, driven by the endpoint table in src/api/routes.ts: route
// matching, the Host check, bearer auth, the body, idempotent POSTs, and the one error body. The
// handlers (handlers.ts) call the service; the service commits and reconciles.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { documentIssueDetails, documentIssuesInOrder } from '../../api/cluster-document.js';
import { routes, type Route, type RouteName } from '../../api/routes.js';
import type { ErrorBody } from '../../api/schemas.js';
import { HttpError, invalid } from '../http-error.js';
import type { ProxyFleet } from '../runtime/fleet.js';
import { Maintenance } from '../service/maintenance.js';
import type { AgentTokens } from '../store/agent-tokens.js';
import type { TokenService } from '../service/tokens.js';
import type { DeployService } from '../service/deploys.js';
import type { Service } from '../service/service.js';
import type { IdempotencyStore } from '../store/idempotency.js';
import { didYouMean } from '../suggest.js';
import { parseJsonBody, readBody, validateBody } from './body.js';
import { createDashboard } from '../../dashboard/server.js';
import { sessionCookie } from '../../dashboard/sessions.js';
import { buildHandlers, type Caller, type Ctx } from './handlers.js';
import { parseIdempotencyKey, requestHash } from './idempotency.js';
import { checkPathParam, parseRequestTarget, queryBool } from './request-target.js';
import { sendJson, shortText, toErrorResponse } from './respond.js';

export { MAX_BODY_BYTES } from './body.js';

export interface HttpDeps {
  service: Service;
  deploys: DeployService;
  idempotency: IdempotencyStore;
  token: string;
  version: string;
  log: (line: string) => void;
  /** Builds the OpenAPI document (loaded lazily: only GET /api/openapi.json needs it). */
  openapi: () => Promise<unknown>;
  /** The proxies' reports and long-polls (absent: no agent endpoints). */
  fleet?: ProxyFleet;
  /** Host maintenance (default: one over the service and the fleet, without a settle time). */
  maintenance?: Maintenance;
  agentTokens?: AgentTokens;
  /** Operator and agent tokens made through the API (besides the token file's). */
  tokens?: TokenService;
  /** Whether a Host header names this server (DNS rebinding guard); undefined accepts any. */
  allowedHost?: (host: string) => boolean;
  /** The error to answer with 503 when the request's connection is over the connection limit. */
  overCapacity?: (req: IncomingMessage) => ErrorBody['error'] | null;
  limits?: Partial<HttpLimits>;
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

/** Limits of the HTTP layer; the defaults are documented in docs/server.md (limits). */
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
  const { service: svc, deploys } = deps;
  const maintenance = deps.maintenance ?? new Maintenance(svc, deps.fleet ?? null);
  const dashboard = createDashboard({
    clusters: () => svc.clusterList().body.clusters,
    status: (ref) => svc.clusterStatus(ref, deploys.log),
    members: (ref) => svc.memberList(ref).body.members,
    deploy: (ref, id) => deploys.show(ref, String(id)).body,
    maintenance: () => maintenance.list().body.hosts,
  });
  const handlers = buildHandlers({ ...deps, maintenance }, dashboard);
  const streams = new Set<(shutdown?: boolean) => void>();
  const tokenDigest = sha256(deps.token);
  const limits = { ...DEFAULT_HTTP_LIMITS, ...deps.limits };
  const ctxStreams = { streams, maxStreams: limits.eventStreams };
  // Public answers never name a path on this machine.
  const tokenHint = "see the control plane's token file (`ownstack local` prints the URL and token)";

  /** Who the bearer token is: the operator (the control plane's token) or a cluster's agents. */
  const authorised = (req: IncomingMessage, route?: Route): Caller => {
    const header = req.headers.authorization;
    if ((header === undefined || header === '') && sessionCookie(req) !== undefined && !route?.agent) {
      // The dashboard's pages call the API with their session cookie (and a CSRF token to change anything).
      const refused = dashboard.sessions.check(req);
      if (refused === null) return { kind: 'operator' };
      throw new HttpError(refused.status, { code: refused.status === 401 ? 'unauthorized' : 'forbidden', message: refused.message, rule: refused.rule, hint: 'run `ownstack dashboard` for a new sign-in link' });
    }
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
    const who = m ? (deps.agentTokens?.identify(m[1]!) ?? null) : null;
    if (who?.kind === 'operator') {
      deps.agentTokens!.touch(m![1]!);
      return { kind: 'operator' };
    }
    const agentOf = who?.kind === 'agent' ? who : null;
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
    // Everything outside /api/ is the web dashboard.
    if (path !== '/api' && !path.startsWith('/api/')) {
      served.line = `dashboard ${JSON.stringify(shortText(path, 300))}`;
      return dashboard.handle(req, res, path, target.query);
    }
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
    const result = method === 'GET' ? { outcome: handler.run!(ctx) } : await deps.service.commit(() => {
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
  // Over TLS a rebinding page fails the certificate check first, so names are not limited there.
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return;
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

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
