// The local proxy runtime: each cluster's proxy_count replicas as real processes on loopback,
// started, replaced, supervised and stopped by the local control plane (the ProxyRuntime seam
// of src/control-plane/reconcile.ts).
//
// Layout (one cluster, listen port P and bridge base B from the cluster row; replica i = 0, 1, …):
//   replica i      127.0.0.(2+i):P        every replica of the cluster on the same port, as in production
//   its bridges    127.0.0.(2+i):B+k      (URL / --host-header upstreams; see caddyfile.ts)
//   files          clusters/<name>/proxy-<i>.pid, proxy-<i>.g<generation>.json, proxy-<i>.log,
//                  proxy-<i>/ (Caddy's storage), proxy-<i>.draining-<pid>.pid (retiring processes)
// With the default port base 18080, cluster k listens on 18080+k and bridges on 20000+1000k
// (src/control-plane/render.ts); OWNSTACK_PROXY_PORT_BASE moves both.
//
// Decisions:
// - Which process: Caddy (the default template) unless the cluster has a proxy app; a proxy app
//   with a command runs that command per replica (runtime-command.ts); one without a command is
//   `external` (the user runs it; only its /_cluster/healthz is probed).
// - A new generation (the env values changed): prepared first (Caddy: `caddy adapt` with the new
//   env); if that is refused nothing changes. Caddy replicas are then REPLACED: a new process
//   with the new config starts next to the old one (SO_REUSEPORT), and once it serves, the old
//   one is retired gracefully and the runtime waits until it no longer listens; only then does
//   the apply return — so once a mutation returns, every new connection gets the new config
//   (see runtime-caddy.ts for why not `POST /load`). If the new process does not come up, the old
//   one keeps serving and the apply fails with ProxyApplyError(rejected): the control plane turns
//   that into a failed mutation (exit 1) and `cluster status` shows last_error. A command proxy
//   is stopped and restarted, one replica at a time.
// - A replica that is not running is started with the current generation; if that fails it is
//   a warning (not a refused config) and the supervisor retries with backoff.
// - Supervision: a process that exits (or an adopted one that disappears) is restarted after
//   restartDelay · 2^failures (max 30 s). A restarted replica reports `starting` for one health
//   interval (its first active probes may race its own bridge listeners), so the proxy → edge
//   loop puts it back into rotation only after that.
// - Processes run in their own session: a control plane killed with SIGKILL leaves them serving;
//   the next one adopts them (pid file + command line + it listens on its address) and keeps
//   them when they run the current generation. A graceful close stops them all (`local stop`).
// - An address:port someone else listens on is refused: with SO_REUSEPORT a second process of the
//   same user could otherwise silently share it.
// - Retiring processes finish their in-flight requests (with their own config and health checks);
//   one still busy after OWNSTACK_PROXY_DRAIN_TIMEOUT (default 5m) is killed.
// - Caddy missing: replicas report `not_installed` with an install hint; the runtime re-checks at
//   most every 30 s, so installing Caddy needs no restart.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rendered } from '../control-plane/render.js';
import { proxyAddresses } from '../control-plane/render.js';
import type { ProxyRuntime, ProxyStatus, RuntimeCluster } from '../control-plane/reconcile.js';
import { parseDuration } from '../inputs/duration.js';
import { HEALTHZ_PATH } from './caddyfile.js';
import { probeHttp, UpstreamProber, type UpstreamHealth } from './probe.js';
import { createCaddyDriver } from './runtime-caddy.js';
import { createCommandDriver } from './runtime-command.js';
import {
  isAlive,
  listenerInodes,
  listensOn,
  readLogFrom,
  readPidFile,
  removePidFile,
  socketInodesOf,
  terminate,
  writeFileAtomic,
  writePidFile,
  type Spawned,
} from './runtime-process.js';
import type { DriverContext, Prepared, ReplicaDriver, ReplicaInfo } from './runtime-types.js';
import { caddyAvailable } from './validate.js';

/** Default first listen port of the local clusters (OWNSTACK_PROXY_PORT_BASE overrides). */
export const DEFAULT_PROXY_PORT_BASE = 18080;
/** Longest wait between restarts of a replica that keeps dying. */
export const MAX_RESTART_DELAY_MS = 30_000;
/** How long a retiring process may take to stop listening before it is killed. */
const RETIRE_LISTEN_TIMEOUT_MS = 10_000;
const CADDY_RECHECK_MS = 30_000;
/** From this many hostnames on, replicas are replaced one at a time. */
const LARGE_CLUSTER_HOSTNAMES = 100;
/** Extra start-up allowance per hostname (a 1,000-hostname Caddy takes seconds to provision). */
const READY_MS_PER_HOSTNAME = 60;
const HEALTHZ_TIMEOUT_MS = 1_000;

