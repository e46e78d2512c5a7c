// A bring-your-own proxy (`cluster create --proxy-app=<app>`, the app's `--deploy-cmd`): the agent
// runs that command through /bin/sh with the proxy contract in its environment, and restarts it
// when the contract env changes (as `dokku ps:rebuild` does for a proxy app):
//   CLUSTER_UPSTREAMS_<HOST>, CLUSTER_UPSTREAMS    the weighted upstream lists (proxy.env)
//   CLUSTER_PROXY_BIND / CLUSTER_PROXY_PORT        where to listen
//   CLUSTER_PROXY_NAME, CLUSTER_PROXY_INDEX (local replicas), CLUSTER_NAME, CLUSTER_GENERATION,
//   CLUSTER_HOSTNAMES, CLUSTER_HEALTH_PATH / _INTERVAL / _TIMEOUT,
//   CLUSTER_ENV_FILE                               the same lists as a dotenv file (the agent's copy)
// plus what src/command-env.ts passes (PATH, HOME, locale, …; never credentials or state paths).
// It must answer GET /_cluster/healthz with 200 once ready. Upstream health is the command's own business.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentConfig } from '../api/agent.js';
import { commandEnv } from '../command-env.js';
import { HEALTHZ_PATH } from '../proxy/caddyfile.js';
import { renderEnv, renderEnvFile } from '../proxy/env.js';
import { probeHttp } from '../proxy/probe.js';
import { computeRouting } from '../proxy/routing.js';
import { isAlive } from '../process.js';
import { readLogFrom, readPidFile, removePidFile, spawnDetached, terminate, writePidFile } from '../proxy/runtime-process.js';
import type { Engine } from './engine.js';
import { logTail } from './caddy.js';
import type { AgentState } from './state.js';

/** Env var that marks a command proxy's process as this agent's (adoption after a restart). */
export const PROXY_MARKER_ENV = 'OWNSTACK_PROXY_AGENT_DIR';
const READY_TIMEOUT_MS = 30_000;

export interface CommandEngineOptions {
  state: AgentState;
  name: string;
  /** A local replica's number (CLUSTER_PROXY_INDEX), null for agents on other hosts. */
  index: number | null;
  listen: { address: string | null; port: number };
  env: NodeJS.ProcessEnv;
}

function environOf(pid: number): Map<string, string> | null {
  try {
    const out = new Map<string, string>();
    for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const eq = kv.indexOf('=');
      if (eq > 0) out.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    return out;
  } catch {
    return null;
  }
}

/** The environment a proxy command runs with for `config`. */
export function proxyCommandEnv(config: AgentConfig, o: Pick<CommandEngineOptions, 'name' | 'index' | 'listen' | 'env' | 'state'>): Record<string, string> {
  const input = config.input;
  return commandEnv(o.env, {
    ...renderEnv(computeRouting(input)),
    CLUSTER_NAME: config.cluster,
    CLUSTER_GENERATION: String(config.generation),
    CLUSTER_PROXY_NAME: o.name,
    ...(o.index === null ? {} : { CLUSTER_PROXY_INDEX: String(o.index) }),
    CLUSTER_ENV_FILE: envFilePath(o.state),
    CLUSTER_PROXY_BIND: o.listen.address ?? '0.0.0.0',
    CLUSTER_PROXY_PORT: String(o.listen.port),
    CLUSTER_HOSTNAMES: input.domains.map((d) => d.hostname).join(' '),
    CLUSTER_HEALTH_PATH: input.health.path,
    CLUSTER_HEALTH_INTERVAL: input.health.interval,
    CLUSTER_HEALTH_TIMEOUT: input.health.timeout,
    [PROXY_MARKER_ENV]: o.state.dir,
  });
}

function envFilePath(state: AgentState): string {
  return join(state.dir, 'proxy.env');
}

export class CommandEngine implements Engine {
  readonly kind = 'command' as const;
  private proc: number | null = null;
  private exit: Promise<string> | null = null;
  private env: Record<string, string> | null = null;
  private command: string | null = null;
  private config: AgentConfig | null = null;

  constructor(private readonly o: CommandEngineOptions) {}

  private get pidPath(): string {
    return join(this.o.state.dir, 'proxy.pid');
  }

  private get logPath(): string {
    return join(this.o.state.dir, 'proxy.log');
  }

  version(): string | null {
    return null;
  }

  pid(): number | null {
    if (this.proc !== null && !isAlive(this.proc)) this.proc = null;
    return this.proc;
  }

  exited(): Promise<string> | null {
    return this.exit;
  }

  fallbacks(): [] {
    return [];
  }

  async adopt(config: AgentConfig): Promise<boolean> {
    this.config = config;
    const pid = readPidFile(this.pidPath);
    const env = pid !== null && isAlive(pid) ? environOf(pid) : null;
    if (pid === null || env?.get(PROXY_MARKER_ENV) !== this.o.state.dir) {
      removePidFile(this.pidPath);
      return false;
    }
    this.proc = pid;
    this.exit = null;
    this.command = config.command;
    // What it was started with: a later apply restarts it only when this differs.
    this.env = Object.fromEntries(env);
    return true;
  }

  async apply(config: AgentConfig): Promise<Record<string, number>> {
    const env = proxyCommandEnv(config, this.o);
    // The generation alone changing is no reason to restart.
    const same = (a: Record<string, string> | null) => a !== null && JSON.stringify({ ...a, CLUSTER_GENERATION: '' }) === JSON.stringify({ ...env, CLUSTER_GENERATION: '' });
    this.config = config;
    if (this.pid() !== null && this.command === config.command && same(this.env)) return {};
    await this.stop();
    if (!config.command) throw new Error(`proxy app of cluster ${config.cluster} has no command`);
    writeFileSync(envFilePath(this.o.state), renderEnvFile(renderEnv(computeRouting(config.input)), { cluster: config.cluster }), { mode: 0o600 });
    const spawned = spawnDetached('/bin/sh', ['-c', config.command], { env, cwd: this.o.state.dir, logPath: this.logPath });
    if (spawned.pid <= 0) throw new Error(`could not start the proxy command: ${await spawned.exited}`);
    const host = this.o.listen.address ?? '127.0.0.1';
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const why = spawned.exitReason();
      if (why !== null) throw new Error(`the proxy command exited while starting (${why}): ${logTail(readLogFrom(this.logPath, spawned.logOffset))}`);
      const r = await probeHttp({ origin: `http://${host.includes(':') ? `[${host}]` : host}:${this.o.listen.port}`, path: HEALTHZ_PATH, timeoutMs: 1_000, maxRedirects: 0 });
      if (r.ok) break;
      if (Date.now() >= deadline) {
        await terminate(spawned.pid);
        throw new Error(`the proxy command did not answer ${HEALTHZ_PATH} within ${READY_TIMEOUT_MS / 1000} s (log: ${this.logPath})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    this.proc = spawned.pid;
    this.exit = spawned.exited;
    this.env = env;
    this.command = config.command;
    writePidFile(this.pidPath, spawned.pid);
    return {};
  }

  async restart(): Promise<void> {
    if (!this.config) return;
    this.env = null;
    await this.apply(this.config);
  }

  healthChanged(): void {
    /* a bring-your-own proxy checks its members itself */
  }

  async inFlight(): Promise<null> {
    return null;
  }

  async stop(): Promise<void> {
    const pid = this.pid();
    this.proc = null;
    this.env = null;
    if (pid !== null) await terminate(pid);
    removePidFile(this.pidPath);
  }

  async detach(): Promise<void> {
    /* nothing of the agent's own */
  }
}
