// Helpers for the proxy runtime tests: an in-process control plane whose proxies are real agents
// (the built bin/ownstack) with real Caddy (loopback only), small variant servers, and a GET
// through a proxy with a Host header.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { AgentRuntime } from '../../src/control-plane/runtime/agent-runtime.js';
import { agentCommand } from '../../src/control-plane/compose.js';
import { localPaths } from '../../src/local/files.js';
import { stopLocalProxies } from '../../src/local/stop.js';
import { LocalAgents } from '../../src/control-plane/runtime/local-agents.js';
import type { ControlPlaneOptions } from '../../src/control-plane/server.js';
import { startTestServer, tempHome, type TestServer } from '../control-plane/helpers.js';
export { get, type Got } from '../helpers/http.js';
export { waitFor } from '../helpers/wait.js';

/** True when a `caddy` binary runs here (the Caddy tests skip otherwise; CI installs it). */
export function caddyInstalled(bin = 'caddy'): boolean {
  try {
    execFileSync(bin, ['version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export interface ProxyTestServer extends TestServer {
  /** The control plane's log lines (agents started, retired, edge changes). */
  runtimeLogs: string[];
  /** Closes the control plane; the proxies keep serving (stopProxies: them too). */
  close(opts?: { stopProxies?: boolean }): Promise<void>;
  /** A fresh control plane on the same home (e.g. after a simulated crash); it adopts the proxies. */
  restartFresh(): Promise<void>;
}

/** A control plane whose proxies are local agents (bin/ownstack proxy agent), on a home of its own. */
export async function startProxyServer(opts: {
  portBase: number;
  edgeIntervalMs?: number;
  home?: string;
  /** Extra environment for the agents (e.g. OWNSTACK_CADDY_BIN). */
  agentEnv?: NodeJS.ProcessEnv;
  restartDelayMs?: number;
  extra?: Partial<ControlPlaneOptions>;
}): Promise<ProxyTestServer> {
  const home = opts.home ?? tempHome();
  const runtimeLogs: string[] = [];
  const command = await agentCommand();
  const paths = localPaths(home);
  const log = (l: string) => runtimeLogs.push(`${new Date().toISOString()} ${l}`);
  const runtime: ControlPlaneOptions['runtime'] = (deps) =>
    new AgentRuntime({
      store: deps.store,
      fleet: deps.fleet,
      log,
      local: new LocalAgents({
        localDir: paths.dir,
        command,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, OWNSTACK_HOME: home, ...opts.agentEnv },
        log,
        restartDelayMs: opts.restartDelayMs ?? 500,
        heartbeat: '500ms',
        onChange: deps.proxiesChanged,
      }),
    });
  const server = (await startTestServer({ home, runtime, proxyPortBase: opts.portBase, edgeIntervalMs: opts.edgeIntervalMs ?? 0, ...opts.extra })) as ProxyTestServer;
  // The local agents find their control plane through server.json, as they do when the CLI starts it.
  const announce = () => writeFileSync(paths.serverJson, `${JSON.stringify({ pid: process.pid, url: server.cp.url, port: server.cp.port })}\n`, { mode: 0o600 });
  announce();
  server.runtimeLogs = runtimeLogs;
  const innerClose = server.close.bind(server);
  const innerRestart = server.restart.bind(server);
  server.close = async (o = {}) => {
    await innerClose();
    if (o.stopProxies !== false) await stopLocalProxies(paths);
  };
  server.restartFresh = async () => {
    await innerRestart({ runtime });
    announce();
  };
  return server;
}

export interface VariantServer {
  name: string;
  variant: string;
  port: number;
  addr: string;
  hits: number;
  /** Requests being answered right now. */
  inflight: number;
  /** GET /slow requests being answered right now. */
  slowInflight: number;
  server: Server;
  /** Stops accepting and resets every open connection (a crashed member). */
  kill(): Promise<void>;
  /** Listens again on the same port. */
  revive(): Promise<void>;
}

/**
 * HTTP servers on 127.0.0.1 that answer `<variant>\n` (GET /slow?ms=N waits N ms first).
 * names like ['blue-1', 'blue-2', 'green-1'] → variant = the part before the last dash.
 */
export async function startVariantServers(names: string[]): Promise<{ servers: VariantServer[]; byName: Record<string, VariantServer>; close(): Promise<void> }> {
  const servers: VariantServer[] = [];
  for (const name of names) {
    const variant = name.replace(/-[^-]*$/, '');
    const sockets = new Set<Socket>();
    const vs = { name, variant, hits: 0, inflight: 0, slowInflight: 0 } as VariantServer;
    const make = () => {
      const srv = createServer((req, res) => {
        vs.hits++;
        vs.inflight++;
        const url = new URL(req.url ?? '/', 'http://x');
        const slow = url.pathname === '/slow';
        const ms = slow ? Number(url.searchParams.get('ms') ?? '2000') : 0;
        if (slow) vs.slowInflight++;
        setTimeout(() => {
          vs.inflight--;
          if (slow) vs.slowInflight--;
          res.writeHead(200, { 'content-type': 'text/plain', 'x-member': name });
          res.end(`${variant}\n`);
        }, ms);
      });
      srv.keepAliveTimeout = 30_000;
      srv.on('connection', (s: Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      return srv;
    };
    vs.server = make();
    await new Promise<void>((r) => vs.server.listen(0, '127.0.0.1', () => r()));
    vs.port = (vs.server.address() as AddressInfo).port;
    vs.addr = `127.0.0.1:${vs.port}`;
    vs.kill = async () => {
      const closed = new Promise<void>((r) => vs.server.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    };
    vs.revive = async () => {
      vs.server = make();
      await new Promise<void>((r) => vs.server.listen(vs.port, '127.0.0.1', () => r()));
    };
    servers.push(vs);
  }
  return {
    servers,
    byName: Object.fromEntries(servers.map((s) => [s.name, s])),
    close: async () => {
      await Promise.all(servers.map((s) => (s.server.listening ? s.kill() : Promise.resolve())));
    },
  };
}

/** Creates apps + a cluster with two hostnames, variants blue (100) and green (0), one upstream per app. */
export async function blueGreenCluster(
  srv: TestServer,
  opts: { name: string; hostnames: string[]; members: VariantServer[]; proxyCount?: number; health?: { path: string; interval: string; timeout: string }; edge?: string },
): Promise<void> {
  const must = (r: { status: number; body: unknown }, what: string) => {
    if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  };
  must(
    await srv.api('POST', '/api/clusters', {
      name: opts.name,
      hostnames: opts.hostnames,
      edge: opts.edge ?? 'dns_rr',
      proxy_count: opts.proxyCount ?? 2,
      health: opts.health ?? { path: '/', interval: '1s', timeout: '500ms' },
    }),
    'cluster create',
  );
  for (const v of ['blue', 'green']) must(await srv.api('POST', `/api/clusters/${opts.name}/variants`, { name: v, weight: v === 'blue' ? 100 : 0 }), `variant ${v}`);
  for (const m of opts.members) {
    must(await srv.api('POST', '/api/local/apps', { name: `${opts.name}-${m.name}`, addresses: [m.addr] }), `app ${m.name}`);
    must(await srv.api('POST', `/api/clusters/${opts.name}/upstreams`, { variant: m.variant, app: `${opts.name}-${m.name}` }), `upstream ${m.name}`);
  }
}
