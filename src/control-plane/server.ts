// The local control plane's entry point: opens the state folder, migrates the database,
// reconciles every cluster's rendered files and serves the REST API: plain HTTP on loopback for
// this machine, and HTTPS on a network address when one is configured (network.ts).
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, STATUS_CODES, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { join } from 'node:path';
import { isLoopbackHost } from '../inputs/loopback.js';
import { HealthGate } from './service/health-gate.js';
import { Maintenance } from './service/maintenance.js';
import { openDatabase } from './store/db.js';
import { DeployLog, DeployService, type DeployRunner } from './service/deploys.js';
import type { DeployRunnerDeps } from './service/deploy-runner.js';
import { createRequestHandler, type HttpLimits } from './http/router.js';
import { startEdgeLoop, type EdgeLoop } from './runtime/edge-loop.js';
import { IdempotencyStore } from './store/idempotency.js';
import { escapeControl } from '../control-chars.js';
import { listenUrl } from './network.js';
import { noopRuntime, Reconciler, writeFileAtomic, type ProxyRuntime } from './runtime/reconcile.js';
import { Service } from './service/service.js';
import { ProxyFleet } from './runtime/fleet.js';
import { AgentTokens } from './store/agent-tokens.js';
import { Store } from './store/store.js';
import { TokenService } from './service/tokens.js';

declare const __VERSION__: string;

export interface ControlPlaneOptions {
  /** OWNSTACK_HOME; the state lives in `$home/local/`. */
  home: string;
  /** The plain-HTTP listener: loopback only (default 127.0.0.1). */
  host?: string;
  /** 0 = a random free port. */
  port?: number;
  log?: (line: string) => void;
  /** Periodic reconcile of files and edge records (retries failed edge updates); 0 disables. Default 60 s. */
  reconcileIntervalMs?: number;
  /** The proxy runtime (default: none — proxies report `stopped`), or a factory given the store and the fleet. Closed with the control plane (the proxies keep serving). */
  runtime?: ProxyRuntime | ((deps: RuntimeDeps) => ProxyRuntime);
  /** How long a proxy may go without reporting before it counts as lost (default 15 s). */
  heartbeatTimeoutMs?: number;
  /** The proxy → edge loop's interval (runtime/edge-loop.ts); 0 or unset disables it. */
  edgeIntervalMs?: number;
  /** First listen port of local clusters (OWNSTACK_PROXY_PORT_BASE); default 18080. */
  proxyPortBase?: number;
  /** The deploy runner (default: none — jobs stay `queued`), or a factory given the control plane's internals (service/deploy-runner.ts). */
  deployRunner?: DeployRunner | ((deps: DeployRunnerDeps) => DeployRunner);
  /**
   * Host names (besides the listen address, loopback IPs and localhost) a request's Host header
   * may name: a reverse proxy or tunnel in front (OWNSTACK_ALLOWED_HOSTS).
   */
  allowedHosts?: string[];
  /** Connection and event-stream caps (defaults: DEFAULT_MAX_CONNECTIONS, http.ts DEFAULT_HTTP_LIMITS). */
  limits?: Partial<HttpLimits> & { connections?: number };
  /** The environment edge drivers read their settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** A second listener, HTTPS only, on an address other hosts reach (agents, operators): network.ts. */
  network?: { host: string; port: number; cert: Buffer; key: Buffer };
}

export interface RunningControlPlane {
  url: string;
  token: string;
  port: number;
  /** The HTTPS listener's URL (by address), when there is one. */
  networkUrl?: string;
  close(): Promise<void>;
}

export const DEFAULT_RECONCILE_INTERVAL_MS = 60_000;
/** Open connections served at once; a request on one more connection is answered 503. */
export const DEFAULT_MAX_CONNECTIONS = 256;

/** OWNSTACK_ALLOWED_HOSTS: comma- or space-separated host names, lower case, ports dropped. */
export function allowedHostsFromEnv(env: NodeJS.ProcessEnv): string[] {
  return (env.OWNSTACK_ALLOWED_HOSTS ?? '')
    .split(/[\s,]+/)
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
}

/**
 * The Host check against DNS rebinding: a page on evil.example that resolves to 127.0.0.1 sends
 * `Host: evil.example`. Accepted: loopback IP literals, localhost, the bind host, and the
 * configured names (any port: a rebinding page cannot choose the Host's name, only its port).
 */
export function hostMatcher(bindHost: string, extra: readonly string[]): (host: string) => boolean {
  const names = new Set(['localhost', bindHost.toLowerCase().replace(/^\[(.*)\]$/, '$1'), ...extra.map((h) => h.replace(/^\[(.*)\]$/, '$1'))]);
  return (header) => {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(header.trim().toLowerCase());
    if (!m) return false;
    const name = (m[1] ?? m[2] ?? '').replace(/\.$/, '');
    return names.has(name) || (isIP(name) !== 0 && isLoopback(name));
  };
}

