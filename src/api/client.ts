// The typed API client: one transport (./transport.ts: node:http by default, fetch + undici 7's
// EnvHttpProxyAgent when a proxy is configured), retries with jittered backoff in this code, and
// every response parsed with the contract's schemas.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { nodeHttpTransport, type Transport, type WireResponse } from './transport.js';
import { routes, fillPath, type RouteName, type ResponseOf } from './routes.js';
import { errorBody } from './schemas.js';
import type { Clock } from '../clock.js';
import { CliError, FailedError, TimeoutError, AuthError, errorFromApi } from '../errors.js';
import { backoffCeiling, retryAfterMs } from '../retry.js';

export interface ClientOptions {
  baseUrl: string;
  token: string | null;
  /** Verbose request/response lines (stderr); Authorization is redacted. */
  log?: (line: string) => void;
  clock: Clock;
  /** How requests go on the wire (./transport.ts); default node:http. */
  transport?: Transport;
  /**
   * Called once, on the first connection failure of a call: may return another address to use
   * (the local profile starts or finds its control plane here). null: fail as usual.
   */
  reconnect?: () => Promise<{ baseUrl: string; token: string | null } | null>;
  /**
   * What to suggest when the control plane cannot be reached, and when it refuses the token (401,
   * 403: replaces the server's own hint, which may name a path on the server's machine).
   */
  hints?: { unreachable?: string; unauthorized?: string };
  maxAttempts?: number;
  /** Upper bound on the time spent retrying one call. */
  maxRetryMs?: number;
  userAgent?: string;
  random?: () => number;
}

export interface CallOptions {
  params?: Record<string, string | number>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  idempotencyKey?: string;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);

/** Connection-level failures worth retrying (the request never reached a handler). */
function isConnectionError(err: unknown): boolean {
  const codes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: string }).code;
    if (code && codes.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return err instanceof TypeError && /fetch failed/i.test(err.message);
}

/**
 * The retry policy docs/cli.md states: at most `attempts` tries (so attempts - 1 retries), each
 * retry after a full-jitter backoff from `baseMs` doubling (capped at `capMs`; a 429's Retry-After
 * when longer), and none that would start later than `deadlineMs` after the first try.
 */
export const RETRY = { attempts: 5, baseMs: 200, capMs: 4000, deadlineMs: 15_000 } as const;

/** Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempt)]. */
export function backoffDelay(attempt: number, random: () => number, base: number = RETRY.baseMs, cap: number = RETRY.capMs): number {
  return Math.round(random() * backoffCeiling(attempt, base, cap));
}

export class ApiClient {
  private readonly transport: Transport;
  private reconnected = false;

  constructor(readonly opts: ClientOptions) {
    this.transport = opts.transport ?? nodeHttpTransport();
  }

