// The proxy agent (`ownstack proxy agent`): runs one proxy of one cluster on the host it runs on.
// It serves the last config it applied from its own disk first, then follows the control plane
// (long-poll) for new generations, applies each (a refused one keeps the old config and is
// reported), probes the members from where it stands, and reports what it serves. While the
// control plane is away it keeps serving and retries with backoff. The local control plane's
// replicas are agents too (src/proxy/local-agents.ts). Design: docs/architecture.md.
//
// Signals: SIGTERM / SIGINT stop the proxy (in-flight requests finish) and exit; SIGUSR2 exits and
// leaves the proxy to a successor. A new agent started on the same state folder takes over from a
// running one without a gap: it answers DNS first (the newest UDP socket receives), then sends the
// old one SIGUSR2.
import { existsSync, rmSync, watch } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { hostname as osHostname } from 'node:os';
import { basename, dirname } from 'node:path';
import type { AgentConfig, AgentReport } from '../api/agent.js';
import { HEALTHZ_PATH } from '../proxy/caddyfile.js';
import { probeHttp, UpstreamProber } from '../proxy/probe.js';
import { cmdlineOf, isAlive } from '../process.js';
import { readPidFile, removePidFile, writePidFile } from '../proxy/runtime-process.js';
import { caddyAvailable } from '../proxy/validate.js';
import { CaddyEngine, type Fallback } from './caddy-engine.js';
import { CommandEngine } from './command-engine.js';
import { RefusedError, type Engine } from './engine.js';
import { ControlPlaneLink, LinkError, type ServerLocator } from './link.js';
import { AgentState } from './state.js';
import { backoffCeiling } from '../retry.js';

export interface AgentOptions {
  cluster: string;
  /** This proxy's name in the cluster (unique per cluster). */
  name: string;
  /** A local replica's number, null on other hosts. */
  index: number | null;
  stateDir: string;
  /** Where the proxy serves (null address: every address). */
  listen: { address: string | null; port: number };
  /** What the edge publishes for this proxy. */
  publicAddress: string;
  /** Loopback address for the DNS responder and the internal sites. */
  localBind: string;
  dnsPort: number;
  /** Ports on localBind for the internal sites and bridges. */
  ports: { first: number; last: number };
  caddyBin: string;
  instanceId: string | null;
  server: ServerLocator;
  tokenFile: string;
  /** How often a report is sent when nothing changed. */
  heartbeatMs: number;
  /** How long one config request may wait on the control plane. */
  pollWaitS: number;
  /** First delay before a dead proxy process is started again (doubles per failure, at most 5 s). */
  restartDelayMs: number;
  env: NodeJS.ProcessEnv;
  version: string;
  log: (line: string) => void;
}

const BACKOFF_MIN_MS = 500;
// A control plane back from a restart reaches every agent within about 5 s (one small request per
// agent per try costs it nothing); the same ceiling spaces out restarts of a failing proxy.
const BACKOFF_MAX_MS = 5_000;
const CADDY_RECHECK_MS = 30_000;
/** Tries at the instance metadata before the agent goes on without an instance id. */
const INSTANCE_ID_TRIES = 5;
const sleep = (ms: number, signal: AbortSignal) => sleepUntil(ms, signal, null);

/** Sleeps ms, or until aborted or woken. */
function sleepUntil(ms: number, signal: AbortSignal, wake: EventTarget | null): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      wake?.removeEventListener('wake', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    wake?.addEventListener('wake', done, { once: true });
  });
}

/** Calls onChange when `file` is created or replaced (watching its folder: it is replaced by rename). */
function watchFile(file: string, onChange: () => void): { close(): void } | null {
  try {
    const w = watch(dirname(file), (_event, name) => {
      if (name === basename(file)) onChange();
    });
    w.unref();
    return w;
  } catch {
    return null;
  }
}

