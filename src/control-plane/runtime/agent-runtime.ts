// The proxy runtime of the control plane (the ProxyRuntime seam of reconcile.ts): every proxy is an
// agent (src/agent). Applying a generation (the reconciler has woken the agents that wait for one)
// waits until each proxy the cluster has reports it (or refuses it); status is what they report. Local replicas are
// agents this control plane starts itself (local-agents.ts); agents on other hosts register with
// their first report. A proxy app without a command is run by its owner: only its healthz is probed.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AgentReport } from '../../api/agent.js';
import type { proxyStatus } from '../../api/schemas.js';
import type { z } from 'zod';
import { writeFileAtomic } from '../../atomic-file.js';
import { HEALTHZ_PATH } from '../../proxy/caddyfile.js';
import { REFRESH_MS } from '../../proxy/dynamic-caddyfile.js';
import { probeHttp, probePlan } from '../../proxy/probe.js';
import type { Rendered } from './render.js';
import { blankProxyStatus, type ProxyRuntime, type RuntimeCluster } from './reconcile.js';
import { AgentTokens, LOCAL_TOKEN_NAME } from '../store/agent-tokens.js';
import type { ProxyFleet, ProxyRecord } from './fleet.js';
import { localReplica, localTokenFile, type LocalAgents } from './local-agents.js';
import type { Store } from '../store/store.js';

type ProxyStatus = z.infer<typeof proxyStatus>;

export const CADDY_INSTALL_HINT =
  'Caddy is not installed (no `caddy` on PATH; OWNSTACK_CADDY_BIN names another binary): the proxies are not running, everything else works. ' +
  'Install Caddy 2.6 or newer — Debian/Ubuntu: sudo apt-get install caddy; macOS: brew install caddy; others: https://caddyserver.com/docs/install — ' +
  'the agents notice it within 30 s and start them.';

/** A config change the proxies did not take. `rejected`: a proxy refused it and kept its old config. */
export class ProxyApplyError extends Error {
  override readonly name = 'ProxyApplyError';
  constructor(
    message: string,
    readonly rejected: boolean,
  ) {
    super(message);
  }
}

export interface AgentRuntimeOptions {
  store: Store;
  fleet: ProxyFleet;
  /** The local replicas' supervisor (null: this control plane runs no proxies itself). */
  local: LocalAgents | null;
  log: (line: string) => void;
  /** How long an apply waits for every proxy. Default 30 s. */
  applyTimeoutMs?: number;
  /** This control plane's version: local agents of another version are replaced. */
  version?: string;
}

const HEALTHZ_TIMEOUT_MS = 1_000;

type Verdict = AgentReport['probes'][number];
const indexes = new WeakMap<AgentReport, Map<string, Verdict>>();

/** A report's verdicts by probe target (built once per report). */
function verdictsOf(report: AgentReport): Map<string, Verdict> {
  let m = indexes.get(report);
  if (!m) {
    m = new Map(report.probes.map((v) => [`${v.origin}\u0000${v.host}`, v]));
    indexes.set(report, m);
  }
  return m;
}

export class AgentRuntime implements ProxyRuntime {
  /** Caddy caches each SRV answer this long (dynamic-caddyfile.ts). */
  readonly settleMs = REFRESH_MS;
  private readonly tokens: AgentTokens;
  private readonly applyTimeoutMs: number;
  /** Agents already replaced for a version change (cluster/index/pid). */
  private readonly upgraded = new Set<string>();
  /** The probe plan of the cluster last asked about, for its render. */
  private plan: { clusterId: number; hash: string | null; keyOf: Map<string, string> } | null = null;

  constructor(private readonly o: AgentRuntimeOptions) {
    this.tokens = new AgentTokens(o.store);
    this.applyTimeoutMs = o.applyTimeoutMs ?? 30_000;
  }

  private external(rc: RuntimeCluster): boolean {
    return rc.proxy !== null && rc.proxy !== undefined && (!rc.proxy.exists || !rc.proxy.command);
  }

  /** The proxies a generation must reach: the local replicas, and agents elsewhere that are alive. */
  private expected(rc: RuntimeCluster): { name: string; record: ProxyRecord | undefined }[] {
    const records = this.o.fleet.proxies(rc.id);
    const byName = new Map(records.map((r) => [r.name, r]));
    const out: { name: string; record: ProxyRecord | undefined }[] = [];
    if (this.o.local) {
      for (let i = 0; i < rc.proxyCount; i++) {
        const name = localReplica(rc, i).name;
        const record = byName.get(name);
        // Only a report of the agent running now counts (a restarted agent reports anew).
        out.push({ name, record: record && record.report.pid === this.o.local.pid(rc, i) ? record : undefined });
      }
    }
    for (const r of records) if (r.localIndex === null && this.o.fleet.alive(r)) out.push({ name: r.name, record: r });
    return out;
  }

