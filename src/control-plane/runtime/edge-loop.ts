// The proxy → edge loop: at once when a proxy's health or liveness changes (refresh, called by
// the proxies' reports and their supervisor), and every interval as the reconciling backstop (60 s
// by default, OWNSTACK_EDGE_INTERVAL), for every cluster with an edge, re-check each proxy's health
// (the runtime's status) and republish the edge when the healthy set changed: a dead proxy leaves the dns_rr record set,
// a recovered one comes back, and the last one is never dropped (chooseHealthyProxies). The work
// is the reconciler's refreshEdge (serialised with every other reconcile of the cluster; it does
// not re-apply proxy configs — the periodic reconcile retries those); this loop adds the cadence,
// the "last reconciled" time and a log line per change. Warnings are logged when they change
// (appear, change text, or clear), not on every tick: a wildcard hostname or a provider that
// stays down would otherwise fill server.log with one identical line per interval.
import type { Reconciler } from './reconcile.js';
import { now, type ClusterRow, type Store } from '../store/store.js';

export const DEFAULT_EDGE_INTERVAL_MS = 60_000;

export interface EdgeLoopOptions {
  store: Store;
  reconciler: Reconciler;
  /** 0 disables the loop (ticks can still be run by hand). */
  intervalMs: number;
  log: (line: string) => void;
}

export interface EdgeLoop {
  readonly intervalMs: number;
  /** One pass over every cluster (a pass already running is joined, not doubled). */
  tick(): Promise<void>;
  /** One cluster at once (a proxy's health changed). */
  refresh(clusterId: number): Promise<void>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

function publishedAddresses(row: ClusterRow | undefined): string[] | null {
  if (!row?.edge_published) return null;
  try {
    return (JSON.parse(row.edge_published) as { proxies: { address: string; port: number }[] }).proxies.map((p) => `${p.address}:${p.port}`).sort();
  } catch {
    return null;
  }
}

/** Starts the proxy → edge loop. */
export function startEdgeLoop(opts: EdgeLoopOptions): EdgeLoop {
  const { store, reconciler, log } = opts;
  let running: Promise<void> | null = null;
  let stopped = false;

  /** The warnings last logged per cluster id. */
  const lastWarnings = new Map<number, string[]>();

  /** Logs what changed since the cluster's last warnings: new ones, and the old ones when they cleared. */
  const reportWarnings = (id: number, name: string, warnings: string[]): void => {
    const before = lastWarnings.get(id) ?? [];
    const fresh = warnings.filter((w) => !before.includes(w));
    const gone = before.filter((w) => !warnings.includes(w));
    for (const w of fresh) log(`edge loop: ${w}`);
    // A warning whose text changed is reported by its new text; one that went away is reported once.
    if (gone.length > 0 && fresh.length === 0) log(`edge loop: cluster ${name}: cleared: ${gone.join('; ')}`);
    if (warnings.length === 0) lastWarnings.delete(id);
    else lastWarnings.set(id, [...new Set(warnings)]);
  };

  const passOne = async (id: number): Promise<string[]> => {
    const before = publishedAddresses(store.clusterById(id));
    const warnings = await reconciler.refreshEdge(id);
    if (stopped) return warnings;
    const row = store.clusterById(id);
    if (!row) return [];
    const after = publishedAddresses(row);
    if (before !== null && after !== null && before.join(' ') !== after.join(' ')) {
      const dropped = before.filter((a) => !after.includes(a));
      const restored = after.filter((a) => !before.includes(a));
      log(
        `edge loop: cluster ${row.name} (${row.edge}) now publishes ${after.join(', ')}` +
          `${dropped.length ? `; dropped ${dropped.join(', ')} (healthz failing)` : ''}${restored.length ? `; restored ${restored.join(', ')}` : ''}`,
      );
    }
    // "reconciled" = the edge was checked against the proxies' health and holds what it should.
    if (row.edge_error === null) store.run('UPDATE clusters SET edge_reconciled_at = ? WHERE id = ?', now(), id);
    return warnings;
  };

  const tick = (): Promise<void> => {
    if (running) return running;
    const pass = (async () => {
      const seen = new Set<number>();
      for (const c of store.clusters()) {
        if (stopped) return;
        if (c.edge === 'none') continue;
        seen.add(c.id);
        const warnings = await passOne(c.id).catch((err: Error) => [`cluster ${c.name}: ${err.message}`]);
        if (stopped) return;
        reportWarnings(c.id, c.name, warnings);
      }
      // Destroyed clusters (or ones switched to edge none) start afresh if they come back.
      for (const id of [...lastWarnings.keys()]) if (!seen.has(id)) lastWarnings.delete(id);
    })();
    // Cleared once settled (never synchronously inside the pass, which may finish at once).
    running = pass.finally(() => {
      running = null;
    });
    return running;
  };

  let timer: NodeJS.Timeout | undefined;
  if (opts.intervalMs > 0) {
    timer = setInterval(() => {
      if (!stopped && running === null) void tick();
    }, opts.intervalMs);
    timer.unref();
  }

  const refresh = async (id: number): Promise<void> => {
    const c = store.clusterById(id);
    if (stopped || !c || c.edge === 'none') return;
    const warnings = await passOne(id).catch((err: Error) => [`cluster ${c.name}: ${err.message}`]);
    if (!stopped) reportWarnings(id, c.name, warnings);
  };

  return {
    intervalMs: opts.intervalMs,
    tick,
    refresh,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
