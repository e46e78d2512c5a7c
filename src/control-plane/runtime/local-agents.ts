// The local control plane's proxies: one agent process per replica (`ownstack proxy agent`, the
// same program an operator runs on a proxy host), replica i of a cluster on 127.0.0.(2+i) at the
// cluster's port, its state in clusters/<name>/proxy-<i>/. Agents run in their own session: they
// and their proxies outlive the control plane (`local stop`, a restart, an upgrade, kill -9), and
// the next control plane adopts them. They stop only on purpose: destroy, fewer replicas, or
// `local stop --proxies`. An agent that dies is started again (backoff up to 30 s).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { commandEnv } from '../../command-env.js';
import { cmdlineOf, isAlive } from '../../process.js';
import { readPidFile, spawnDetached, terminate } from '../../proxy/runtime-process.js';
import type { RuntimeCluster } from './reconcile.js';

export const MAX_RESTART_DELAY_MS = 30_000;
/** The control plane's settings a local agent gets (next to what command-env.ts passes). */
const AGENT_ENV = ['OWNSTACK_HOME', 'OWNSTACK_CADDY_BIN', 'OWNSTACK_PROXY_RESTART_DELAY', 'OWNSTACK_COMMAND_ENV'];

export interface LocalAgentsOptions {
  /** $OWNSTACK_HOME/local */
  localDir: string;
  /** The program that runs `proxy agent` (e.g. [node, …/bin/ownstack], or [the binary]). */
  command: string[];
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Delay before restarting an agent that died again soon (doubles per failure; the first restart is at once). Default 1 s. */
  restartDelayMs?: number;
  /** The agents' report interval. Default 2s. */
  heartbeat?: string;
  /** Called when an agent died or was started (the edge should look again). */
  onChange?: (clusterId: number) => void;
}

interface Watched {
  rc: RuntimeCluster;
  index: number;
  dir: string;
  argv: string[];
  pid: number | null;
  failures: number;
  startedAt: number;
  timer: NodeJS.Timeout | null;
}

/** A local replica's coordinates. */
export function localReplica(rc: Pick<RuntimeCluster, 'port' | 'dir'>, index: number): { address: string; port: number; dir: string; name: string } {
  return { address: `127.0.0.${2 + index}`, port: rc.port, dir: join(rc.dir, `proxy-${index}`), name: `proxy-${index}` };
}

/** The folder of a cluster's agent token file. */
export function localTokenFile(rc: Pick<RuntimeCluster, 'dir'>): string {
  return join(rc.dir, 'agent.token');
}

/** The pid of the agent running on a state folder, if it is one (its command line names the folder). */
export function agentPidOf(dir: string): number | null {
  const pid = readPidFile(join(dir, 'agent.pid'));
  if (pid === null || !isAlive(pid)) return null;
  const argv = cmdlineOf(pid) ?? [];
  const i = argv.indexOf('--state-dir');
  return argv.includes('agent') && i >= 0 && argv[i + 1] === dir ? pid : null;
}

export class LocalAgents {
  private readonly watched = new Map<string, Watched>();
  private readonly monitor: NodeJS.Timeout;
  private readonly restartDelayMs: number;
  private closed = false;

  constructor(private readonly o: LocalAgentsOptions) {
    this.restartDelayMs = o.restartDelayMs ?? 1_000;
    this.monitor = setInterval(() => this.check(), 1_000);
    this.monitor.unref();
  }

  private argv(rc: RuntimeCluster, index: number): string[] {
    const r = localReplica(rc, index);
    return [
      'proxy',
      'agent',
      '--cluster',
      rc.name,
      '--server-info',
      join(this.o.localDir, 'server.json'),
      '--token-file',
      localTokenFile(rc),
      '--listen',
      `${r.address}:${r.port}`,
      '--public-address',
      r.address,
      '--name',
      r.name,
      '--state-dir',
      r.dir,
      '--internal-ports',
      `${rc.bridgeBasePort}-${rc.bridgeBasePort + 999}`,
      '--index',
      String(index),
      '--heartbeat',
      this.o.heartbeat ?? '2s',
    ];
  }

  /** An agent runs our program, and proxy app commands with what command-env.ts passes: never credentials. */
  private env(): Record<string, string> {
    const own: Record<string, string> = {};
    for (const k of AGENT_ENV) if (this.o.env[k] !== undefined) own[k] = this.o.env[k]!;
    return commandEnv(this.o.env, own);
  }

  /** Runs replicas 0 … proxyCount-1 of a cluster: adopts running agents, starts missing ones. */
  ensure(rc: RuntimeCluster): void {
    if (this.closed) return;
    for (let i = 0; i < rc.proxyCount; i++) {
      const r = localReplica(rc, i);
      const argv = this.argv(rc, i);
      let w = this.watched.get(r.dir);
      if (!w) {
        w = { rc, index: i, dir: r.dir, argv, pid: null, failures: 0, startedAt: 0, timer: null };
        this.watched.set(r.dir, w);
      }
      w.rc = rc;
      const running = agentPidOf(r.dir);
      if (running !== null) {
        w.pid = running;
        const current = cmdlineOf(running) ?? [];
        // Started with other settings (a new port range, another program): a new agent takes over.
        if (current.slice(-argv.length).join('\0') !== argv.join('\0') || !sameProgram(current, this.o.command)) {
          this.o.log(`proxy ${r.address}:${r.port} (cluster ${rc.name}): replacing its agent pid ${running} (settings or program changed)`);
          this.spawn(w, argv);
        }
        continue;
      }
      if (w.pid === null || !isAlive(w.pid)) this.spawn(w, argv);
    }
  }

