// The typed API client: globalThis.fetch (looked up at call time, so msw can intercept) with an
// undici dispatcher for connection settings, retries with jittered backoff in this code, and
// every response parsed with the contract's schemas.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { routes, fillPath, type RouteName, type ResponseOf } from './routes.js';
import { errorBody } from './schemas.js';
import { CliError, FailedError, TimeoutError, AuthError, errorFromApi } from '../errors.js';

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface ClientOptions {
  baseUrl: string;
  token: string | null;
  /** Verbose request/response lines (stderr); Authorization is redacted. */
  log?: (line: string) => void;
  clock: Clock;
  dispatcher?: unknown;
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

/** Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempt)]. */
export function backoffDelay(attempt: number, random: () => number, base = 200, cap = 4000): number {
  return Math.round(random() * Math.min(cap, base * 2 ** attempt));
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const t = Date.parse(header);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

export class ApiClient {
  constructor(readonly opts: ClientOptions) {}

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
  async stream(name: RouteName, call: CallOptions = {}): Promise<Response> {
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
    if (parsed.success) return errorFromApi(status, parsed.data.error);
    if (status === 401 || status === 403) return new AuthError(`the control plane refused the request (HTTP ${status})`);
    return errorFromApi(status, { code: 'failed', message: `${method} ${path} failed with HTTP ${status}` });
  }

  private async send(method: string, path: string, call: CallOptions, isPublic = false, accept = 'application/json'): Promise<Response> {
    const { clock, log } = this.opts;
    const random = this.opts.random ?? Math.random;
    const url = new URL(this.opts.baseUrl + path);
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined && v !== false) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept, 'user-agent': this.opts.userAgent ?? 'ownstack-cli' };
    if (this.opts.token && !isPublic) headers.authorization = `Bearer ${this.opts.token}`;
    let payload: string | undefined;
    if (call.body !== undefined && method !== 'GET' && method !== 'DELETE') {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(call.body);
    }
    // One key for every attempt of this call: the server replays instead of applying twice.
    if (method === 'POST') headers['idempotency-key'] = call.idempotencyKey ?? randomUUID();

    const maxAttempts = this.opts.maxAttempts ?? 5;
    const deadline = clock.now() + (this.opts.maxRetryMs ?? 15_000);
    for (let attempt = 0; ; attempt++) {
      const started = clock.now();
      log?.(`→ ${method} ${url.href}${headers.authorization ? ' (authorization: Bearer ***)' : ''}${headers['idempotency-key'] ? ` idempotency-key=${headers['idempotency-key']}` : ''}`);
      let res: Response | undefined;
      let failure: unknown;
      try {
        res = await globalThis.fetch(url, {
          method,
          headers,
          body: payload,
          signal: call.signal,
          // @ts-expect-error undici's dispatcher option is not in the DOM RequestInit type
          dispatcher: this.opts.dispatcher,
        });
      } catch (err) {
        if (call.signal?.aborted) throw err;
        failure = err;
      }
      const took = clock.now() - started;
      if (res) log?.(`← ${res.status} ${res.statusText} ${method} ${url.pathname} ${took}ms`);
      else log?.(`← connection failed ${method} ${url.pathname} ${took}ms: ${describe(failure)}`);

      const retryable = res ? RETRY_STATUS.has(res.status) : isConnectionError(failure);
      if (!retryable || attempt + 1 >= maxAttempts) return res ?? this.connectionFailure(failure);
      let wait = backoffDelay(attempt, random);
      if (res?.status === 429) wait = Math.max(wait, retryAfterMs(res.headers.get('retry-after'), Date.now()) ?? 0);
      if (clock.now() + wait > deadline) return res ?? this.connectionFailure(failure);
      // Read (not cancel) the body: it frees the connection for reuse and never hangs under msw.
      if (res) await res.arrayBuffer().catch(() => undefined);
      log?.(`  retrying in ${wait}ms (attempt ${attempt + 2} of ${maxAttempts})`);
      await clock.sleep(wait, call.signal);
    }
  }

  private connectionFailure(err: unknown): never {
    const what = describe(err);
    if (/timeout/i.test(what)) throw new TimeoutError(`the control plane at ${this.opts.baseUrl} did not answer in time (${what})`, { cause: err });
    throw new FailedError(`cannot reach the control plane at ${this.opts.baseUrl} (${what})`, {
      hint: 'check the profile (`ownstack profile show`) or start the local control plane (`ownstack local start`)',
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

/** The undici 7 dispatcher: keep-alive, connect/header timeouts, and http(s)_proxy/no_proxy. */
export async function createDispatcher(): Promise<unknown> {
  const undici = await import('undici');
  // undici is CommonJS: in the ESM bundle its exports may sit under `default`.
  const EnvHttpProxyAgent = undici.EnvHttpProxyAgent ?? (undici as unknown as { default: typeof undici }).default.EnvHttpProxyAgent;
  return new EnvHttpProxyAgent({ connect: { timeout: 5_000 }, headersTimeout: 30_000, bodyTimeout: 0, keepAliveTimeout: 10_000 });
}
