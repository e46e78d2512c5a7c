// The default proxy: Caddy with dynamic upstreams answered by the agent's DNS responder
// (src/proxy/dynamic-caddyfile.ts, src/proxy/answers.ts). A routing change (switch, drain,
// weight, deploy, a member's health) changes the answers only; the Caddy config changes only when
// a bridge comes or goes, and is then loaded in place.
import type { AgentConfig } from '../api/agent.js';
import { bridged, buildAnswers, describeFallbacks, type AnswerTable } from '../proxy/answers.js';
import { ipOfTargetName, startDnsResponder, type DnsResponder } from '../proxy/dns-responder.js';
import { renderAgentCaddyfile, type AgentBridge } from '../proxy/dynamic-caddyfile.js';
import { listenerInodes, socketInodesOf } from '../proxy/runtime-process.js';
import { CaddyProcess, CaddyRefusedError } from './caddy.js';
import { RefusedError, type Engine, type EngineContext } from './engine.js';
import type { AgentState } from './state.js';

export interface CaddyEngineOptions {
  state: AgentState;
  bin: string;
  version: string | null;
  /** The public site (null address: every address). */
  listen: { address: string | null; port: number };
  /** Loopback address of the internal sites and the responder. */
  localBind: string;
  /** UDP port of the responder on localBind. */
  dnsPort: number;
  /** Ports on localBind for the internal sites (first two) and the bridges. */
  ports: { first: number; last: number };
  /** PATH for Caddy. */
  path: string;
  ctx: EngineContext;
}

export type Fallback = { hostname: string; fallback: 'draining' | 'unhealthy'; detail: string };

/** Stable bridge ports: kept per upstream; a new one gets the lowest port no bridge used just before. */
export function allocateBridges(config: AgentConfig, previous: Record<string, number>, ports: { first: number; last: number }): Record<string, number> {
  const first = ports.first + 2;
  const needed = config.input.upstreams.filter(bridged).map((u) => u.id);
  const out: Record<string, number> = {};
  const used = new Set<number>();
  for (const id of needed) {
    const p = previous[id];
    if (p !== undefined && p >= first && p <= ports.last && !used.has(p)) {
      out[id] = p;
      used.add(p);
    }
  }
  // A port freed by this change is reused last: answers cached by Caddy may still name it.
  const freed = new Set(Object.values(previous).filter((p) => !used.has(p)));
  for (const id of needed) {
    if (out[id] !== undefined) continue;
    let port: number | undefined;
    for (const avoidFreed of [true, false]) {
      for (let p = first; p <= ports.last && port === undefined; p++) if (!used.has(p) && !(avoidFreed && freed.has(p))) port = p;
      if (port !== undefined) break;
    }
    if (port === undefined) throw new RefusedError(`no free bridge port in ${first}-${ports.last} for upstream ${id} (${needed.length} URL or Host-override upstreams)`);
    out[id] = port;
    used.add(port);
  }
  return out;
}

export class CaddyEngine implements Engine {
  readonly kind = 'caddy' as const;
  private readonly caddy: CaddyProcess;
  private dns: DnsResponder | null = null;
  private config: AgentConfig | null = null;
  private bridges: Record<string, number> = {};
  private table: AnswerTable | null = null;
  /** The Caddyfile Caddy runs (null: unknown, e.g. before the first load). */
  private loaded: string | null = null;
  private fallbackState = new Map<string, Fallback>();

  constructor(private readonly o: CaddyEngineOptions) {
    this.caddy = new CaddyProcess({ bin: o.bin, stateDir: o.state.dir, adminSocket: o.state.socket('caddy-admin.sock'), path: o.path });
  }

  version(): string | null {
    return this.o.version;
  }

  pid(): number | null {
    return this.caddy.current();
  }

  exited(): Promise<string> | null {
    return this.caddy.exit();
  }

  fallbacks(): Fallback[] {
    return [...this.fallbackState.values()];
  }

  /** The Caddyfile for a config with its bridge ports. */
  render(config: AgentConfig, bridges: Record<string, number>): string {
    const list: AgentBridge[] = config.input.upstreams
      .filter(bridged)
      .map((u) => ({ upstreamId: u.id, port: bridges[u.id]!, kind: u.kind, url: u.url, hostHeader: u.hostHeader }));
    return renderAgentCaddyfile({
      listen: this.o.listen,
      resolver: `${this.o.localBind}:${this.o.dnsPort}`,
      localBind: this.o.localBind,
      misdirectedPort: this.o.ports.first,
      unroutedPort: this.o.ports.first + 1,
      adminSocket: this.o.state.socket('caddy-admin.sock'),
      agentSocket: this.o.state.socket('agent.sock'),
      bridges: list,
    });
  }