  /** Starts a new agent for a running replica; it takes over from the old one without a gap (an upgrade). */
  replace(rc: RuntimeCluster, index: number, why: string): void {
    const w = this.watched.get(localReplica(rc, index).dir);
    if (!w || this.closed) return;
    this.o.log(`proxy ${localReplica(rc, index).address}:${rc.port} (cluster ${rc.name}): replacing its agent (${why})`);
    this.spawn(w, this.argv(rc, index));
  }

  /** Agents of replicas at or beyond proxyCount (to retire once the edge no longer sends them traffic). */
  extras(rc: RuntimeCluster): number[] {
    let names: string[];
    try {
      names = readdirSync(rc.dir);
    } catch {
      return [];
    }
    return names
      .map((n) => /^proxy-(\d+)$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .filter((i) => i >= rc.proxyCount)
      .sort((a, b) => a - b);
  }

  /** Stops one replica's agent and its proxy (SIGTERM: in-flight requests finish). */
  async retire(rc: RuntimeCluster, index: number): Promise<boolean> {
    const dir = localReplica(rc, index).dir;
    const w = this.watched.get(dir);
    if (w?.timer) clearTimeout(w.timer);
    this.watched.delete(dir);
    const pid = agentPidOf(dir) ?? (w?.pid !== null && w?.pid !== undefined && isAlive(w.pid) ? w.pid : null);
    if (pid === null) return false;
    return terminate(pid, 20_000);
  }

  /** Stops every agent (and proxy) of a cluster. */
  async stop(rc: RuntimeCluster): Promise<number> {
    let stopped = 0;
    const indexes = new Set([...Array.from({ length: rc.proxyCount }, (_, i) => i), ...this.extras(rc)]);
    await Promise.all([...indexes].map(async (i) => (await this.retire(rc, i)) && stopped++));
    return stopped;
  }

  /** True while replica `index`'s agent runs. */
  alive(rc: RuntimeCluster, index: number): boolean {
    return agentPidOf(localReplica(rc, index).dir) !== null;
  }

  /** The agent pid of a replica, or null. */
  pid(rc: RuntimeCluster, index: number): number | null {
    return agentPidOf(localReplica(rc, index).dir);
  }

  /** Stops supervising; with stopProxies also every agent (and proxy) under clusters/. */
  async close(opts: { stopProxies?: boolean } = {}): Promise<number> {
    this.closed = true;
    clearInterval(this.monitor);
    for (const w of this.watched.values()) if (w.timer) clearTimeout(w.timer);
    if (!opts.stopProxies) return 0;
    return stopAllLocalAgents(this.o.localDir);
  }

  private spawn(w: Watched, argv: string[]): void {
    const [cmd, ...pre] = this.o.command;
    const s = spawnDetached(cmd!, [...pre, ...argv], { env: this.env(), cwd: this.o.localDir, logPath: join(w.dir, 'agent.log') });
    w.argv = argv;
    w.startedAt = Date.now();
    if (s.pid <= 0) {
      this.o.log(`proxy agent ${w.rc.name}/proxy-${w.index} could not start: ${s.exitReason()}`);
      w.pid = null;
      this.scheduleRestart(w);
      return;
    }
    w.pid = s.pid;
    this.o.log(`proxy ${localReplica(w.rc, w.index).address}:${w.rc.port} (cluster ${w.rc.name}): agent started (pid ${s.pid})`);
    void s.exited.then((why) => {
      if (this.closed || this.watched.get(w.dir) !== w || w.pid !== s.pid) return;
      // A successor took over (handover): not a death.
      if (agentPidOf(w.dir) !== null) return;
      this.died(w, why);
    });
  }

  private died(w: Watched, why: string): void {
    if (w.timer !== null) return;
    w.pid = null;
    this.o.log(`proxy agent ${w.rc.name}/proxy-${w.index} ${why}`);
    this.o.onChange?.(w.rc.id);
    this.scheduleRestart(w);
  }

  private scheduleRestart(w: Watched): void {
    if (this.closed || w.timer !== null) return;
    if (Date.now() - w.startedAt > 60_000) w.failures = 0;
    // The first death is answered at once (its proxy cannot resolve upstreams meanwhile); then backoff.
    const delay = w.failures === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, this.restartDelayMs * 2 ** (w.failures - 1));
    w.failures++;
    w.timer = setTimeout(() => {
      w.timer = null;
      if (this.closed || this.watched.get(w.dir) !== w || agentPidOf(w.dir) !== null) return;
      this.spawn(w, w.argv);
      this.o.onChange?.(w.rc.id);
    }, delay);
    w.timer.unref();
  }

  /** Agents started by an earlier control plane have no exit event: look. */
  private check(): void {
    for (const w of this.watched.values()) {
      if (w.timer !== null) continue;
      if (agentPidOf(w.dir) === null && (w.pid === null || !isAlive(w.pid))) this.died(w, 'is gone');
    }
  }
}

/** True when a running agent was started by the same program (an upgrade replaces it). */
function sameProgram(argv: string[], command: string[]): boolean {
  return command.every((c, i) => argv[i] === c);
}

/** Stops every local agent under `$OWNSTACK_HOME/local/clusters` (only provably ours); returns how many. */
export async function stopAllLocalAgents(localDir: string): Promise<number> {
  const root = join(localDir, 'clusters');
  if (!existsSync(root)) return 0;
  const pids: number[] = [];
  for (const cluster of readdirSync(root)) {
    let entries: string[];
    try {
      entries = readdirSync(join(root, cluster));
    } catch {
      continue;
    }
    for (const e of entries) {
      if (!/^proxy-\d+$/.test(e)) continue;
      const pid = agentPidOf(join(root, cluster, e));
      if (pid !== null) pids.push(pid);
    }
  }
  const results = await Promise.all(pids.map((p) => terminate(p, 20_000)));
  return results.filter(Boolean).length;
}