/** What a proxy runtime factory gets. */
export interface RuntimeDeps {
  store: Store;
  fleet: ProxyFleet;
  /** Tell the edge that a proxy came or went (it publishes again at once). */
  proxiesChanged: (clusterId: number) => void;
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and localhost. */
export const isLoopback = isLoopbackHost;

/** Reads the API token, generating it (32 random bytes, base64url, file mode 0600) on first start. */
export function ensureToken(localDir: string): string {
  const path = join(localDir, 'token');
  try {
    const token = readFileSync(path, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{20,}$/.test(token)) {
      if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
      return token;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return '';
}

/** The health gate over the runtime's probe verdicts (none when the runtime does not probe). */
function healthGateOf(runtime: ProxyRuntime, reconciler: Reconciler): HealthGate | null {
  const health = runtime.upstreamHealth?.bind(runtime);
  if (!health) return null;
  const error = runtime.upstreamError?.bind(runtime);
  return new HealthGate((c) => {
    const rc = reconciler.runtimeCluster(c);
    return { health: (a, h) => health(rc, a, h), error: (a, h) => error?.(rc, a, h) ?? null };
  });
}

/** Starts the local control plane and resolves once it listens. */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<RunningControlPlane> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host)) {
    throw new Error(`the local control plane binds loopback addresses only (127.0.0.0/8, ::1, localhost), not ${host}: it has no TLS and one shared token`);
  }
  const sink = opts.log ?? (() => undefined);
  // One event per line: nothing a client sends (a path, a body, a name) can forge a log line.
  const log = (line: string): void => sink(escapeControl(line));
  const localDir = join(opts.home, 'local');
  mkdirSync(localDir, { recursive: true, mode: 0o700 });
  chmodSync(localDir, 0o700);
  let token = ensureToken(localDir);
  if (token === '') {
    token = randomBytes(32).toString('base64url');
    await writeFileAtomic(join(localDir, 'token'), `${token}\n`, { mode: 0o600, durable: true });
  }

