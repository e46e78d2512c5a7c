// The control plane's view of its proxies: every agent's last report (kept in the database, so a
// restarted control plane still knows its proxies), the agents waiting for a new generation
// (long-poll), and the mutations waiting for the agents to apply one.
import type { AgentReport } from '../../api/agent.js';
import type { Store } from '../store/store.js';

export interface ProxyRecord {
  clusterId: number;
  name: string;
  /** A local replica's index, null for an agent on another host. */
  localIndex: number | null;
  report: AgentReport;
  /** ms since the epoch of the last report. */
  lastSeen: number;
  /** ms since the epoch of the first report of the generation it applies now. */
  appliedAt: number;
  registeredAt: string;
}

export interface FleetOptions {
  /** A proxy whose reports stop for this long is lost (out of the edge). Default 15 s (OWNSTACK_PROXY_HEARTBEAT_TIMEOUT). */
  heartbeatTimeoutMs?: number;
  /** Called when a proxy's health or liveness changed (the edge should hear of it at once). */
  onHealthChange?: (clusterId: number) => void;
  /** Told when a proxy's health fallback of a hostname starts, changes or ends (the control plane logs it). */
  onFallback?: (clusterId: number, proxy: string, hostname: string, detail: string | null) => void;
  clock?: () => number;
}

interface Row {
  cluster_id: number;
  name: string;
  local_index: number | null;
  report: string;
  last_seen: string;
  registered_at: string;
}

/** What a report says about serving, for change detection (heartbeats repeat it). */
function healthKey(r: AgentReport): string {
  return `${r.state}|${r.healthz}|${r.public_address}|${r.listen}|${r.instance_id ?? ''}`;
}

export class ProxyFleet {
  readonly heartbeatTimeoutMs: number;
  private readonly byCluster = new Map<number, Map<string, ProxyRecord>>();
  private readonly generationWaiters = new Map<number, Set<() => void>>();
  private readonly reportWaiters = new Map<number, Set<() => void>>();
  private readonly lost = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly clock: () => number;
  private isClosed = false;

  constructor(
    private readonly store: Store,
    private readonly opts: FleetOptions = {},
  ) {
    this.heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? 15_000;
    this.clock = opts.clock ?? Date.now;
    for (const r of store.all<Row>('SELECT * FROM proxies')) {
      this.put({ clusterId: r.cluster_id, name: r.name, localIndex: r.local_index, report: JSON.parse(r.report) as AgentReport, lastSeen: Date.parse(r.last_seen), appliedAt: Date.parse(r.last_seen), registeredAt: r.registered_at });
    }
    // Liveness: a proxy that stops reporting is lost; the edge hears of it within a second.
    this.timer = setInterval(() => this.checkLiveness(), 1_000);
    this.timer.unref();
  }

  private put(p: ProxyRecord): void {
    let m = this.byCluster.get(p.clusterId);
    if (!m) this.byCluster.set(p.clusterId, (m = new Map()));
    m.set(p.name, p);
  }

  /** The proxies of a cluster, local replicas first (by index), then by name. */
  proxies(clusterId: number): ProxyRecord[] {
    return [...(this.byCluster.get(clusterId)?.values() ?? [])].sort(
      (a, b) => (a.localIndex ?? Infinity) - (b.localIndex ?? Infinity) || a.name.localeCompare(b.name),
    );
  }

  /** True while a proxy's reports arrive within the heartbeat timeout. */
  alive(p: ProxyRecord): boolean {
    return this.clock() - p.lastSeen <= this.heartbeatTimeoutMs;
  }

  /** Records a report (registering the proxy on its first one). */
  receive(clusterId: number, report: AgentReport, localIndex: number | null): ProxyRecord {
    const t = this.clock();
    const before = this.byCluster.get(clusterId)?.get(report.name);
    const appliedAt = before && before.report.applied_generation === report.applied_generation ? before.appliedAt : t;
    const record: ProxyRecord = { clusterId, name: report.name, localIndex: localIndex ?? before?.localIndex ?? null, report, lastSeen: t, appliedAt, registeredAt: before?.registeredAt ?? new Date(t).toISOString() };
    this.put(record);
    this.store.run(
      `INSERT INTO proxies (cluster_id, name, local_index, report, last_seen, registered_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (cluster_id, name) DO UPDATE SET local_index = excluded.local_index, report = excluded.report, last_seen = excluded.last_seen`,
      clusterId,
      report.name,
      record.localIndex,
      JSON.stringify(report),
      new Date(t).toISOString(),
      record.registeredAt,
    );
    // A hostname's health fallback (e.g. serving through a draining member) starting, changing or ending.
    if (this.opts.onFallback) {
      const was = new Map((before?.report.fallbacks ?? []).map((f) => [f.hostname, f.detail]));
      const is = new Map(report.fallbacks.map((f) => [f.hostname, f.detail]));
      for (const [h, d] of is) if (was.get(h) !== d) this.opts.onFallback(clusterId, report.name, h, d);
      for (const h of was.keys()) if (!is.has(h)) this.opts.onFallback(clusterId, report.name, h, null);
    }
    const key = `${clusterId}/${report.name}`;
    const wasLost = this.lost.delete(key);
    if (!before || wasLost || healthKey(before.report) !== healthKey(report)) this.opts.onHealthChange?.(clusterId);
    for (const wake of this.reportWaiters.get(clusterId) ?? []) wake();
    return record;
  }

  /** Forgets a proxy (its agent was removed), or every proxy of a cluster. */
  forget(clusterId: number, name?: string): void {
    if (name === undefined) {
      this.byCluster.delete(clusterId);
      this.store.run('DELETE FROM proxies WHERE cluster_id = ?', clusterId);
    } else {
      this.byCluster.get(clusterId)?.delete(name);
      this.store.run('DELETE FROM proxies WHERE cluster_id = ? AND name = ?', clusterId, name);
    }
    this.opts.onHealthChange?.(clusterId);
  }

  /** Wakes the agents of a cluster waiting for a new generation. */
  notify(clusterId: number): void {
    for (const wake of this.generationWaiters.get(clusterId) ?? []) wake();
  }

  /** Resolves when notify(clusterId) is called, after waitMs, or on abort. */
  waitForChange(clusterId: number, waitMs: number, signal?: AbortSignal): Promise<void> {
    return this.waitOn(this.generationWaiters, clusterId, waitMs, signal);
  }

  /** Resolves on the next report of a cluster's proxies, after waitMs, or on abort. */
  waitForReport(clusterId: number, waitMs: number, signal?: AbortSignal): Promise<void> {
    return this.waitOn(this.reportWaiters, clusterId, waitMs, signal);
  }

  /** True once close() was called: waits end at once. */
  get closed(): boolean {
    return this.isClosed;
  }

  private waitOn(map: Map<number, Set<() => void>>, clusterId: number, waitMs: number, signal?: AbortSignal): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      let set = map.get(clusterId);
      if (!set) map.set(clusterId, (set = new Set()));
      const s = set;
      const done = () => {
        clearTimeout(timer);
        s.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      s.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private checkLiveness(): void {
    for (const [clusterId, m] of this.byCluster) {
      for (const p of m.values()) {
        const key = `${clusterId}/${p.name}`;
        if (!this.alive(p) && !this.lost.has(key)) {
          this.lost.add(key);
          this.opts.onHealthChange?.(clusterId);
        }
      }
    }
  }

  close(): void {
    this.isClosed = true;
    clearInterval(this.timer);
    for (const set of [...this.generationWaiters.values(), ...this.reportWaiters.values()]) for (const wake of [...set]) wake();
  }
}