  /** A cluster's local agent token file, created (and registered hashed) on first use. */
  private async ensureToken(rc: RuntimeCluster): Promise<void> {
    const path = localTokenFile(rc);
    try {
      if (existsSync(path) && this.tokens.valid(readFileSync(path, 'utf8').trim(), rc.id)) return;
    } catch {
      /* unreadable: make a new one */
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const { token } = this.tokens.create(rc.id, LOCAL_TOKEN_NAME);
    await writeFileAtomic(path, `${token}\n`, { mode: 0o600, durable: true });
  }

  async apply(rc: RuntimeCluster, rendered: Rendered): Promise<void> {
    void rendered;
    if (this.external(rc)) return;
    if (this.o.local) {
      await this.ensureToken(rc);
      this.o.local.ensure(rc);
      // An agent of another version (ownstack was upgraded) is replaced by one of this version.
      for (const p of this.o.fleet.proxies(rc.id)) {
        const i = p.localIndex;
        if (i === null || i >= rc.proxyCount || this.o.version === undefined || p.report.agent_version === this.o.version || p.report.pid !== this.o.local.pid(rc, i)) continue;
        if (this.upgraded.has(`${rc.id}/${i}/${p.report.pid}`)) continue;
        this.upgraded.add(`${rc.id}/${i}/${p.report.pid}`);
        this.o.local.replace(rc, i, `it runs ownstack ${p.report.agent_version}, this control plane ${this.o.version}`);
      }
    }
    await this.waitApplied(rc, rc.generation);
  }

  /** Waits until every expected proxy reports `generation` applied (or refused), bounded. */
  private async waitApplied(rc: RuntimeCluster, generation: number): Promise<void> {
    const deadline = Date.now() + this.applyTimeoutMs;
    for (;;) {
      // Destroyed meanwhile: nothing to wait for (its teardown waits for this).
      if (!this.o.store.clusterById(rc.id)) return;
      // A proxy whose host has no Caddy serves nothing yet: status says so, the change does not wait for it.
      const expected = this.expected(rc).filter((e) => e.record?.report.state !== 'not_installed');
      const refused = expected.filter((e) => e.record && e.record.report.refused !== null && e.record.report.refused.generation >= generation && (e.record.report.applied_generation ?? -1) < generation);
      const pending = expected.filter((e) => !e.record || ((e.record.report.applied_generation ?? -1) < generation && !refused.includes(e)));
      if (pending.length === 0) {
        if (refused.length === 0) return;
        throw new ProxyApplyError(
          refused.map((e) => `proxy ${e.name} did not take generation ${generation}: ${e.record!.report.refused!.error} (it keeps serving generation ${e.record!.report.applied_generation ?? 'none'})`).join('; '),
          true,
        );
      }
      const left = deadline - Date.now();
      // Closing: nothing will report to this control plane any more (the proxies go on serving).
      if (this.o.fleet.closed) throw new ProxyApplyError(`the control plane is closing; ${pending.map((e) => e.name).join(', ')} will get generation ${generation} from the next one`, false);
      if (left <= 0) {
        throw new ProxyApplyError(
          `${pending.map((e) => `proxy ${e.name} ${e.record ? `still serves generation ${e.record.report.applied_generation ?? 'none'}${e.record.report.last_error ? ` (${e.record.report.last_error})` : ''}` : 'has not reported yet'}`).join('; ')} ${this.applyTimeoutMs / 1000} s after generation ${generation} was published; it is flagged in \`cluster status\` and gets it when it can`,
          false,
        );
      }
      await this.o.fleet.waitForReport(rc.id, Math.min(left, 1_000));
    }
  }

  async status(rc: RuntimeCluster): Promise<ProxyStatus[]> {
    if (this.external(rc)) {
      return Promise.all(
        Array.from({ length: rc.proxyCount }, async (_, i): Promise<ProxyStatus> => {
          const r = localReplica(rc, i);
          const ok = await probeHttp({ origin: `http://${r.address}:${r.port}`, path: HEALTHZ_PATH, timeoutMs: HEALTHZ_TIMEOUT_MS, maxRedirects: 0 });
          return { ...blankProxyStatus(i, r.address, r.port, r.name), state: 'external', healthz: ok.ok ? 'ok' : 'failing' };
        }),
      );
    }
    const records = new Map(this.o.fleet.proxies(rc.id).map((r) => [r.name, r]));
    const out: ProxyStatus[] = [];
    if (this.o.local) {
      for (let i = 0; i < rc.proxyCount; i++) {
        const r = localReplica(rc, i);
        const rec = records.get(r.name);
        records.delete(r.name);
        const agentPid = this.o.local.pid(rc, i);
        if (!rec) {
          out.push({ ...blankProxyStatus(i, r.address, r.port, r.name), state: agentPid === null ? 'stopped' : 'starting', healthz: agentPid === null ? 'failing' : 'unknown' });
          continue;
        }
        out.push(this.fromRecord(rec, rc.generation, i, agentPid !== null));
      }
    }
    let index = out.length;
    for (const rec of records.values()) {
      if (rec.localIndex !== null && rec.localIndex >= rc.proxyCount) continue;
      out.push(this.fromRecord(rec, rc.generation, index++, this.o.fleet.alive(rec)));
    }
    return out;
  }

  private fromRecord(rec: ProxyRecord, generation: number, index: number, alive: boolean): ProxyStatus {
    const r = rec.report;
    const [, port] = /:(\d+)$/.exec(r.listen) ?? [];
    const lost = !alive || !this.o.fleet.alive(rec);
    const state: ProxyStatus['state'] = lost ? (rec.localIndex !== null ? 'stopped' : 'lost') : r.state;
    return {
      index,
      name: rec.name,
      address: r.public_address,
      port: Number(port ?? 0),
      listen: r.listen,
      host: r.host,
      state,
      pid: lost ? null : r.proxy_pid,
      healthz: lost ? 'failing' : r.healthz,
      generation_applied: r.applied_generation,
      last_error: r.refused && r.refused.generation > (r.applied_generation ?? -1) ? `generation ${r.refused.generation} not applied: ${r.refused.error}; still serving generation ${r.applied_generation ?? 'none'}` : r.last_error,
      agent_version: r.agent_version,
      caddy_version: r.caddy_version,
      instance_id: r.instance_id,
      last_seen: new Date(rec.lastSeen).toISOString(),
      lagging: !lost && (r.applied_generation ?? -1) < generation,
      fallbacks: r.fallbacks,
      // Filled in by `cluster status` from the edge's view.
      edge: null,
      edge_reason: null,
    };
  }

  note(rc: RuntimeCluster): string | null {
    if (rc.proxy && !rc.proxy.exists) {
      return `the cluster's proxy app ${rc.proxy.app} does not exist here: create it with \`ownstack local app add ${rc.proxy.app} --deploy-cmd=<command that runs your proxy>\``;
    }
    if (rc.proxy && !rc.proxy.command) {
      const where = Array.from({ length: rc.proxyCount }, (_, i) => `${localReplica(rc, i).address}:${rc.port}`).join(', ');
      return `proxy app ${rc.proxy.app} has no command: run it yourself on ${where} with the env in ${rc.dir}/proxy.env; only its /_cluster/healthz is checked`;
    }
    if (rc.proxy) return `proxy app ${rc.proxy.app}: each proxy agent runs its command with the proxy env and restarts it when the env changes`;
    if (this.o.fleet.proxies(rc.id).some((p) => p.report.state === 'not_installed')) return CADDY_INSTALL_HINT;
    return null;
  }

  /** Which probe target answers for an (address, hostname) pair: the agents' probe plan for the cluster now. */
  private targetOf(rc: RuntimeCluster, address: string, hostname: string): string | undefined {
    const row = this.o.store.clusterById(rc.id);
    if (!row) return undefined;
    if (this.plan?.clusterId !== rc.id || this.plan.hash !== row.rendered_hash) {
      this.plan = { clusterId: rc.id, hash: row.rendered_hash, keyOf: probePlan(this.o.store.renderCluster(row)).keyOf };
    }
    return this.plan.keyOf.get(`${address}\u0000${hostname}`);
  }

  /** An address's health as the proxies' probes see it: healthy when any live proxy says so. */
  upstreamHealth(rc: RuntimeCluster, address: string, hostname: string): 'healthy' | 'unhealthy' | 'unknown' {
    const key = this.targetOf(rc, address, hostname);
    if (key === undefined) return 'unknown';
    let seen: 'unhealthy' | 'unknown' = 'unknown';
    for (const p of this.o.fleet.proxies(rc.id)) {
      if (!this.o.fleet.alive(p)) continue;
      const v = verdictsOf(p.report).get(key);
      if (v?.health === 'healthy') return 'healthy';
      if (v?.health === 'unhealthy') seen = 'unhealthy';
    }
    return seen;
  }

  /** The last probe error of an address from any live proxy (for refusals that name it). */
  upstreamError(rc: RuntimeCluster, address: string, hostname: string): string | null {
    const key = this.targetOf(rc, address, hostname);
    if (key === undefined) return null;
    for (const p of this.o.fleet.proxies(rc.id)) {
      const v = verdictsOf(p.report).get(key);
      if (v?.error) return v.error;
    }
    return null;
  }

  /** Retires local replicas beyond proxy_count (after the edge stopped sending them traffic). */
  async afterEdge(rc: RuntimeCluster): Promise<void> {
    if (!this.o.local) return;
    for (const i of this.o.local.extras(rc)) {
      if (!(await this.o.local.retire(rc, i))) continue;
      this.o.fleet.forget(rc.id, localReplica(rc, i).name);
      this.o.log(`proxy ${localReplica(rc, i).address}:${rc.port} (cluster ${rc.name}) retired: the cluster has ${rc.proxyCount} proxies now`);
    }
  }

  async stop(rc: RuntimeCluster): Promise<void> {
    await this.o.local?.stop(rc);
    this.o.fleet.forget(rc.id);
  }

  async close(opts: { stopProxies?: boolean } = {}): Promise<number> {
    return (await this.o.local?.close(opts)) ?? 0;
  }
}