export const CADDY_INSTALL_HINT =
  'Caddy is not installed (no `caddy` on PATH; OWNSTACK_CADDY_BIN names another binary): the proxies are not running, everything else works. ' +
  'Install Caddy 2.6 or newer — Debian/Ubuntu: sudo apt-get install caddy; macOS: brew install caddy; others: https://caddyserver.com/docs/install — ' +
  'the control plane notices it within 30 s and starts them.';

export const MIGRATE_REQ_PATH = '/proc/sys/net/ipv4/tcp_migrate_req';
export const MIGRATE_REQ_HINT =
  'net.ipv4.tcp_migrate_req is 0: during a cutover Linux resets the few connections still queued on the retiring proxy\'s socket. ' +
  'For zero-error cutovers: sudo sysctl -w net.ipv4.tcp_migrate_req=1 (Linux 5.14+)';

/** A config change the proxies did not take. `rejected`: a running replica could not switch to it and kept its old config. */
export class ProxyApplyError extends Error {
  override readonly name = 'ProxyApplyError';
  constructor(
    message: string,
    readonly rejected: boolean,
  ) {
    super(message);
  }
}

export interface LocalProxyRuntimeOptions {
  /** $OWNSTACK_HOME/local */
  localDir: string;
  log?: (line: string) => void;
  /** The control plane's environment (PATH for children, OWNSTACK_* settings). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default: OWNSTACK_CADDY_BIN, else `caddy` on PATH. */
  caddyBin?: string;
  /** First restart delay (doubles per failure). Default: OWNSTACK_PROXY_RESTART_DELAY, else 1s. */
  restartDelayMs?: number;
  /** How long a retiring process may finish in-flight requests. Default: OWNSTACK_PROXY_DRAIN_TIMEOUT, else 5m. */
  drainTimeoutMs?: number;
  /** How often liveness of every replica is checked. Default 1 s. */
  monitorIntervalMs?: number;
  /** How long a starting replica may take to serve. Default 30 s. */
  readyTimeoutMs?: number;
}

type Mode = 'caddy' | 'command' | 'external' | 'not_installed' | 'missing_app';

interface Replica extends ReplicaInfo {
  pid: number | null;
  /** Set when this runtime spawned the process (null for adopted ones). */
  spawned: Spawned | null;
  state: 'stopped' | 'starting' | 'running' | 'failed';
  readyAt: number | null;
  /** A restarted replica stays out of rotation until then. */
  holdUntil: number | null;
  generationApplied: number | null;
  lastError: string | null;
  failures: number;
  restartTimer: NodeJS.Timeout | null;
  restartAt: number | null;
}

interface Draining {
  pid: number;
  index: number;
  timer: NodeJS.Timeout | null;
}

interface ClusterState {
  rc: RuntimeCluster;
  rendered: Rendered | null;
  mode: Mode;
  driver: ReplicaDriver | null;
  /** Identifies the driver (kind + binary or command); a change replaces the replicas. */
  driverKey: string | null;
  replicas: Replica[];
  draining: Map<number, Draining>;
  chain: Promise<unknown>;
  prober: UpstreamProber;
  /** The render the prober's targets come from (every upstream is probed, standby ones too). */
  proberHash: string | null;
  caddyfileWritten: string | null;
  adopted: boolean;
  removed: boolean;
}

type Problem = { rejected: boolean; message: string };

/** The runtime the control plane drives; see the file comment. */
export interface LocalProxyRuntime extends ProxyRuntime {
  /** Health of an upstream address (app host:port or URL) as `hostname` reaches it. */
  upstreamHealth(cluster: RuntimeCluster, address: string, hostname: string): UpstreamHealth;
  /** The Caddy version in use, or null when it is missing. */
  caddyVersion(): string | null;
  /** Stops supervision; with stopProxies (default) also every replica. Returns how many were stopped. */
  close(opts?: { stopProxies?: boolean }): Promise<number>;
}

/** Parses a duration setting like `500ms`, `1s`, `1m` from the environment (undefined when unset). */
export function durationFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  try {
    return parseDuration(raw);
  } catch {
    throw new Error(`invalid ${name} "${raw}": a whole number followed by ms, s, m or h (e.g. 500ms, 1s, 1m)`);
  }
}

/** OWNSTACK_PROXY_PORT_BASE: the first cluster's listen port (default 18080). */
export function proxyPortBaseFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.OWNSTACK_PROXY_PORT_BASE?.trim();
  if (raw === undefined || raw === '') return DEFAULT_PROXY_PORT_BASE;
  const n = Number(raw);
  // Listen ports base.., bridges base+1920+1000·k: at least one cluster must fit below 65536.
  if (!/^\d{1,5}$/.test(raw) || n < 1024 || n > 65536 - 1920 - 1000) {
    throw new Error(`invalid OWNSTACK_PROXY_PORT_BASE "${raw}": a port from 1024 to ${65536 - 1920 - 1000}`);
  }
  return n;
}

/** The coordinates of a cluster's replicas. */
export function replicaInfos(rc: Pick<RuntimeCluster, 'proxyCount' | 'port'>): ReplicaInfo[] {
  return proxyAddresses({ proxy_count: rc.proxyCount, port: rc.port }).map((p) => ({ index: p.index, address: p.address, port: p.port }));
}