  const db = openDatabase(join(localDir, 'state.db'));
  const store = new Store(db);
  // The edge hears of a proxy's health change at once (the edge loop's refresh); its period stays the backstop.
  let edgeLoop: EdgeLoop | undefined;
  const proxiesChanged = (clusterId: number) => {
    edgeLoop?.refresh(clusterId).catch((err: Error) => log(`edge refresh failed: ${err.message}`));
  };
  const fleet = new ProxyFleet(store, {
    heartbeatTimeoutMs: opts.heartbeatTimeoutMs,
    onHealthChange: proxiesChanged,
    onFallback: (clusterId, proxy, hostname, detail) => {
      const cluster = store.clusterById(clusterId)?.name ?? String(clusterId);
      log(detail === null ? `cluster ${cluster}: proxy ${proxy}: ${hostname}: health fallback ended, its active members serve again` : `cluster ${cluster}: proxy ${proxy}: ${hostname}: ${detail}`);
    },
  });
  const runtime = typeof opts.runtime === 'function' ? opts.runtime({ store, fleet, proxiesChanged }) : (opts.runtime ?? noopRuntime);
  const reconciler = new Reconciler(store, localDir, runtime, log, opts.env ?? process.env, (id) => fleet.notify(id));
  const service = new Service(store, reconciler, { listenBase: opts.proxyPortBase });
  service.gate = healthGateOf(runtime, reconciler);
  const deployLog = new DeployLog(store);
  const deployRunner = typeof opts.deployRunner === 'function' ? opts.deployRunner({ store, service, reconciler, log }) : (opts.deployRunner ?? null);
  const deploys = new DeployService(store, deployLog, deployRunner);
  const idempotency = new IdempotencyStore(store);
  let server: Server | undefined;
  let networkServer: Server | undefined;
  let timer: NodeJS.Timeout | undefined;
  const maxConnections = opts.limits?.connections ?? DEFAULT_MAX_CONNECTIONS;
  const overCap = new Set<Socket>();
  let closeHandler = (): void => undefined;
  try {
    // With a runner, unfinished jobs (queued ones too) become interrupted and what they drained is undrained.
    const interrupted = deployLog.markInterrupted({ includeQueued: deployRunner !== null, undrain: (clusterId, app) => void service.memberUndrain(String(clusterId), app, false) });
    if (interrupted > 0) log(`marked ${interrupted} deploy job(s) interrupted (they were running when the control plane stopped)`);
    idempotency.purge();
    // The database is the truth: every generation and file matches it before serving (e.g. after a kill -9).
    for (const w of await reconciler.renderAll()) log(`reconcile: ${w}`);

    const agentTokens = new AgentTokens(store);
    const handler = createRequestHandler({
      service,
      deploys,
      idempotency,
      token,
      version: typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev',
      log,
      openapi: async () => (await import('../api/openapi.js')).buildOpenApi(),
      fleet,
      maintenance: new Maintenance(service, fleet, runtime.settleMs ?? 0),
      agentTokens,
      tokens: new TokenService(store, agentTokens),
      allowedHost: hostMatcher(host, opts.allowedHosts ?? []),
      overCapacity: (req: IncomingMessage) =>
        overCap.has(req.socket)
          ? { code: 'unavailable', message: `the control plane has ${maxConnections} open connections, the most it serves at once`, rule: `at most ${maxConnections} open connections`, hint: 'close idle connections (or event streams) and retry' }
          : null,
      ...(opts.limits ? { limits: opts.limits } : {}),
    });
    closeHandler = handler.close;
    const open = new Set<Socket>();
    const srv = listenerServer(createServer({ requestTimeout: 60_000, headersTimeout: 10_000 }, handler.listener), open, overCap, maxConnections, log);
    server = srv;
    if (opts.network) {
      const net = opts.network;
      const tlsServer = listenerServer(
        createTlsServer({ cert: net.cert, key: net.key, minVersion: 'TLSv1.2', requestTimeout: 60_000, headersTimeout: 10_000 }, handler.listener as RequestListener),
        open,
        overCap,
        maxConnections,
        log,
        true,
      );
      networkServer = tlsServer;
      await new Promise<void>((resolve, reject) => {
        tlsServer.once('error', reject);
        tlsServer.listen(net.port, net.host, () => {
          tlsServer.off('error', reject);
          resolve();
        });
      });
    }
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(opts.port ?? 0, host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    closeHandler();
    server?.close();
    networkServer?.close();
    fleet.close();
    await runtime.close?.();
    db.close();
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (opts.port ?? 0);
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  log(`control plane listening on ${url} (state ${localDir})`);
  let networkUrl: string | undefined;
  if (networkServer && opts.network) {
    const a = networkServer.address();
    const nport = typeof a === 'object' && a !== null ? a.port : opts.network.port;
    networkUrl = listenUrl({ host: opts.network.host, port: nport });
    log(`control plane listening on ${networkUrl} (TLS, for agents and operators on other hosts)`);
  }

  // The proxies and the edge follow now that the agents can reach this server.
  reconciler.reconcileAll().then(
    ({ warnings }) => warnings.forEach((w) => log(`reconcile: ${w}`)),
    (err: Error) => log(`reconcile failed: ${err.message}`),
  );
  const interval = opts.reconcileIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS;
  if (interval > 0) {
    timer = setInterval(() => {
      idempotency.purge();
      reconciler.reconcileAll().then(
        ({ warnings }) => warnings.forEach((w) => log(`reconcile: ${w}`)),
        (err: Error) => log(`reconcile failed: ${err.message}`),
      );
    }, interval);
    timer.unref();
  }
  // The proxy → edge loop (drops dead proxies from the edge, restores recovered ones).
  edgeLoop = startEdgeLoop({ store, reconciler, intervalMs: opts.edgeIntervalMs ?? 0, log });
  const loop = edgeLoop;

  let closing: Promise<void> | undefined;
  const srv = server;
  const nsrv = networkServer;
  return {
    url,
    token,
    port,
    ...(networkUrl ? { networkUrl } : {}),
    close() {
      closing ??= (async () => {
        if (timer) clearInterval(timer);
        closeHandler();
        // Agents waiting on a long-poll get their answer now, so the server can close.
        fleet.close();
        await Promise.all(
          [srv, nsrv].map(
            (s) =>
              s &&
              new Promise<void>((resolve) => {
                s.close(() => resolve());
                s.closeIdleConnections();
              }),
          ),
        );
        await loop.stop();
        await reconciler.idle();
        await deployRunner?.close?.();
        // Stops supervising; the proxies keep serving (`local stop --proxies` stops them).
        await runtime.close?.();
        db.close();
        log('control plane stopped');
      })();
      return closing;
    },
  };
}

/**
 * One listener's limits, shared by the loopback and the TLS listener: headers within 10 s and a
 * whole request within 60 s, so idle or slow connections cannot hold the slots for long; past the
 * cap a request is answered 503, past twice the cap a connection is dropped without an answer.
 * A TLS listener counts its sockets once the handshake is done (they are then the requests' sockets).
 */
function listenerServer<S extends Server>(srv: S, open: Set<Socket>, overCap: Set<Socket>, maxConnections: number, log: (line: string) => void, tls = false): S {
  srv.keepAliveTimeout = 5_000;
  srv.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    open.add(socket);
    if (open.size > maxConnections) overCap.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      overCap.delete(socket);
    });
  });
  srv.maxConnections = maxConnections * 2;
  // What node's parser refuses (an unknown method, broken framing, headers too large) gets the
  // one error body too; the offending bytes are neither echoed nor logged.
  srv.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const message =
      status === 408 ? 'the request did not arrive in time' : status === 431 ? 'the request headers are too large' : `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'})`;
    const body = `${JSON.stringify({ error: { code: status === 408 ? 'timeout' : 'invalid', message } })}\n`;
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    log(`HTTP request refused by the parser: ${status} ${err.code ?? 'parse error'}`);
  });
  return srv;
}
