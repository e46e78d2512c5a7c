// Host maintenance, the seed's OS/AMI upgrade for addresses: `start` drains every upstream address
// on a host in every cluster (an address, not the whole app, when the app has addresses elsewhere),
// refusing to leave a hostname served now with nothing routable elsewhere unless forced; `end`
// undrains exactly what it drained. What was drained is stored (maintenance_drained), so a restart
// changes nothing. A drained address is routed like a draining member's (routing.ts): it serves
// again only if nothing active is left.
import type { MaintenanceChange, MaintenanceHost } from '../../api/maintenance.js';
import type { Plan } from '../../api/schemas.js';
import { checkMaintenanceHost } from '../../inputs/maintenance-host.js';
import { parseAuthority } from '../../inputs/authority.js';
import type { ProxyFleet } from '../runtime/fleet.js';
import { conflict, invalid, notFound } from '../http-error.js';
import { MaintenanceStore, type DrainedRow } from '../store/maintenance.js';
import { now, parseList, type ClusterRow, type UpstreamRow } from '../store/store.js';
import { buildPlan, listNames, snapshot, type Snapshot } from './plan.js';
import type { Outcome, Service } from './service.js';
import { describeUpstream } from './service.js';

class Rollback {
  constructor(readonly value: MaintenanceChange) {}
}

/** The host part of an app address (`10.0.0.5:80` → `10.0.0.5`) or of a URL upstream. */
export function hostOf(token: string, kind: 'app' | 'url'): string | null {
  if (kind === 'url') {
    try {
      return new URL(token).hostname.toLowerCase();
    } catch {
      return null;
    }
  }
  const a = parseAuthority(token, { what: 'an address', portRequired: false });
  return a.ok ? a.value.host : null;
}

export class Maintenance {
  private readonly rows: MaintenanceStore;

  constructor(
    private readonly svc: Service,
    /** The proxies' reports (in-flight counts); null: nothing reports, nothing to wait for. */
    private readonly fleet: ProxyFleet | null = null,
    /** After a proxy applies a change, how long its cached answers may still send requests the old way. */
    private readonly settleMs = 0,
  ) {
    this.rows = new MaintenanceStore(svc.store);
  }

  private get store() {
    return this.svc.store;
  }

  /** Parses the path's host (400 naming the rule). */
  private host(raw: string): string {
    const r = checkMaintenanceHost(raw);
    if (!r.ok) throw invalid(`invalid host ${JSON.stringify(raw)}: ${r.rule}`, { field: 'host', value: raw, rule: r.rule, ...(r.fix ? { hint: r.fix } : {}) });
    return r.value;
  }

  private view(rows: DrainedRow[]) {
    return rows.map((r) => {
      const u = this.store.upstream(this.store.clusterById(r.cluster_id)!, r.upstream_id);
      return { cluster: r.cluster, upstream_id: r.upstream_id, upstream: describeUpstream(u), address: r.address };
    });
  }

  /** Requests still in flight to the drained addresses, and whether every live proxy has settled on the drain. */
  private inFlight(rows: DrainedRow[]): { in_flight: number | null; settled: boolean } {
    if (!this.fleet) return { in_flight: null, settled: true };
    const byCluster = new Map<number, Set<string>>();
    for (const r of rows) {
      const set = byCluster.get(r.cluster_id) ?? new Set<string>();
      set.add(r.address);
      byCluster.set(r.cluster_id, set);
    }
    let total: number | null = 0;
    let settled = true;
    const t = Date.now();
    for (const [clusterId, addresses] of byCluster) {
      const c = this.store.clusterById(clusterId);
      if (!c) continue;
      for (const p of this.fleet.proxies(clusterId)) {
        if (!this.fleet.alive(p)) continue;
        const r = p.report;
        // Serving the drain, and reported after its cached answers expired.
        if ((r.applied_generation ?? -1) < c.generation || p.lastSeen < p.appliedAt + this.settleMs || t < p.appliedAt + this.settleMs) settled = false;
        // Not counted in this report (one confirming a generation): the next heartbeat's is.
        if (r.in_flight === undefined) settled = false;
        else if (r.in_flight === null) total = null;
        else if (total !== null) for (const f of r.in_flight) if (addresses.has(f.address)) total += f.requests;
      }
    }
    return { in_flight: total, settled };
  }

  /** Hosts under maintenance, oldest first. */
  list(): Outcome<{ hosts: MaintenanceHost[] }> {
    const hosts = this.rows.hostsByAge().map((h) => this.describe(h));
    return { body: { hosts }, reconcile: [] };
  }

  show(raw: string): Outcome<MaintenanceHost> {
    const host = this.host(raw);
    if (!this.rows.host(host)) throw this.notUnder(host, raw);
    return { body: this.describe(host), reconcile: [] };
  }

  private describe(host: string): MaintenanceHost {
    const h = this.rows.host(host)!;
    const rows = this.rows.drained(host);
    return { host: h.host, started_at: h.started_at, forced: h.forced === 1, drained: this.view(rows), ...this.inFlight(rows) };
  }

  private notUnder(host: string, raw: string) {
    const hosts = this.rows.hostNames();
    return notFound('host under maintenance', raw, hosts, {
      field: 'host',
      ...(hosts.length === 0 ? { hint: `no host is under maintenance; start with \`ownstack maintenance start ${host}\`` } : {}),
    });
  }

