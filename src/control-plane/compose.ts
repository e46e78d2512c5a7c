// The local control plane's composition root: the server (store, service, HTTP) with the proxy
// agents it supervises, the deploy runner and the edge loop, listening on 127.0.0.1 and named in
// server.json. Run by the server process (main.ts) and by `ownstack local start --foreground`.
// The parts are imported when serveHere runs: the CLI bundle reaches this module from `local
// start`, and its background start must not load the server.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConflictError, FailedError } from '../errors.js';
import { ensurePrivateDir, localPaths, removeServerInfo, writeServerInfo, type ServerInfo } from '../local/files.js';
import { VERSION } from '../version.js';

export interface Serving {
  info: ServerInfo;
  close(): Promise<void>;
}

/** Starts the server in this process, writes server.json, and returns how to close it. */
export async function serveHere(opts: { home: string; port: number; log: (line: string) => void }): Promise<Serving> {
  const paths = localPaths(opts.home);
  ensurePrivateDir(paths.home);
  ensurePrivateDir(paths.dir);
  const { startControlPlane, allowedHostsFromEnv } = await import('./server.js');
  const { DEFAULT_EDGE_INTERVAL_MS } = await import('./runtime/edge-loop.js');
  const { durationFromEnv, heartbeatTimeoutFromEnv, proxyPortBaseFromEnv } = await import('./settings.js');
  const { AgentRuntime } = await import('./runtime/agent-runtime.js');
  const { LocalAgents } = await import('./runtime/local-agents.js');
  const { createDeployRunner } = await import('./service/deploy-runner.js');
  const proxyPortBase = proxyPortBaseFromEnv(process.env);
  const edgeIntervalMs = durationFromEnv(process.env, 'OWNSTACK_EDGE_INTERVAL') ?? DEFAULT_EDGE_INTERVAL_MS;
  const command = await agentCommand();
  const restartDelayMs = durationFromEnv(process.env, 'OWNSTACK_PROXY_RESTART_DELAY');
  // A proxy silent this long counts as lost: it leaves the edge at the next edge-loop period.
  const heartbeatTimeoutMs = heartbeatTimeoutFromEnv(process.env);
  // The HTTPS listener for other hosts, as `local start --listen` saved it.
  const { readNetwork, loadTls } = await import('./network.js');
  const networkSettings = readNetwork(paths.dir);
  const network = networkSettings ? { host: networkSettings.host, port: networkSettings.port, ...loadTls(networkSettings) } : undefined;
  let server: Awaited<ReturnType<typeof startControlPlane>>;
  try {
    server = await startControlPlane({
      home: paths.home,
      host: '127.0.0.1',
      port: opts.port,
      log: opts.log,
      // Proxies are agent processes (src/agent) this control plane starts, unless OWNSTACK_PROXY_RUNTIME=none.
      runtime:
        process.env.OWNSTACK_PROXY_RUNTIME === 'none'
          ? undefined
          : (deps) =>
              new AgentRuntime({
                store: deps.store,
                fleet: deps.fleet,
                log: opts.log,
                version: VERSION,
                local: new LocalAgents({ localDir: paths.dir, command, env: process.env, log: opts.log, restartDelayMs, onChange: deps.proxiesChanged }),
              }),
      proxyPortBase,
      edgeIntervalMs,
      deployRunner: (deps) => createDeployRunner(deps),
      allowedHosts: allowedHostsFromEnv(process.env),
      ...(network ? { network } : {}),
      heartbeatTimeoutMs,
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && network && (err as { port?: number }).port === network.port) {
      throw new ConflictError(`port ${network.port} is already in use on ${network.host} (the --listen address)`, { hint: 'pick another with `ownstack local start --listen ADDRESS:PORT …`' });
    }
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ConflictError(`port ${opts.port} is already in use on 127.0.0.1`, { hint: 'pick another with --port or OWNSTACK_LOCAL_PORT (0: any free port)' });
    }
    throw err;
  }
  const info: ServerInfo = {
    pid: process.pid,
    url: server.url.replace(/\/+$/, ''),
    port: server.port,
    started_at: new Date().toISOString(),
    version: VERSION,
    ...(server.networkUrl ? { network_url: server.networkUrl } : {}),
  };
  writeServerInfo(paths, info);
  let closing: Promise<void> | undefined;
  return {
    info,
    close: () =>
      (closing ??= (async () => {
        // server.json goes first: a command arriving now starts a fresh server instead of
        // talking to one that is shutting down.
        removeServerInfo(paths, process.pid);
        await server.close();
      })()),
  };
}

/**
 * The program a local proxy agent runs as (`<it> proxy agent …`): this binary, or node with the npm
 * package's bin/ownstack (found next to dist/, or next to src/ when run from the sources).
 */
export async function agentCommand(): Promise<string[]> {
  const sea = await import('node:sea').catch(() => null);
  if (sea?.isSea()) return [process.execPath];
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '..', 'bin', 'ownstack'), resolve(here, '..', '..', 'bin', 'ownstack')];
  const found = candidates.find((p) => existsSync(p) && existsSync(join(dirname(p), '..', 'dist', 'ownstack.bundle.js')));
  if (!found) throw new FailedError(`cannot find the ownstack program for the proxy agents (looked for ${candidates.join(', ')})`, { hint: 'build it with `npm run build`' });
  return [process.execPath, found];
}
