// How the API client puts one request on the wire. Two transports with the same connection
// settings (keep-alive, 5 s connect timeout, 30 s headers timeout, no body timeout):
//
// - `nodeHttpTransport`: node:http / node:https. The default, because it is cheap to load: the
//   first call of Node 20's built-in fetch loads its internal undici and doubles the start-up cost
//   of a command (measured by `npm run bench -- --imports`; see docs/startup.md).
// - `fetchTransport`: globalThis.fetch with an undici 7 `EnvHttpProxyAgent` dispatcher. Used when
//   an http(s)_proxy variable is set, so `https_proxy`/`no_proxy` work exactly as undici reads them.
//
// Both look their function up at call time (`http.request`, `globalThis.fetch`), so msw intercepts
// either one in tests. Connection failures carry the same error codes from both, so the client
// retries and reports them alike.
import http from 'node:http';
import type { IncomingMessage } from 'node:http';

/** What the client needs from a response, whichever transport produced it. */
export interface WireResponse {
  status: number;
  statusText: string;
  ok: boolean;
  header(name: string): string | null;
  text(): Promise<string>;
  /** Reads and drops the body (frees the connection for reuse). */
  discard(): Promise<void>;
  /** The body as it arrives, for server-sent events. */
  body: AsyncIterable<Uint8Array>;
}

export interface WireRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export type Transport = (url: URL, init: WireRequest) => Promise<WireResponse>;

export const CONNECT_TIMEOUT_MS = 5_000;
export const HEADERS_TIMEOUT_MS = 30_000;
export const KEEP_ALIVE_MS = 10_000;

const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] as const;

/** True when an http(s)_proxy variable is set: requests then go through undici's EnvHttpProxyAgent. */
export function proxyConfigured(env: NodeJS.ProcessEnv): boolean {
  return PROXY_VARIABLES.some((name) => (env[name] ?? '').trim() !== '');
}

/** The transport for this environment: fetch + undici when a proxy is configured, else node:http. */
export async function defaultTransport(env: NodeJS.ProcessEnv): Promise<Transport> {
  return proxyConfigured(env) ? fetchTransport(await createDispatcher(env)) : nodeHttpTransport();
}

/** An error with a code the client's retry rule knows (the codes undici uses for the same cases). */
function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** node:http(s) with a keep-alive agent per protocol and the connect/headers timeouts. */
export function nodeHttpTransport(opts: { connectTimeoutMs?: number; headersTimeoutMs?: number } = {}): Transport {
  const connectTimeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const headersTimeoutMs = opts.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const agents = new Map<string, http.Agent>();
  return async (url, init) => {
    // https (and its TLS stack) is loaded only for https URLs; the local control plane is http.
    const lib: typeof http = url.protocol === 'https:' ? ((await import('node:https')).default as unknown as typeof http) : http;
    let agent = agents.get(url.protocol);
    if (!agent) {
      agent = new lib.Agent({ keepAlive: true, keepAliveMsecs: KEEP_ALIVE_MS, timeout: KEEP_ALIVE_MS });
      agents.set(url.protocol, agent);
    }
    const headers: Record<string, string | number> = { ...init.headers };
    if (init.body !== undefined) headers['content-length'] = Buffer.byteLength(init.body);
    return new Promise<WireResponse>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const fail = (err: Error) => {
        clearTimeout(timer);
        req.destroy(err);
        reject(err);
      };
      const req = lib.request(url, { method: init.method, headers, agent, signal: init.signal }, (res) => {
        clearTimeout(timer);
        resolve(wrapIncoming(res));
      });
      timer = setTimeout(() => fail(codedError('UND_ERR_HEADERS_TIMEOUT', `no response headers within ${headersTimeoutMs} ms`)), headersTimeoutMs);
      timer.unref();
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const connectTimer = setTimeout(() => fail(codedError('UND_ERR_CONNECT_TIMEOUT', `connect timeout (${connectTimeoutMs} ms)`)), connectTimeoutMs);
        connectTimer.unref();
        socket.once('connect', () => clearTimeout(connectTimer));
        socket.once('close', () => clearTimeout(connectTimer));
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(init.body);
    });
  };
}

function wrapIncoming(res: IncomingMessage): WireResponse {
  const status = res.statusCode ?? 0;
  const readAll = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  return {
    status,
    statusText: res.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    header: (name) => {
      const v = res.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
    text: async () => (await readAll()).toString('utf8'),
    discard: async () => {
      await readAll();
    },
    body: res,
  };
}

/** globalThis.fetch with an undici dispatcher (looked up at call time, so msw can intercept). */
export function fetchTransport(dispatcher: unknown): Transport {
  return async (url, init) => {
    const res = await globalThis.fetch(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: init.signal,
      // @ts-expect-error undici's dispatcher option is not in the DOM RequestInit type
      dispatcher,
    });
    return {
      status: res.status,
      statusText: res.statusText,
      ok: res.ok,
      header: (name) => res.headers.get(name),
      text: () => res.text(),
      discard: async () => {
        await res.arrayBuffer();
      },
      body: (res.body ?? emptyBody()) as unknown as AsyncIterable<Uint8Array>,
    };
  };
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/**
 * The undici 7 dispatcher: keep-alive, connect/header timeouts, and http(s)_proxy/no_proxy read
 * from `env` (the command's environment; undici falls back to process.env for what it lacks).
 */
export async function createDispatcher(env: NodeJS.ProcessEnv = process.env): Promise<unknown> {
  const undici = await import('undici');
  // undici is CommonJS: in the ESM bundle its exports may sit under `default`.
  const EnvHttpProxyAgent = undici.EnvHttpProxyAgent ?? (undici as unknown as { default: typeof undici }).default.EnvHttpProxyAgent;
  const first = (...names: string[]) => names.map((n) => env[n]).find((v) => v !== undefined && v.trim() !== '');
  return new EnvHttpProxyAgent({
    httpProxy: first('http_proxy', 'HTTP_PROXY'),
    httpsProxy: first('https_proxy', 'HTTPS_PROXY'),
    noProxy: first('no_proxy', 'NO_PROXY'),
    connect: { timeout: CONNECT_TIMEOUT_MS },
    headersTimeout: HEADERS_TIMEOUT_MS,
    bodyTimeout: 0,
    keepAliveTimeout: KEEP_ALIVE_MS,
  });
}