/** GET /_cluster/healthz on a replica: ok (200) or failing. */
export async function replicaHealthz(r: Pick<ReplicaInfo, 'address' | 'port'>, timeoutMs = HEALTHZ_TIMEOUT_MS): Promise<'ok' | 'failing'> {
  const res = await probeHttp({ origin: `http://${r.address}:${r.port}`, path: HEALTHZ_PATH, timeoutMs, maxRedirects: 0 });
  return res.ok ? 'ok' : 'failing';
}

/** The kernel setting that keeps queued connections alive when a retiring proxy closes its socket (null: not Linux / unknown). */
export function migrateReqEnabled(): boolean | null {
  try {
    return readFileSync(MIGRATE_REQ_PATH, 'utf8').trim() !== '0';
  } catch {
    return null;
  }
}

function healthIntervalMs(rendered: Rendered | null): number {
  if (!rendered) return 5_000;
  try {
    return parseDuration(rendered.input.health.interval);
  } catch {
    return 5_000;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates the runtime (checks for Caddy once; never throws because Caddy is missing). */
export async function createLocalProxyRuntime(opts: LocalProxyRuntimeOptions): Promise<LocalProxyRuntime> {
  const env = opts.env ?? process.env;
  const bin = opts.caddyBin ?? (env.OWNSTACK_CADDY_BIN?.trim() || 'caddy');
  const version = await caddyAvailable({ bin }).catch(() => null);
  const runtime = new Runtime(opts, env, bin, version);
  const log = opts.log ?? (() => undefined);
  log(version ? `proxy runtime: Caddy ${version} (${bin})` : `proxy runtime: ${CADDY_INSTALL_HINT}`);
  if (version && migrateReqEnabled() === false) log(`proxy runtime: note: ${MIGRATE_REQ_HINT}`);
  return runtime;
}

class Runtime implements LocalProxyRuntime {
  private readonly clusters = new Map<string, ClusterState>();
  private readonly log: (line: string) => void;
  private readonly restartDelayMs: number;
  private readonly drainTimeoutMs: number;
  private readonly readyTimeoutMs: number;
  private readonly monitor: NodeJS.Timeout;
  private caddyCheckedAt = Date.now();
  private caddyCheck: Promise<void> | null = null;
  private closed = false;

  constructor(
    opts: LocalProxyRuntimeOptions,
    private readonly env: NodeJS.ProcessEnv,
    private readonly bin: string,
    private version: string | null,
  ) {
    this.log = opts.log ?? (() => undefined);
    this.restartDelayMs = opts.restartDelayMs ?? durationFromEnv(env, 'OWNSTACK_PROXY_RESTART_DELAY') ?? 1_000;
    this.drainTimeoutMs = opts.drainTimeoutMs ?? durationFromEnv(env, 'OWNSTACK_PROXY_DRAIN_TIMEOUT') ?? 300_000;
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
    this.monitor = setInterval(() => this.checkLiveness(), opts.monitorIntervalMs ?? 1_000);
    this.monitor.unref();
  }

  caddyVersion(): string | null {
    return this.version;
  }

  // ---------- the ProxyRuntime seam ----------

  apply(rc: RuntimeCluster, rendered: Rendered): Promise<void> {
    if (this.closed) return Promise.resolve();
    const s = this.stateFor(rc);
    return this.locked(s, async () => {
      s.rc = rc;
      s.rendered = rendered;
      if (s.proberHash !== rendered.hash) {
        s.prober.update(rendered.input);
        s.proberHash = rendered.hash;
      }
      s.prober.start();
      await this.recheckCaddy();
      this.setMode(s, this.modeOf(rc));
      if (!s.driver) {
        if (s.replicas.some((r) => r.pid !== null)) await this.adopt(s, null);
        return;
      }
      const driver = s.driver;
      const gen = rc.generation;
      if (!s.adopted) {
        await this.adopt(s, driver);
        s.adopted = true;
      }
      await this.resize(s);
      const upToDate = s.replicas.every((r) => r.pid !== null && isAlive(r.pid) && r.generationApplied === gen && r.state === 'running');
      if (upToDate) return;

      const ctx = await this.context(s);
      const problems: Problem[] = [];
      if (driver.swap && rendered.input.domains.length < LARGE_CLUSTER_HOSTNAMES) {
        for (const p of await Promise.all(s.replicas.map((r) => this.applyReplica(s, r, ctx)))) if (p) problems.push(p);
      } else if (driver.swap) {
        // Large configs: one replica at a time (each new Caddy provisions and fires a health probe
        // per hostname and member at start; two at once starve a small machine).
        for (const r of s.replicas) {
          const p = await this.applyReplica(s, r, ctx);
          if (p) problems.push(p);
        }
      } else {
        // A restart is the reload: one replica at a time; stop at the first refusal so the rest keep serving.
        for (const r of s.replicas) {
          const p = await this.applyReplica(s, r, ctx);
          if (p) {
            problems.push(p);
            if (p.rejected) break;
          }
        }
      }
      if (problems.length === 0) return;
      const rejected = problems.filter((p) => p.rejected);
      throw new ProxyApplyError((rejected.length > 0 ? rejected : problems).map((p) => p.message).join('; '), rejected.length > 0);
    });
  }

  async status(rc: RuntimeCluster): Promise<ProxyStatus[]> {
    await this.recheckCaddy();
    const s = this.clusters.get(rc.name);
    const mode = s?.mode ?? this.modeOf(rc);
    const now = Date.now();
    return Promise.all(
      replicaInfos(rc).map(async (info): Promise<ProxyStatus> => {
        const base = { index: info.index, address: info.address, port: info.port };
        if (mode === 'not_installed') return { ...base, state: 'not_installed', pid: null, healthz: 'unknown', generation_applied: null, last_error: null };
        if (mode === 'missing_app') {
          return { ...base, state: 'failed', pid: null, healthz: 'unknown', generation_applied: null, last_error: `the proxy app ${rc.proxy?.app ?? '?'} does not exist in this control plane` };
        }
        if (mode === 'external') {
          return { ...base, state: 'external', pid: null, healthz: await replicaHealthz(info), generation_applied: null, last_error: null };
        }
        const r = s?.replicas[info.index];
        const alive = r !== undefined && r.pid !== null && isAlive(r.pid);
        if (!r || !alive) {
          const pending = r?.restartAt ? ` (restarting in ${Math.max(0, Math.ceil((r.restartAt - now) / 1000))} s)` : '';
          return {
            ...base,
            state: r?.state === 'failed' ? 'failed' : 'stopped',
            pid: null,
            // Nothing of ours serves there (something else might answer: it does not count).
            healthz: 'failing',
            generation_applied: null,
            last_error: r?.lastError ? `${r.lastError}${pending}` : null,
          };
        }
        const starting = r.state === 'starting' || (r.holdUntil !== null && now < r.holdUntil);
        return {
          ...base,
          state: starting ? 'starting' : 'running',
          pid: r.pid,
          healthz: await replicaHealthz(info),
          generation_applied: r.generationApplied,
          last_error: r.lastError,
        };
      }),
    );
  }

  async stop(rc: RuntimeCluster): Promise<void> {
    const s = this.stateFor(rc);
    await this.locked(s, async () => {
      s.removed = true;
      s.prober.stop();
      await Promise.all([...s.replicas.map((r) => this.stopReplica(s, r)), ...[...s.draining.values()].map((d) => this.stopDraining(s, d))]);
      // Anything an earlier control plane left (pid files beyond what we track).
      await stopLeftoversIn(rc.dir);
    });
    if (this.clusters.get(rc.name) === s) this.clusters.delete(rc.name);
  }

  note(rc: RuntimeCluster): string | null {
    const mode = this.clusters.get(rc.name)?.mode ?? this.modeOf(rc);
    switch (mode) {
      case 'not_installed':
        return CADDY_INSTALL_HINT;
      case 'missing_app':
        return `the cluster's proxy app ${rc.proxy?.app ?? '?'} does not exist here: create it with \`ownstack local app add ${rc.proxy?.app ?? '<app>'} --deploy-cmd=<command that runs your proxy>\``;
      case 'external':
        return `proxy app ${rc.proxy?.app ?? '?'} has no command: run it yourself on ${replicaInfos(rc).map((r) => `${r.address}:${r.port}`).join(', ')} with the env in ${join(rc.dir, 'proxy.env')}; only its /_cluster/healthz is checked`;
      case 'command':
        return `proxy app ${rc.proxy?.app ?? '?'}: each replica runs its command with the proxy env; a config change restarts the replicas one at a time`;
      default:
        return migrateReqEnabled() === false ? MIGRATE_REQ_HINT : null;
    }
  }

  upstreamHealth(rc: RuntimeCluster, address: string, hostname: string): UpstreamHealth {
    return this.clusters.get(rc.name)?.prober.health(address, hostname) ?? 'unknown';
  }

  async close(opts: { stopProxies?: boolean } = {}): Promise<number> {
    if (this.closed) return 0;
    this.closed = true;
    clearInterval(this.monitor);
    let stopped = 0;
    for (const s of this.clusters.values()) {
      s.prober.stop();
      for (const r of s.replicas) this.clearRestart(r);
    }
    await Promise.all(
      [...this.clusters.values()].map((s) =>
        // Let an apply in progress finish, but not for ever.
        Promise.race([s.chain, sleep(10_000)]).then(async () => {
          if (opts.stopProxies === false) return;
          for (const r of s.replicas) if (r.pid !== null && isAlive(r.pid)) stopped++;
          await Promise.all([...s.replicas.map((r) => this.stopReplica(s, r)), ...[...s.draining.values()].map((d) => this.stopDraining(s, d))]);
        }),
      ),
    );
    if (stopped > 0) this.log(`proxy runtime: stopped ${stopped} proxy replica(s)`);
    return stopped;
  }

  // ---------- cluster state ----------

  private stateFor(rc: RuntimeCluster): ClusterState {
    let s = this.clusters.get(rc.name);
    // A cluster destroyed and re-created under the same name starts from scratch.
    if (s && s.rc.id !== rc.id) {
      s.prober.stop();
      s = undefined;
    }
    if (!s) {
      s = {
        rc,
        rendered: null,
        mode: 'caddy',
        driver: null,
        driverKey: null,
        replicas: [],
        draining: new Map(),
        chain: Promise.resolve(),
        prober: new UpstreamProber(),
        proberHash: null,
        caddyfileWritten: null,
        adopted: false,
        removed: false,
      };
      this.clusters.set(rc.name, s);
    }
    return s;
  }

  private locked<T>(s: ClusterState, fn: () => Promise<T>): Promise<T> {
    const run = s.chain.then(fn);
    s.chain = run.catch(() => undefined);
    return run;
  }

  private async recheckCaddy(): Promise<void> {
    if (this.version !== null || Date.now() - this.caddyCheckedAt < CADDY_RECHECK_MS) return;
    this.caddyCheck ??= (async () => {
      this.version = await caddyAvailable({ bin: this.bin }).catch(() => null);
      this.caddyCheckedAt = Date.now();
      if (this.version) this.log(`proxy runtime: found Caddy ${this.version}; starting the proxies`);
    })().finally(() => {
      this.caddyCheck = null;
    });
    await this.caddyCheck;
  }

  private modeOf(rc: RuntimeCluster): Mode {
    if (rc.proxy) {
      if (!rc.proxy.exists) return 'missing_app';
      return rc.proxy.command ? 'command' : 'external';
    }
    return this.version ? 'caddy' : 'not_installed';
  }

  private setMode(s: ClusterState, mode: Mode): void {
    const command = s.rc.proxy?.command ?? null;
    const key = mode === 'caddy' ? `caddy:${this.bin}` : mode === 'command' ? `command:${command}` : null;
    s.mode = mode;
    if (key === s.driverKey) return;
    s.driverKey = key;
    s.driver = mode === 'caddy' ? createCaddyDriver(this.bin) : mode === 'command' ? createCommandDriver(command!) : null;
    // Another kind of process (or another command): adopt() replaces the old replicas.
    s.adopted = false;
  }

  private async context(s: ClusterState): Promise<DriverContext> {
    const caddyfilePath = join(s.rc.dir, 'proxy-runtime.Caddyfile');
    if (s.rendered && s.driver?.kind === 'caddy' && s.caddyfileWritten !== s.rendered.caddyfile) {
      // Our own copy: the public Caddyfile may be rewritten by a newer reconcile before this one applies.
      await writeFileAtomic(caddyfilePath, s.rendered.caddyfile, { mode: 0o600, durable: true });
      s.caddyfileWritten = s.rendered.caddyfile;
    }
    return { rc: s.rc, rendered: s.rendered!, dir: s.rc.dir, caddyfilePath, baseEnv: this.env };
  }

  private newReplica(info: ReplicaInfo): Replica {
    return { ...info, pid: null, spawned: null, state: 'stopped', readyAt: null, holdUntil: null, generationApplied: null, lastError: null, failures: 0, restartTimer: null, restartAt: null };
  }

  private pidPath(s: ClusterState, index: number): string {
    return join(s.rc.dir, `proxy-${index}.pid`);
  }

  private drainingPath(s: ClusterState, index: number, pid: number): string {
    return join(s.rc.dir, `proxy-${index}.draining-${pid}.pid`);
  }

  /**
   * Takes over replicas a previous control plane (or driver) left: live processes that are ours and
   * listen on their address are kept; anything else recorded in a pid file is stopped.
   */
  private async adopt(s: ClusterState, driver: ReplicaDriver | null): Promise<void> {
    // Processes of another kind (the driver changed): stop them.
    for (const r of s.replicas) if (r.pid !== null) await this.stopReplica(s, r);
    s.replicas = driver ? replicaInfos(s.rc).map((info) => this.newReplica(info)) : [];
    if (!driver) {
      await stopLeftoversIn(s.rc.dir);
      return;
    }
    const ctx = { dir: s.rc.dir };
    for (const { index, path, drainingPid } of pidFiles(s.rc.dir)) {
      const pid = readPidFile(path);
      const r = s.replicas[index];
      const ours = pid !== null && isAlive(pid) && driver.owns(pid, ctx, { index });
      if (drainingPid !== null) {
        if (ours && r) this.trackDraining(s, index, pid!);
        else {
          if (ours) await terminate(pid!);
          removePidFile(path);
        }
        continue;
      }
      if (ours && r && listensOn(pid!, r.address, r.port) !== false) {
        Object.assign(r, { pid, state: 'running', readyAt: Date.now(), generationApplied: driver.generationOf?.(pid!, ctx, r) ?? null });
        this.log(`proxy ${r.address}:${r.port} (cluster ${s.rc.name}): adopted running replica pid ${pid} (generation ${r.generationApplied ?? 'unknown'})`);
        continue;
      }
      if (ours) {
        this.log(`proxy #${index} of cluster ${s.rc.name}: stopping pid ${pid} (${r ? 'not listening on its address' : 'not part of the cluster any more'})`);
        await terminate(pid!);
      }
      removePidFile(path, pid ?? undefined);
    }
  }

  /** Matches the replica list to proxy_count. */
  private async resize(s: ClusterState): Promise<void> {
    const infos = replicaInfos(s.rc);
    while (s.replicas.length > infos.length) await this.stopReplica(s, s.replicas.pop()!);
    for (const info of infos.slice(s.replicas.length)) s.replicas.push(this.newReplica(info));
    // Coordinates follow the cluster row (the port only changes with a re-created cluster).
    s.replicas.forEach((r, i) => Object.assign(r, { address: infos[i]!.address, port: infos[i]!.port }));
  }

  // ---------- starting, replacing, stopping ----------

  /** Brings one replica to the current generation; returns a problem or null. */
  private async applyReplica(s: ClusterState, r: Replica, ctx: DriverContext): Promise<Problem | null> {
    // An apply is an explicit "make it so": a replica waiting out its restart backoff starts now.
    this.clearRestart(r);
    const gen = s.rc.generation;
    const driver = s.driver!;
    const alive = r.pid !== null && isAlive(r.pid);
    if (!alive) return this.startReplica(s, r, ctx, { hold: false });
    if (r.generationApplied === gen && r.state === 'running') return null;
    const where = `proxy ${r.address}:${r.port}`;
    const kept = r.generationApplied === null ? 'its previous config' : `generation ${r.generationApplied}`;
    const refused = (why: string): Problem => {
      r.lastError = `generation ${gen} not applied: ${why}; still serving ${kept}`;
      this.log(`${where}: ${r.lastError}`);
      return { rejected: true, message: `${where} did not take generation ${gen}: ${why} (it keeps serving ${kept})` };
    };
    let prepared: Prepared;
    const t0 = Date.now();
    try {
      prepared = await driver.prepare(ctx, r);
    } catch (err) {
      return refused((err as Error).message);
    }
    const t1 = Date.now();
    if (!driver.swap) {
      // A command proxy: the restart is the reload (like dokku's ps:rebuild).
      await this.stopReplica(s, r);
      const problem = await this.startReplica(s, r, ctx, { hold: false, prepared });
      return problem ? { rejected: true, message: problem.message } : null;
    }
    const launched = await this.launch(s, r, ctx, prepared);
    if (!launched.ok) return refused(launched.why);
    const old = r.pid!;
    const t2 = Date.now();
    this.takeOver(s, r, launched.spawned, gen, false);
    await this.retire(s, r, old);
    driver.cleanup?.(ctx, r, [gen]);
    this.log(`${where}: generation ${gen} serving (pid ${launched.spawned.pid}; pid ${old} retired; prepare ${t1 - t0} ms, start ${t2 - t1} ms, retire ${Date.now() - t2} ms)`);
    return null;
  }

  /** Starts a replica that is not running with the current generation. */
  private async startReplica(s: ClusterState, r: Replica, ctx: DriverContext, opts: { hold: boolean; prepared?: Prepared }): Promise<Problem | null> {
    const gen = s.rc.generation;
    const where = `proxy ${r.address}:${r.port}`;
    const fail = (why: string): Problem => {
      Object.assign(r, { state: 'failed', lastError: why, pid: null, spawned: null, generationApplied: null });
      this.log(`${where}: ${why}`);
      this.scheduleRestart(s, r);
      return { rejected: false, message: `${where} is not running: ${why}` };
    };
    let prepared = opts.prepared;
    try {
      prepared ??= await s.driver!.prepare(ctx, r);
    } catch (err) {
      return fail(`could not prepare generation ${gen}: ${(err as Error).message}`);
    }
    r.state = 'starting';
    const launched = await this.launch(s, r, ctx, prepared);
    if (!launched.ok) return fail(launched.why);
    this.takeOver(s, r, launched.spawned, gen, opts.hold);
    s.driver!.cleanup?.(ctx, r, [gen]);
    this.log(`${where}: started (pid ${launched.spawned.pid}, generation ${gen})`);
    return null;
  }

  /** Spawns a process for `prepared` and waits until it serves; the replica's record is untouched. */
  private async launch(s: ClusterState, r: Replica, ctx: DriverContext, prepared: Prepared): Promise<{ ok: true; spawned: Spawned } | { ok: false; why: string }> {
    const driver = s.driver!;
    // Never share the address with a stranger (SO_REUSEPORT would let another process of this user in).
    const listeners = listenerInodes(r.address, r.port);
    if (listeners !== null && listeners.size > 0) {
      const ours = new Set<string>();
      for (const pid of [r.pid, ...s.draining.keys()]) if (pid !== null && isAlive(pid)) for (const i of socketInodesOf(pid)) ours.add(i);
      if ([...listeners].some((inode) => !ours.has(inode))) {
        return { ok: false, why: `${r.address}:${r.port} is already in use by another process (another control plane's proxy? pick other ports with OWNSTACK_PROXY_PORT_BASE)` };
      }
    }
    const spawned = driver.spawn(ctx, r, prepared);
    const logPath = join(s.rc.dir, `proxy-${r.index}.log`);
    if (spawned.pid <= 0) return { ok: false, why: `could not start it: ${await spawned.exited}` };
    const readyTimeoutMs = Math.max(this.readyTimeoutMs, (s.rendered?.input.domains.length ?? 0) * READY_MS_PER_HOSTNAME);
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (spawned.exitReason() !== null) {
        return { ok: false, why: `it exited while starting (${spawned.exitReason()}): ${logTail(readLogFrom(logPath, spawned.logOffset))}` };
      }
      if (await driver.ready(ctx, r, spawned)) return { ok: true, spawned };
      if (Date.now() >= deadline) {
        await terminate(spawned.pid);
        return { ok: false, why: `it did not serve within ${readyTimeoutMs / 1000} s (log: ${logPath})` };
      }
      await sleep(25);
    }
  }

  /** Makes a freshly serving process the replica's current one. */
  private takeOver(s: ClusterState, r: Replica, spawned: Spawned, gen: number, hold: boolean): void {
    const now = Date.now();
    Object.assign(r, {
      pid: spawned.pid,
      spawned,
      state: 'running',
      readyAt: now,
      holdUntil: hold ? now + healthIntervalMs(s.rendered) : null,
      generationApplied: gen,
      lastError: null,
    });
    writePidFile(this.pidPath(s, r.index), spawned.pid);
    void spawned.exited.then((reason) => this.onExit(s, r, spawned, reason));
  }

  /**
   * Retires a replaced process: SIGTERM (it stops accepting, finishes in-flight requests with its
   * own config, then exits) and waits until it no longer listens on the replica's address.
   */
  private async retire(s: ClusterState, r: Replica, pid: number): Promise<void> {
    writePidFile(this.drainingPath(s, r.index, pid), pid);
    this.trackDraining(s, r.index, pid);
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone already */
      }
    }
    const deadline = Date.now() + RETIRE_LISTEN_TIMEOUT_MS;
    for (;;) {
      if (!isAlive(pid)) break;
      const listening = listensOn(pid, r.address, r.port);
      if (listening === false) break;
      if (listening === null) {
        await sleep(500); // no /proc: give it a moment
        break;
      }
      if (Date.now() >= deadline) {
        this.log(`proxy ${r.address}:${r.port}: retiring pid ${pid} still listens after ${RETIRE_LISTEN_TIMEOUT_MS / 1000} s; killing it`);
        await terminate(pid, 0);
        break;
      }
      await sleep(10);
    }
  }

  private trackDraining(s: ClusterState, index: number, pid: number): void {
    if (s.draining.has(pid)) return;
    const d: Draining = { pid, index, timer: null };
    d.timer = setTimeout(() => {
      if (!isAlive(pid)) return;
      this.log(`proxy #${index} of cluster ${s.rc.name}: retiring pid ${pid} still busy after ${this.drainTimeoutMs / 1000} s; killing it`);
      void this.stopDraining(s, d);
    }, this.drainTimeoutMs);
    d.timer.unref();
    s.draining.set(pid, d);
  }

  private async stopDraining(s: ClusterState, d: Draining): Promise<void> {
    if (d.timer) clearTimeout(d.timer);
    await terminate(d.pid, 2_000);
    removePidFile(this.drainingPath(s, d.index, d.pid));
    s.draining.delete(d.pid);
  }

  private onExit(s: ClusterState, r: Replica, spawned: Spawned, reason: string): void {
    if (r.spawned !== spawned || this.closed || s.removed) return;
    this.died(s, r, `exited unexpectedly (${reason})`);
  }

  /** Liveness of every replica (adopted ones have no exit event) and of retiring processes. */
  private checkLiveness(): void {
    if (this.closed) return;
    for (const s of this.clusters.values()) {
      if (s.removed) continue;
      for (const r of s.replicas) {
        if (r.pid !== null && r.state === 'running' && !isAlive(r.pid)) this.died(s, r, 'is gone (the process ended)');
      }
      for (const d of s.draining.values()) {
        if (isAlive(d.pid)) continue;
        if (d.timer) clearTimeout(d.timer);
        removePidFile(this.drainingPath(s, d.index, d.pid));
        s.draining.delete(d.pid);
      }
    }
  }

  private died(s: ClusterState, r: Replica, why: string): void {
    if (r.pid === null) return;
    const tail = logTail(readLogFrom(join(s.rc.dir, `proxy-${r.index}.log`), r.spawned?.logOffset ?? 0), 2);
    removePidFile(this.pidPath(s, r.index), r.pid);
    Object.assign(r, { pid: null, spawned: null, state: 'failed', generationApplied: null, lastError: `${why}${tail ? `; last log: ${tail}` : ''}` });
    this.log(`proxy ${r.address}:${r.port} (cluster ${s.rc.name}) ${why}`);
    this.scheduleRestart(s, r);
  }

  private scheduleRestart(s: ClusterState, r: Replica): void {
    if (this.closed || s.removed || r.restartTimer !== null) return;
    // A replica that ran for a minute starts its backoff afresh.
    if (r.readyAt !== null && Date.now() - r.readyAt > 60_000) r.failures = 0;
    const delay = Math.min(MAX_RESTART_DELAY_MS, this.restartDelayMs * 2 ** r.failures);
    r.failures++;
    r.restartAt = Date.now() + delay;
    r.restartTimer = setTimeout(() => {
      r.restartTimer = null;
      r.restartAt = null;
      void this.locked(s, async () => {
        if (this.closed || s.removed || !s.driver || !s.rendered || !s.replicas.includes(r)) return;
        if (r.pid !== null && isAlive(r.pid)) return;
        const problem = await this.startReplica(s, r, await this.context(s), { hold: true });
        if (!problem) this.log(`proxy ${r.address}:${r.port} (cluster ${s.rc.name}) restarted; back in rotation after one health interval`);
      }).catch((err: Error) => this.log(`proxy ${r.address}:${r.port}: restart failed: ${err.message}`));
    }, delay);
    r.restartTimer.unref();
  }

  private clearRestart(r: Replica): void {
    if (r.restartTimer) clearTimeout(r.restartTimer);
    r.restartTimer = null;
    r.restartAt = null;
  }

  private async stopReplica(s: ClusterState, r: Replica): Promise<void> {
    this.clearRestart(r);
    const pid = r.pid;
    Object.assign(r, { spawned: null, pid: null, state: 'stopped', generationApplied: null }); // its exit is expected now
    if (pid !== null) {
      await terminate(pid);
      removePidFile(this.pidPath(s, r.index), pid);
    }
  }
}