  /** Every (upstream, address) of the cluster on the host that is not drained by it yet. */
  private onHost(c: ClusterRow, host: string): { u: UpstreamRow; address: string }[] {
    const held = this.rows.drainedKeys(host);
    const out: { u: UpstreamRow; address: string }[] = [];
    for (const u of this.store.upstreams(c.id)) {
      const tokens = u.kind === 'url' ? [u.url!] : [...new Set(parseList(u.app_addresses))];
      for (const t of tokens) if (hostOf(t, u.kind) === host && !held.has(`${u.id} ${t}`)) out.push({ u, address: t });
    }
    return out;
  }

  /** Drains every address on the host, in one transaction over every cluster. */
  start(raw: string, input: { dry_run: boolean; force: boolean }): Outcome<MaintenanceChange> {
    const host = this.host(raw);
    return this.change(input.dry_run, () => {
      const already = this.rows.host(host) !== undefined;
      if (!already) this.rows.addHost(host, now(), input.force);
      const plans: Plan[] = [];
      const addresses: MaintenanceChange['addresses'] = [];
      const victims: string[] = [];
      const touched: number[] = [];
      const pending: { row: ClusterRow; after: Snapshot }[] = [];
      for (const c of this.store.clusters()) {
        const found = this.onHost(c, host);
        if (found.length === 0) continue;
        const before = this.before(c);
        for (const f of found) {
          this.rows.addDrained(host, f.u.id, f.address);
          addresses.push({ cluster: c.name, upstream_id: f.u.id, upstream: describeUpstream(f.u), address: f.address });
        }
        const row = this.store.clusterById(c.id)!;
        const after = snapshot(this.store, row);
        // Per hostname: served now by something active, and only drained addresses would be left.
        const servedActive = new Set(before.rendered.table.hosts.filter((h) => h.total > 0 && !h.drainingFallback).map((h) => h.hostname));
        const lost = after.rendered.table.hosts.filter((h) => servedActive.has(h.hostname) && (h.total === 0 || h.drainingFallback)).map((h) => `${h.hostname} (cluster ${c.name})`);
        victims.push(...lost);
        const warnings = lost.length > 0 ? [`forced: ${listNames(lost)} ${input.dry_run ? 'would be' : 'is'} served only by addresses on ${host}, which may go down during the maintenance`] : [];
        plans.push(buildPlan(c.name, before, after, !input.dry_run, warnings));
        pending.push({ row, after });
        touched.push(c.id);
      }
      if (victims.length > 0 && !input.force) {
        throw conflict(`maintenance of ${host} would leave ${victims.length === 1 ? 'a hostname' : `${victims.length} hostnames`} with no routable upstream elsewhere: ${listNames(victims)}`, {
          field: 'host',
          value: host,
          rule: 'maintenance may not drain the last routable upstream address of a hostname that is served now',
          hint: 'add or undrain an upstream on another host first, or pass force: true (--force) to drain anyway (requests to those hostnames may fail while the host is down)',
          details: { hostnames: victims },
        });
      }
      // Committed only once nothing is refused (a refusal rolls the whole transaction back).
      for (const p of pending) this.commit(p.row, p.after, input.dry_run);
      const warnings: string[] = [];
      if (addresses.length === 0) warnings.push(already ? `${host} is already under maintenance and no new upstream address is on it` : `no upstream address of any cluster is on ${host}: nothing was drained`);
      const state = already && addresses.length === 0 ? 'unchanged' : 'started';
      return { value: { host, state, applied: !input.dry_run, addresses, plans, warnings }, touched };
    });
  }

  /** Undrains exactly what maintenance of the host drained, and ends it. */
  end(raw: string, input: { dry_run: boolean }): Outcome<MaintenanceChange> {
    const host = this.host(raw);
    return this.change(input.dry_run, () => {
      if (!this.rows.host(host)) throw this.notUnder(host, raw);
      const rows = this.rows.drained(host);
      const addresses = this.view(rows);
      const plans: Plan[] = [];
      const touched: number[] = [];
      for (const id of [...new Set(rows.map((r) => r.cluster_id))]) {
        const c = this.store.clusterById(id)!;
        const before = this.before(c);
        this.rows.removeDrainedIn(host, id);
        const row = this.store.clusterById(id)!;
        const after = snapshot(this.store, row);
        plans.push(buildPlan(c.name, before, after, !input.dry_run));
        this.commit(row, after, input.dry_run);
        touched.push(id);
      }
      this.rows.removeHost(host);
      return { value: { host, state: 'ended', applied: !input.dry_run, addresses, plans, warnings: [] }, touched };
    });
  }

  private before(c: ClusterRow): Snapshot {
    return snapshot(this.store, this.store.clusterById(c.id) ?? c, this.svc.recallRender(c.id));
  }

  private commit(row: ClusterRow, after: Snapshot, dryRun: boolean): void {
    if (dryRun) return;
    this.svc.commitRender(row, after.rendered);
    this.store.touchCluster(row.id);
  }

  /** One transaction; a dry run computes everything and rolls it back. */
  private change(dryRun: boolean, fn: () => { value: MaintenanceChange; touched: number[] }): Outcome<MaintenanceChange> {
    try {
      const { value, touched } = this.svc.tx(() => {
        const out = fn();
        if (dryRun) throw new Rollback(out.value);
        return out;
      });
      return { body: value, reconcile: touched };
    } catch (err) {
      if (err instanceof Rollback) return { body: err.value, reconcile: [] };
      throw err;
    }
  }
}
