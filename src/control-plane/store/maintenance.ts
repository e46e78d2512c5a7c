// Host maintenance's rows: the hosts under maintenance and exactly the upstream addresses each
// drained (maintenance_hosts, maintenance_drained; migration 7). The logic is service/maintenance.ts.
import type { Store } from './store.js';

/** One drained address with its upstream's cluster. */
export interface DrainedRow {
  host: string;
  upstream_id: number;
  address: string;
  cluster_id: number;
  cluster: string;
}

export interface MaintenanceHostRow {
  host: string;
  started_at: string;
  forced: number;
}

export class MaintenanceStore {
  constructor(private readonly store: Store) {}

  /** The addresses drained by maintenance (of one host, or of every host), by cluster name, upstream and address. */
  drained(host?: string): DrainedRow[] {
    return this.store.all<DrainedRow>(
      `SELECT m.host, m.upstream_id, m.address, u.cluster_id, c.name AS cluster
         FROM maintenance_drained m JOIN upstreams u ON u.id = m.upstream_id JOIN clusters c ON c.id = u.cluster_id
        ${host === undefined ? '' : 'WHERE m.host = ?'} ORDER BY c.name, m.upstream_id, m.address`,
      ...(host === undefined ? [] : [host]),
    );
  }

  /** `upstream_id address` of every address the host's maintenance drained. */
  drainedKeys(host: string): Set<string> {
    return new Set(this.store.all<{ upstream_id: number; address: string }>('SELECT upstream_id, address FROM maintenance_drained WHERE host = ?', host).map((r) => `${r.upstream_id} ${r.address}`));
  }

  host(host: string): MaintenanceHostRow | undefined {
    return this.store.get<MaintenanceHostRow>('SELECT host, started_at, forced FROM maintenance_hosts WHERE host = ?', host);
  }

  /** Hosts under maintenance, oldest first. */
  hostsByAge(): string[] {
    return this.store.all<{ host: string }>('SELECT host FROM maintenance_hosts ORDER BY started_at, host').map((h) => h.host);
  }

  /** Hosts under maintenance by name (the suggestions of a 404). */
  hostNames(): string[] {
    return this.store.all<{ host: string }>('SELECT host FROM maintenance_hosts ORDER BY host').map((h) => h.host);
  }

  addHost(host: string, startedAt: string, forced: boolean): void {
    this.store.run('INSERT INTO maintenance_hosts (host, started_at, forced) VALUES (?, ?, ?)', host, startedAt, forced ? 1 : 0);
  }

  addDrained(host: string, upstreamId: number, address: string): void {
    this.store.run('INSERT INTO maintenance_drained (host, upstream_id, address) VALUES (?, ?, ?)', host, upstreamId, address);
  }

  /** Forgets what the host's maintenance drained in one cluster. */
  removeDrainedIn(host: string, clusterId: number): void {
    this.store.run('DELETE FROM maintenance_drained WHERE host = ? AND upstream_id IN (SELECT id FROM upstreams WHERE cluster_id = ?)', host, clusterId);
  }

  removeHost(host: string): void {
    this.store.run('DELETE FROM maintenance_hosts WHERE host = ?', host);
  }
}