/** The last lines of a process's output, on one line (for error messages). */
function logTail(text: string, n = 3): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      // Caddy logs JSON lines: keep the message and error.
      try {
        const j = JSON.parse(l) as { msg?: string; error?: string };
        return [j.msg, j.error].filter(Boolean).join(': ') || l;
      } catch {
        return l;
      }
    });
  // Caddy ends a failed start with one `Error: …` line that says it all.
  const fatal = lines.filter((l) => l.startsWith('Error: ')).at(-1);
  return (fatal ?? lines.slice(-n).join(' | ')).slice(-600);
}

const PID_FILE = /^proxy-(\d+)(?:\.draining-(\d+))?\.pid$/;

/** The pid files in a cluster folder. */
function pidFiles(dir: string): { index: number; path: string; drainingPid: number | null }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => PID_FILE.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ index: Number(m[1]), path: join(dir, m[0]), drainingPid: m[2] === undefined ? null : Number(m[2]) }));
}

/** True when a live pid is one of our replicas of this folder (Caddy's config path or the command marker). */
function looksLikeOurReplica(pid: number, dir: string, index: number): boolean {
  return createCaddyDriver('caddy').owns(pid, { dir }, { index }) || createCommandDriver('').owns(pid, { dir }, { index });
}

async function stopLeftoversIn(dir: string): Promise<number> {
  let stopped = 0;
  for (const { index, path } of pidFiles(dir)) {
    const pid = readPidFile(path);
    if (pid !== null && isAlive(pid) && looksLikeOurReplica(pid, dir, index)) {
      if (await terminate(pid)) stopped++;
    }
    removePidFile(path, pid ?? undefined);
  }
  return stopped;
}

/** The pids of the live proxy replicas recorded under `$OWNSTACK_HOME/local/clusters/*` that are provably ours. */
export function runningProxyPids(localDir: string): number[] {
  const root = join(localDir, 'clusters');
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const pids = new Set<number>();
  for (const name of names) {
    const dir = join(root, name);
    for (const { index, path } of pidFiles(dir)) {
      const pid = readPidFile(path);
      if (pid !== null && isAlive(pid) && looksLikeOurReplica(pid, dir, index)) pids.add(pid);
    }
  }
  return [...pids];
}

/**
 * Stops every proxy replica recorded under `$OWNSTACK_HOME/local/clusters/*` (e.g. left running by a
 * control plane killed with SIGKILL). Only processes that are provably ours are signalled.
 */
export async function stopLeftoverProxies(localDir: string): Promise<number> {
  const root = join(localDir, 'clusters');
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return 0;
  }
  let stopped = 0;
  for (const name of names) stopped += await stopLeftoversIn(join(root, name));
  return stopped;
}