/** Backoff with jitter: min·2^attempt capped, ±25 %. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = backoffCeiling(attempt, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
  return Math.round(base * (0.75 + random() * 0.5));
}

export class Agent {
  private readonly state: AgentState;
  private readonly link: ControlPlaneLink;
  private readonly prober: UpstreamProber;
  private readonly abort = new AbortController();
  private engine: Engine | null = null;
  private config: AgentConfig | null = null;
  /** A config received while Caddy is missing. */
  private pending: AgentConfig | null = null;
  private bridges: Record<string, number> = {};
  private refused: AgentReport['refused'] = null;
  private lastError: string | null = null;
  private caddyVersion: string | null = null;
  private caddyCheckedAt = 0;
  private healthz: AgentReport['healthz'] = 'unknown';
  private server: Server | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private loops: Promise<unknown>[] = [];
  private reportSoon: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;
  private watching: Promise<string> | null = null;
  private connected: boolean | null = null;
  private stopped = false;
  /** --instance-id, or the one the instance metadata gave. */
  private instanceId: string | null;

  constructor(private readonly o: AgentOptions) {
    this.instanceId = o.instanceId;
    this.state = new AgentState(o.stateDir);
    this.link = new ControlPlaneLink({ server: o.server, tokenFile: o.tokenFile, cluster: o.cluster, env: o.env });
    this.prober = new UpstreamProber({
      onChange: () => {
        this.engine?.healthChanged();
        this.scheduleReport();
      },
    });
  }

  /** Serves the last applied config (from disk), then follows the control plane. */
  async start(): Promise<void> {
    this.state.ensure();
    const predecessor = this.predecessor();
    await this.checkCaddy(true);
    const applied = this.state.readApplied();
    if (applied) {
      this.bridges = applied.bridges;
      await this.resume(applied.config);
    }
    writePidFile(this.state.pidPath, process.pid);
    if (predecessor !== null) {
      this.o.log(`took over from agent pid ${predecessor}`);
      try {
        process.kill(predecessor, 'SIGUSR2');
      } catch {
        /* gone already */
      }
    }
    await this.serveSocket();
    this.prober.start();
    this.loops = [this.follow(), this.heartbeat(), this.watch(), this.lookUpInstanceId()];
  }

  /**
   * Without --instance-id, on EC2 (or with the metadata endpoint set): the instance id from the
   * instance metadata, for aws_alb instance target groups. Local replicas never ask. A few tries
   * with backoff, then it gives up (status says the proxy has no instance id).
   */
  private async lookUpInstanceId(): Promise<void> {
    if (this.instanceId !== null || this.o.index !== null) return;
    const { metadataEndpoint, readInstanceId } = await import('./instance-id.js');
    const endpoint = metadataEndpoint(this.o.env);
    if (endpoint === null) return;
    for (let attempt = 0; attempt < INSTANCE_ID_TRIES && !this.stopped; attempt++) {
      try {
        this.instanceId = await readInstanceId(endpoint);
        this.o.log(`instance id ${this.instanceId} (from the EC2 instance metadata)`);
        this.scheduleReport();
        return;
      } catch (err) {
        if (attempt === INSTANCE_ID_TRIES - 1) this.o.log(`no instance id from the EC2 instance metadata at ${endpoint}: ${(err as Error).message} (give --instance-id)`);
        await sleep(backoffMs(attempt + 1), this.abort.signal);
      }
    }
  }

  /** Stops following; with `proxy` also stops the proxy process (taking it out of service). */
  async stop(opts: { proxy: boolean }): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.prober.stop();
    if (this.reportSoon) clearTimeout(this.reportSoon);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.chain.catch(() => undefined);
    if (opts.proxy) {
      await this.engine?.stop();
      this.o.log('proxy stopped');
    }
    // A last report, so the control plane knows at once (best effort, short).
    if (opts.proxy) await this.sendReport(AbortSignal.timeout(2_000)).catch(() => undefined);
    await this.engine?.detach();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    // A successor may already own the pid file and the socket.
    if (readPidFile(this.state.pidPath) === process.pid) {
      removePidFile(this.state.pidPath);
      rmSync(this.state.socket('agent.sock'), { force: true });
    }
    await Promise.race([Promise.all(this.loops), new Promise((r) => setTimeout(r, 3_000).unref())]);
  }

  /** What this agent reports now. */
  report(): AgentReport {
    const engine = this.engine;
    const pid = engine?.pid() ?? null;
    const mode = this.config?.mode ?? 'caddy';
    const state: AgentReport['state'] =
      mode === 'caddy' && this.caddyVersion === null ? 'not_installed' : pid !== null ? 'running' : this.config !== null || this.refused !== null ? 'failed' : 'starting';
    return {
      name: this.o.name,
      cluster: this.o.cluster,
      agent_version: this.o.version,
      caddy_version: mode === 'caddy' ? this.caddyVersion : null,
      host: osHostname(),
      public_address: this.o.publicAddress,
      listen: `${this.o.listen.address === null ? '0.0.0.0' : bracket(this.o.listen.address)}:${this.o.listen.port}`,
      instance_id: this.instanceId,
      pid: process.pid,
      proxy_pid: pid,
      state,
      applied_generation: this.config?.generation ?? null,
      refused: this.refused,
      healthz: this.healthz,
      last_error: this.lastError,
      probes: this.prober.report(),
      fallbacks: engine instanceof CaddyEngine ? engine.fallbacks().map((f: Fallback) => ({ hostname: f.hostname, fallback: f.fallback, detail: f.detail })) : [],
    };
  }

  /** The running agent of this state folder, when it is another process (a handover). */
  private predecessor(): number | null {
    const pid = readPidFile(this.state.pidPath);
    if (pid === null || pid === process.pid || !isAlive(pid)) return null;
    const argv = cmdlineOf(pid) ?? [];
    const i = argv.indexOf('--state-dir');
    return i >= 0 && argv[i + 1] === this.o.stateDir ? pid : null;
  }

  private async checkCaddy(force = false): Promise<void> {
    if (this.caddyVersion !== null || (!force && Date.now() - this.caddyCheckedAt < CADDY_RECHECK_MS)) return;
    this.caddyCheckedAt = Date.now();
    this.caddyVersion = await caddyAvailable({ bin: this.o.caddyBin }).catch(() => null);
    if (this.caddyVersion === null) {
      this.lastError = `Caddy is not installed (no ${this.o.caddyBin} on PATH): install Caddy 2.6 or newer (Debian/Ubuntu: apt-get install caddy); the agent checks again every ${CADDY_RECHECK_MS / 1000} s`;
      return;
    }
    if (this.lastError?.startsWith('Caddy is not installed')) this.lastError = null;
    this.o.log(`found Caddy ${this.caddyVersion}`);
    // What arrived while it was missing is applied now.
    const pending = this.pending ?? (this.config && this.engine?.pid() === null ? this.config : null);
    if (pending && !force) void this.applyConfig(pending, true);
  }

  private newEngine(config: AgentConfig): Engine {
    const ctx = { health: (_u: unknown, address: string, hostname: string) => this.prober.health(address, hostname), log: this.o.log };
    if (config.mode === 'command') return new CommandEngine({ state: this.state, name: this.o.name, index: this.o.index, listen: this.o.listen, env: this.o.env });
    return new CaddyEngine({
      state: this.state,
      bin: this.o.caddyBin,
      version: this.caddyVersion,
      listen: this.o.listen,
      localBind: this.o.localBind,
      dnsPort: this.o.dnsPort,
      ports: this.o.ports,
      path: this.o.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      ctx,
    });
  }

  /** Serves `config` from disk at start: adopts the proxy an earlier agent left, or starts it. */
  private async resume(config: AgentConfig): Promise<void> {
    this.engine = this.newEngine(config);
    this.config = config;
    this.prober.update(config.input);
    try {
      if (await this.engine.adopt(config, this.bridges)) {
        this.o.log(`serving generation ${config.generation} (adopted ${config.mode === 'caddy' ? 'Caddy' : 'the proxy command'}, pid ${this.engine.pid()})`);
        return;
      }
      if (config.mode === 'caddy' && this.caddyVersion === null) return;
      this.bridges = await this.engine.apply(config, this.bridges);
      this.o.log(`serving generation ${config.generation} from disk (pid ${this.engine.pid()})`);
    } catch (err) {
      this.lastError = `could not start the proxy with generation ${config.generation}: ${(err as Error).message}`;
      this.o.log(this.lastError);
      this.scheduleRestart();
    }
  }

  /** Applies a config from the control plane (serialised); `again`: even if it is the one applied. */
  private applyConfig(config: AgentConfig, again = false): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.stopped) return;
      const current = this.config;
      if (!again && current && current.cluster_id === config.cluster_id && config.generation <= current.generation && this.engine?.pid() !== null) return;
      await this.checkCaddy(true);
      let engine = this.engine;
      if (!engine || engine.kind !== config.mode || (current && current.command !== config.command && config.mode === 'command')) {
        if (engine) {
          this.o.log(`proxy kind changes to ${config.mode}: stopping the ${engine.kind} proxy`);
          await engine.stop();
          await engine.detach();
        }
        engine = this.engine = this.newEngine(config);
      }
      if (config.mode === 'caddy' && this.caddyVersion === null) {
        // Nothing to refuse: it is applied once Caddy is installed (checkCaddy looks every 30 s).
        this.pending = config;
        this.prober.update(config.input);
        return;
      }
      this.pending = null;
      const t0 = Date.now();
      try {
        this.bridges = await engine.apply(config, this.bridges);
        this.config = config;
        this.refused = null;
        this.lastError = null;
        this.restarts = 0;
        this.prober.update(config.input);
        await this.state.writeApplied({ config, bridges: this.bridges });
        this.o.log(`generation ${config.generation} applied in ${Date.now() - t0} ms`);
      } catch (err) {
        const message = (err as Error).message;
        this.refused = { generation: config.generation, error: message };
        if (!(err instanceof RefusedError)) this.lastError = message;
        this.o.log(`generation ${config.generation} not applied: ${message}${this.config ? `; still serving generation ${this.config.generation}` : ''}`);
        if (engine.pid() === null) this.scheduleRestart();
      }
      await this.checkHealthz();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Long-polls the control plane for new generations. */
  private async follow(): Promise<void> {
    let attempt = 0;
    // A local replica's control plane announces itself in server.json: look again as soon as it does.
    const wake = new EventTarget();
    const watcher = 'infoFile' in this.o.server ? watchFile(this.o.server.infoFile, () => wake.dispatchEvent(new Event('wake'))) : null;
    try {
      while (!this.stopped) {
        try {
          // A refused generation is not asked for again: the next one (a new change) is.
          const known = Math.max(this.config?.generation ?? -1, this.refused?.generation ?? -1);
          const config = await this.link.config(known < 0 ? null : known, this.o.pollWaitS, this.abort.signal);
          this.linkUp();
          attempt = 0;
          if (config) {
            await this.applyConfig(config);
            await this.sendReport().catch(() => undefined);
          }
        } catch (err) {
          if (this.stopped) break;
          this.linkDown(err as Error);
          await sleepUntil(backoffMs(attempt++), this.abort.signal, watcher ? wake : null);
        }
      }
    } finally {
      watcher?.close();
    }
  }

  /** Reports every heartbeatMs (and checks healthz). */
  private async heartbeat(): Promise<void> {
    while (!this.stopped) {
      await this.checkCaddy();
      await this.checkHealthz();
      await this.sendReport(this.abort.signal, true).catch((err: Error) => this.linkDown(err));
      await sleep(this.o.heartbeatMs, this.abort.signal);
    }
  }

  /** Restarts the proxy process when it dies (with backoff). */
  private async watch(): Promise<void> {
    while (!this.stopped) {
      const exited = this.engine?.exited() ?? null;
      if (exited && exited !== this.watching) {
        this.watching = exited;
        void exited.then((why) => {
          if (this.stopped || this.watching !== exited) return;
          this.proxyDied(`exited (${why})`);
        });
      }
      // Adopted processes have no exit event: check them.
      if (!exited && this.engine && this.config && this.engine.pid() === null && this.restartTimer === null) this.proxyDied('is gone');
      await sleep(1_000, this.abort.signal);
    }
  }

  private proxyDied(why: string): void {
    this.lastError = `the proxy process ${why}`;
    this.o.log(this.lastError);
    this.healthz = 'failing';
    this.scheduleReport();
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.stopped || this.restartTimer !== null) return;
    const delay = Math.min(BACKOFF_MAX_MS, this.o.restartDelayMs * 2 ** this.restarts++);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      const run = this.chain.then(async () => {
        if (this.stopped || !this.engine || !this.config || this.engine.pid() !== null) return;
        try {
          await this.checkCaddy(true);
          await this.engine.restart();
          this.lastError = null;
          this.o.log(`proxy restarted (pid ${this.engine.pid()}, generation ${this.config.generation})`);
        } catch (err) {
          this.lastError = `the proxy could not be restarted: ${(err as Error).message}`;
          this.o.log(this.lastError);
          this.scheduleRestart();
        }
        await this.checkHealthz();
        this.scheduleReport();
      });
      this.chain = run.catch(() => undefined);
    }, delay);
    this.restartTimer.unref();
  }

  private async checkHealthz(): Promise<void> {
    if (this.engine?.pid() == null) {
      this.healthz = this.config !== null || this.refused !== null ? 'failing' : 'unknown';
      return;
    }
    const host = this.o.listen.address === null ? '127.0.0.1' : this.o.listen.address;
    const r = await probeHttp({ origin: `http://${bracket(host)}:${this.o.listen.port}`, path: HEALTHZ_PATH, timeoutMs: 1_000, maxRedirects: 0 });
    this.healthz = r.ok ? 'ok' : 'failing';
  }

  private scheduleReport(): void {
    if (this.stopped || this.reportSoon) return;
    this.reportSoon = setTimeout(() => {
      this.reportSoon = null;
      void this.sendReport().catch(() => undefined);
    }, 100);
    this.reportSoon.unref();
  }

  /**
   * Sends a report. `counted` (the heartbeat's): with the requests in flight per upstream address
   * (host maintenance waits on them, maintenance.ts), null when this proxy cannot count them; the
   * reports that confirm a new generation go without, so nothing delays them.
   */
  private async sendReport(signal: AbortSignal = this.abort.signal, counted = false): Promise<void> {
    if (!counted) {
      await this.link.report(this.report(), signal);
      return;
    }
    const counts = (await this.engine?.inFlight().catch(() => null)) ?? null;
    const in_flight = counts === null ? null : [...counts].filter(([, n]) => n > 0).slice(0, 4096).map(([address, requests]) => ({ address, requests }));
    await this.link.report({ ...this.report(), in_flight }, signal);
  }

  private linkUp(): void {
    if (this.connected !== true) this.o.log(`connected to the control plane at ${safeBase(this.link)}`);
    this.connected = true;
  }

  private linkDown(err: Error): void {
    if (this.stopped) return;
    const message = err instanceof LinkError ? err.message : `control plane request failed: ${err.message}`;
    if (this.connected !== false) this.o.log(`${message}; serving generation ${this.config?.generation ?? 'none'} meanwhile, retrying with backoff`);
    this.connected = false;
  }

  /** The agent's own HTTP endpoint on its unix socket: the proxy's /_cluster/healthz and /status. */
  private async serveSocket(): Promise<void> {
    const path = this.state.socket('agent.sock');
    if (existsSync(path)) rmSync(path, { force: true });
    const srv = createServer((req, res) => {
      if (req.url?.startsWith(HEALTHZ_PATH)) {
        const ok = this.config !== null && this.engine?.pid() != null;
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
        res.end(ok ? 'ok' : 'the proxy agent has no config applied yet');
        return;
      }
      if (req.url === '/status') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(this.report()));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(path, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    this.server = srv;
  }
}

function bracket(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

function safeBase(link: ControlPlaneLink): string {
  try {
    return link.baseUrl();
  } catch {
    return 'its address';
  }
}