  async adopt(config: AgentConfig, bridges?: Record<string, number>): Promise<boolean> {
    this.config = config;
    this.bridges = bridges ?? {};
    this.rebuild();
    await this.ensureDns();
    if (this.caddy.adopt() === null) return false;
    this.loaded = this.render(config, this.bridges);
    return true;
  }

  async apply(config: AgentConfig, previous: Record<string, number>): Promise<Record<string, number>> {
    await this.ensureDns();
    const bridges = allocateBridges(config, previous, this.o.ports);
    const caddyfile = this.render(config, bridges);
    const running = this.caddy.current() !== null;
    if (caddyfile !== this.loaded || !running) {
      let json: string;
      try {
        json = await this.caddy.adapt(caddyfile);
      } catch (err) {
        throw err instanceof CaddyRefusedError ? new RefusedError(err.message) : err;
      }
      // New bridges must listen before an answer names them: load first, then answer.
      if (running) {
        try {
          await this.caddy.load(json);
        } catch (err) {
          throw err instanceof CaddyRefusedError ? new RefusedError(err.message) : err;
        }
      } else {
        this.refuseStrangers();
        await this.caddy.start(json);
      }
      this.loaded = caddyfile;
    }
    this.config = config;
    this.bridges = bridges;
    this.rebuild();
    return bridges;
  }

  async restart(): Promise<void> {
    if (!this.config) return;
    this.loaded = null;
    await this.apply(this.config, this.bridges);
  }

  healthChanged(): void {
    this.rebuild();
  }

  async inFlight(): Promise<Map<string, number> | null> {
    if (this.caddy.current() === null) return null;
    const raw = await this.caddy.inFlight().catch(() => null);
    if (raw === null) return null;
    const out = new Map<string, number>();
    for (const [dial, n] of raw) {
      const m = /^(.*):(\d+)$/.exec(dial);
      const host = m ? (ipOfTargetName(m[1]!) ?? m[1]!.replace(/\.$/, '')) : dial;
      const key = m ? `${host.includes(':') ? `[${host}]` : host}:${m[2]}` : dial;
      out.set(key, (out.get(key) ?? 0) + n);
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.caddy.stop();
    this.loaded = null;
  }

  async detach(): Promise<void> {
    await this.dns?.close();
    this.dns = null;
  }

  private async ensureDns(): Promise<void> {
    if (this.dns) return;
    this.dns = await startDnsResponder({
      address: this.o.localBind,
      port: this.o.dnsPort,
      srv: (name) => this.table?.lookup(name) ?? null,
      onError: (m) => this.o.ctx.log(m),
    });
  }

  /** With SO_REUSEPORT a stranger on our address would silently share it: refuse instead. */
  private refuseStrangers(): void {
    const address = this.o.listen.address ?? '0.0.0.0';
    const listeners = listenerInodes(address, this.o.listen.port);
    if (listeners === null || listeners.size === 0) return;
    const ours = new Set<string>();
    const pid = this.caddy.current();
    if (pid !== null) for (const i of socketInodesOf(pid)) ours.add(i);
    if ([...listeners].some((i) => !ours.has(i))) {
      throw new Error(`${address}:${this.o.listen.port} is already in use by another process (another proxy? pick another port)`);
    }
  }

  private rebuild(): void {
    if (!this.config) return;
    const sites = {
      bind: this.o.localBind,
      misdirectedPort: this.o.ports.first,
      unroutedPort: this.o.ports.first + 1,
      bridgePorts: new Map(Object.entries(this.bridges).map(([id, p]) => [Number(id), p])),
    };
    this.table = buildAnswers(this.config.input, sites, this.o.ctx.health);
    const now = describeFallbacks(this.table.hosts, this.config.input);
    const next = new Map<string, Fallback>();
    for (const [hostname, f] of now) {
      const entry: Fallback = { hostname, fallback: f.fallback!, detail: f.detail };
      next.set(hostname, entry);
      const before = this.fallbackState.get(hostname);
      if (!before || before.detail !== entry.detail) this.o.ctx.log(`${hostname}: ${entry.detail}`);
    }
    for (const hostname of this.fallbackState.keys()) {
      if (!next.has(hostname)) this.o.ctx.log(`${hostname}: active members serve again`);
    }
    this.fallbackState = next;
  }
}