  /** Calls one endpoint of the contract and returns its parsed response. */
  async call<N extends RouteName>(name: N, call: CallOptions = {}): Promise<ResponseOf<N>> {
    const route = routes[name];
    const res = await this.send(route.method, fillPath(route.path, call.params ?? {}), call, route.public);
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new FailedError(`the control plane sent a response that is not JSON (${route.method} ${route.path}, HTTP ${res.status})`);
    }
    if (!res.ok) throw this.errorFrom(res.status, json, route.method, route.path);
    const parsed = (route.response as z.ZodType).safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new FailedError(
        `the control plane's response to ${route.method} ${route.path} does not match the contract: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
        { hint: 'the CLI and the control plane may be different versions' },
      );
    }
    return parsed.data as ResponseOf<N>;
  }

  /** Opens a streaming endpoint (server-sent events) and returns the raw response. */
  async stream(name: RouteName, call: CallOptions = {}): Promise<WireResponse> {
    const route = routes[name];
    const res = await this.send(route.method, fillPath(route.path, call.params ?? {}), call, route.public, 'text/event-stream');
    if (!res.ok) {
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      throw this.errorFrom(res.status, json, route.method, route.path);
    }
    return res;
  }

  private errorFrom(status: number, json: unknown, method: string, path: string): CliError {
    const parsed = errorBody.safeParse(json);
    const unauthorized = this.opts.hints?.unauthorized;
    if (parsed.success) {
      const body = parsed.data.error;
      return errorFromApi(status, (status === 401 || status === 403) && unauthorized ? { ...body, hint: unauthorized } : body);
    }
    if (status === 401 || status === 403) return new AuthError(`the control plane refused the request (HTTP ${status})`, unauthorized ? { hint: unauthorized } : {});
    return errorFromApi(status, { code: 'failed', message: `${method} ${path} failed with HTTP ${status}` });
  }

  private async send(method: string, path: string, call: CallOptions, isPublic = false, accept = 'application/json'): Promise<WireResponse> {
    const { clock, log } = this.opts;
    const random = this.opts.random ?? Math.random;
    let url = this.url(path, call);
    const headers: Record<string, string> = { accept, 'user-agent': this.opts.userAgent ?? 'ownstack-cli' };
    if (this.opts.token && !isPublic) headers.authorization = `Bearer ${this.opts.token}`;
    let payload: string | undefined;
    if (call.body !== undefined && method !== 'GET' && method !== 'DELETE') {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(call.body);
    }
    // One key for every attempt of this call: the server replays instead of applying twice.
    if (method === 'POST') headers['idempotency-key'] = call.idempotencyKey ?? randomUUID();

    const maxAttempts = this.opts.maxAttempts ?? RETRY.attempts;
    const deadline = clock.now() + (this.opts.maxRetryMs ?? RETRY.deadlineMs);
    for (let attempt = 0; ; attempt++) {
      const started = clock.now();
      log?.(`→ ${method} ${url.href}${headers.authorization ? ' (authorization: Bearer ***)' : ''}${headers['idempotency-key'] ? ` idempotency-key=${headers['idempotency-key']}` : ''}`);
      let res: WireResponse | undefined;
      let failure: unknown;
      try {
        res = await this.transport(url, { method, headers, body: payload, signal: call.signal });
      } catch (err) {
        if (call.signal?.aborted) throw err;
        failure = err;
      }
      const took = clock.now() - started;
      if (res) log?.(`← ${res.status} ${res.statusText} ${method} ${url.pathname} ${took}ms`);
      else log?.(`← connection failed ${method} ${url.pathname} ${took}ms: ${describe(failure)}`);

      const retryable = res ? RETRY_STATUS.has(res.status) : isConnectionError(failure);
      if (!res && retryable && !this.reconnected && this.opts.reconnect) {
        // Once per client: the address may be stale (a local control plane that stopped).
        this.reconnected = true;
        const next = await this.opts.reconnect();
        if (next) {
          this.opts.baseUrl = next.baseUrl;
          this.opts.token = next.token;
          if (next.token && !isPublic) headers.authorization = `Bearer ${next.token}`;
          else delete headers.authorization;
          url = this.url(path, call);
          log?.(`  the control plane is now at ${next.baseUrl}; retrying`);
          continue;
        }
      }
      if (!retryable || attempt + 1 >= maxAttempts) return res ?? this.connectionFailure(failure);
      let wait = backoffDelay(attempt, random);
      if (res?.status === 429) wait = Math.max(wait, retryAfterMs(res.header('retry-after'), Date.now()) ?? 0);
      if (clock.now() + wait > deadline) return res ?? this.connectionFailure(failure);
      // Read (not cancel) the body: it frees the connection for reuse and never hangs under msw.
      if (res) await res.discard().catch(() => undefined);
      log?.(`  retrying in ${wait}ms (attempt ${attempt + 2} of ${maxAttempts})`);
      await clock.sleep(wait, call.signal);
    }
  }

  private url(path: string, call: CallOptions): URL {
    const url = new URL(this.opts.baseUrl + path);
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined && v !== false) url.searchParams.set(k, String(v));
    return url;
  }

  private connectionFailure(err: unknown): never {
    const what = describe(err);
    if (/timeout/i.test(what)) throw new TimeoutError(`the control plane at ${this.opts.baseUrl} did not answer in time (${what})`, { cause: err });
    throw new FailedError(`cannot reach the control plane at ${this.opts.baseUrl} (${what})`, {
      hint: this.opts.hints?.unreachable ?? 'check the URL and the network (`ownstack profile show` shows which control plane this command uses)',
      cause: err,
    });
  }
}

function describe(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const { code, message } = e as { code?: string; message?: string };
    parts.push(code ?? message ?? String(e));
    e = (e as { cause?: unknown }).cause;
  }
  return [...new Set(parts)].join(': ') || 'unknown error';
}
