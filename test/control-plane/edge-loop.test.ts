// The proxy → edge loop logs a warning when it appears, changes or clears — not on every tick.
import { describe, expect, test } from 'vitest';
import { startEdgeLoop } from '../../src/control-plane/runtime/edge-loop.js';
import type { Reconciler } from '../../src/control-plane/runtime/reconcile.js';
import type { ClusterRow, Store } from '../../src/control-plane/store/store.js';

function harness() {
  const rows: ClusterRow[] = [{ id: 1, name: 'web', edge: 'dns_rr', edge_published: null, edge_error: null } as ClusterRow];
  const store = {
    clusters: () => rows,
    clusterById: (id: number) => rows.find((r) => r.id === id),
    run: () => undefined,
  } as unknown as Store;
  let next: string[] | Error = [];
  const reconciler = {
    refreshEdge: async () => {
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as Reconciler;
  const logs: string[] = [];
  const loop = startEdgeLoop({ store, reconciler, intervalMs: 0, log: (l) => logs.push(l) });
  return {
    logs,
    rows,
    set: (w: string[] | Error) => {
      next = w;
    },
    /** Runs one tick and returns the lines it logged. */
    tick: async () => {
      const n = logs.length;
      await loop.tick();
      return logs.slice(n);
    },
  };
}

describe('edge loop warnings', () => {
  test('logged when they appear or change text, once when they clear, never repeated', async () => {
    const h = harness();
    const wild = 'the dns_rr edge of cluster web does not publish wildcard hostnames (*.example.com): …';
    h.set([wild]);
    expect(await h.tick()).toEqual([`edge loop: ${wild}`]);
    expect(await h.tick()).toEqual([]);
    expect(await h.tick()).toEqual([]);
    h.set([wild, 'the dns_rr edge of cluster web was not updated: 503']);
    expect(await h.tick()).toEqual(['edge loop: the dns_rr edge of cluster web was not updated: 503']);
    // The failure's text changes: the new text is logged (not a "cleared" line for the old one).
    h.set([wild, 'the dns_rr edge of cluster web was not updated: timed out']);
    expect(await h.tick()).toEqual(['edge loop: the dns_rr edge of cluster web was not updated: timed out']);
    h.set([wild]);
    expect(await h.tick()).toEqual(['edge loop: cluster web: cleared: the dns_rr edge of cluster web was not updated: timed out']);
    h.set([]);
    expect(await h.tick()).toEqual([`edge loop: cluster web: cleared: ${wild}`]);
    expect(await h.tick()).toEqual([]);
    h.set([wild]);
    expect(await h.tick()).toEqual([`edge loop: ${wild}`]);
  });

  test('a pass that throws is reported like a warning: once, then once cleared', async () => {
    const h = harness();
    h.set(new Error('database is locked'));
    expect(await h.tick()).toEqual(['edge loop: cluster web: database is locked']);
    expect(await h.tick()).toEqual([]);
    h.set([]);
    expect(await h.tick()).toEqual(['edge loop: cluster web: cleared: cluster web: database is locked']);
  });

  test('a cluster that goes away and comes back starts afresh', async () => {
    const h = harness();
    h.set(['w']);
    expect(await h.tick()).toEqual(['edge loop: w']);
    const row = h.rows.pop()!;
    expect(await h.tick()).toEqual([]);
    h.rows.push(row);
    expect(await h.tick()).toEqual(['edge loop: w']);
  });
});
