// Plans: what a routing mutation changes (env vars, Caddyfile, edge records) and what to warn about.
import type { EdgeRecordView, Plan } from '../../api/schemas.js';
import { diffEnv, UNION_ENV_NAME } from '../../proxy/env.js';
import { desiredEdgeRecords, diffEdgeRecords, proxyAddresses, renderRow, type Rendered } from '../runtime/render.js';
import type { ClusterRow, Store } from '../store/store.js';
import { edgeHostnames } from '../runtime/reconcile.js';

/** A cluster's derived state at one moment of a transaction. */
export interface Snapshot {
  rendered: Rendered;
  /** hostname → env var name */
  envNames: Map<string, string>;
  records: EdgeRecordView[];
}

/** Renders the cluster as the current transaction sees it (reusing `known` when it is current). */
export function snapshot(store: Store, c: ClusterRow, known?: Rendered): Snapshot {
  // A render whose hash is the row's rendered_hash is the render of these rows (see Reconciler.remember).
  const rendered = known !== undefined && known.hash === c.rendered_hash ? known : renderRow(store, c);
  const domains = store.domains(c.id);
  const hosts = domains.map((d) => d.hostname);
  return {
    rendered,
    envNames: new Map(domains.map((d) => [d.hostname, d.env_name])),
    // What the edge really publishes: dns_rr and cloudflare leave wildcard hostnames to the operator.
    records: desiredEdgeRecords(c.edge, edgeHostnames(c.edge, hosts).publish, proxyAddresses(c)),
  };
}

/**
 * The snapshot of a cluster whose rows cannot be rendered at all (values stored before today's
 * rules, say): no env, no Caddyfile. A mutation compares with it, so the change that repairs the
 * rows can still be made.
 */
export function unrenderedSnapshot(store: Store, c: ClusterRow): Snapshot {
  const domains = store.domains(c.id);
  const input = store.renderCluster(c);
  const rendered: Rendered = {
    input,
    table: { cluster: c.name, variants: [], hosts: [], warnings: [] },
    env: {},
    envFile: '',
    caddyfile: '',
    hash: '',
  };
  return {
    rendered,
    envNames: new Map(domains.map((d) => [d.hostname, d.env_name])),
    records: desiredEdgeRecords(c.edge, edgeHostnames(c.edge, domains.map((d) => d.hostname)).publish, proxyAddresses(c)),
  };
}

/** Hostnames with traffic in `before` and none in `after` (hostnames that were removed do not count). */
export function hostnamesLosingTraffic(before: Snapshot, after: Snapshot): string[] {
  const served = new Set(before.rendered.table.hosts.filter((h) => h.total > 0).map((h) => h.hostname));
  return after.rendered.table.hosts.filter((h) => h.total === 0 && served.has(h.hostname)).map((h) => h.hostname);
}

/** Lists at most `max` names, then "… and N more". */
export function listNames(names: string[], max = 10): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} … and ${names.length - max} more`;
}

/** The plan from `before` to `after` with the warnings a user should see. */
export function buildPlan(cluster: string, before: Snapshot, after: Snapshot, applied: boolean, extra: string[] = []): Plan {
  const hostnameOf = new Map<string, string>();
  for (const [h, env] of [...before.envNames, ...after.envNames]) hostnameOf.set(env, h);
  const env = diffEnv(before.rendered.env, after.rendered.env).map((e) => ({
    name: e.key,
    hostname: e.key === UNION_ENV_NAME ? null : (hostnameOf.get(e.key) ?? null),
    before: e.before,
    after: e.after,
    changed: e.changed,
  }));
  const warnings: string[] = [...extra];
  const lost = hostnamesLosingTraffic(before, after);
  if (lost.length > 0) {
    warnings.push(`${lost.length === 1 ? 'hostname' : `${lost.length} hostnames`} served now ${applied ? 'lost' : 'would lose'} every upstream: ${listNames(lost)}`);
  }
  const fallbackBefore = new Set(before.rendered.table.hosts.filter((h) => h.drainingFallback).map((h) => h.hostname));
  const fallback = after.rendered.table.hosts.filter((h) => h.drainingFallback && !fallbackBefore.has(h.hostname)).map((h) => h.hostname);
  if (fallback.length > 0) {
    warnings.push(`every routed member of ${listNames(fallback)} is draining: the draining members keep the traffic (the proxy never serves zero members)`);
  }
  // A routing warning that was already true before this change and is unchanged by it is not
  // repeated by every mutation (`cluster status` keeps showing it).
  const known = new Set(before.rendered.table.warnings.map((w) => w.message));
  const routing = after.rendered.table.warnings.filter((w) => !known.has(w.message));
  const noUpstream = routing.filter((w) => w.code === 'no-upstream' && !lost.includes(w.hostname ?? ''));
  if (noUpstream.length > 0) {
    const hosts = noUpstream.map((w) => w.hostname ?? '?');
    warnings.push(`no upstream is routed for ${listNames(hosts)}`);
  }
  for (const w of routing) if (w.code !== 'no-upstream') warnings.push(w.message);
  return {
    cluster,
    applied,
    env,
    caddyfile_changed: before.rendered.caddyfile !== after.rendered.caddyfile,
    edge: diffEdgeRecords(before.records, after.records),
    warnings: [...new Set(warnings)],
  };
}
