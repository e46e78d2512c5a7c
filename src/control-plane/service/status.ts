// `cluster status`: the topology from the database and the routing table, plus what the proxy
// runtime and the edge report now.
import type { ClusterStatus, ProxyConfig } from '../../api/schemas.js';
import { AGENT_SCHEMA, type AgentConfig } from '../../api/agent.js';
import type { DeployLog } from './deploys.js';
import { blankProxyStatus, edgeHostnames, nothingPublishable, refusedLine, wildcardWarning, type Reconciler } from '../runtime/reconcile.js';
import { renderRow } from '../runtime/render.js';
import { edgeConfigOf, parseList, type ClusterRow, type Store } from '../store/store.js';
import { urlHostPort } from '../../inputs/upstream-url.js';

/** Builds the status of one cluster (reads the database synchronously, then asks the runtime and the edge). */
export async function clusterStatus(store: Store, reconciler: Reconciler, deploys: DeployLog, c: ClusterRow): Promise<ClusterStatus> {
  // One consistent read of everything the database knows.
  const snap = store.db.transaction(() => {
    const row = store.clusterById(c.id)!;
    return {
      row,
      cluster: store.toCluster(row),
      // The render the last change remembered, when it is still this state's (a 1,000-hostname render costs ~50 ms).
      rendered: rememberedOrRender(store, reconciler, row),
      domains: store.domains(row.id),
      variants: store.variants(row.id),
      upstreams: store.upstreams(row.id),
      deploy: deploys.current(row.id),
    };
  })();
  const { row, rendered, domains, variants, upstreams } = snap;
  const rc = reconciler.runtimeCluster(row);
  const proxies = await reconciler.runtime
    .status(rc)
    .catch((err: Error) => Array.from({ length: row.proxy_count }, (_, i) => ({ ...blankProxyStatus(i, `127.0.0.${2 + i}`, row.port), state: 'failed' as const, last_error: err.message })));
  const edge = await reconciler.edgeRecords(row);

  const hostnames = rendered.table.hosts.map((h) => {
    const envName = domains.find((d) => d.hostname === h.hostname)?.env_name ?? '';
    const shareOf = new Map(h.routedUpstreams.map((u) => [u.id, u.share]));
    return {
      hostname: h.hostname,
      env_name: envName,
      env_value: rendered.env[envName] ?? '',
      draining_fallback: h.drainingFallback,
      variants: variants.map((v) => ({
        name: v.name,
        weight: v.weight,
        status: v.status,
        routed: v.weight > 0 && v.status === 'active',
        upstreams: upstreams
          .filter((u) => u.variant_id === v.id && (u.hostname === null || u.hostname === h.hostname))
          .map((u) => {
            const addresses = u.kind === 'app' ? parseList(u.app_addresses) : [u.url!];
            return {
              id: u.id,
              kind: u.kind,
              target: u.kind === 'url' ? u.url! : u.app_name!,
              host_header: u.host_header,
              host_sent: u.host_header ?? (u.kind === 'url' ? urlHostPort(u.url!) : h.hostname),
              weight: u.weight,
              status: u.status,
              share: shareOf.get(u.id) ?? 0,
              // Member health from the runtime's probes (same path, Host and timeout as the proxies' checks).
              addresses: addresses.map((address) => ({ address, health: reconciler.runtime.upstreamHealth?.(rc, address, h.hostname) ?? ('unknown' as const) })),
              health: 'unknown' as 'healthy' | 'unhealthy' | 'unknown',
            };
          })
          // An upstream is healthy while any of its addresses is (the proxies route around the others).
          .map((u) => ({ ...u, health: overallHealth(u.addresses.map((a) => a.health)) })),
      })),
    };
  });

  const warnings = rendered.table.warnings.map((w) => w.message);
  // What the proxies serve through a health fallback now (e.g. a draining member while every active one is down).
  for (const line of new Set(proxies.flatMap((p) => p.fallbacks.map((f) => `${f.hostname}: ${f.detail}`)))) warnings.push(line);
  if (row.edge_error) warnings.push(`the ${row.edge} edge was not updated: ${row.edge_error}`);
  // Wildcard hostnames are left to the operator (see edgeHostnames in reconcile.ts).
  const skipped = edgeHostnames(row.edge, domains.map((d) => d.hostname)).skipped;
  if (skipped.length > 0) warnings.push(wildcardWarning(row, skipped));
  // Each proxy's place in the edge: published, out (unhealthy or lost), or refused (and why).
  if (row.edge !== 'none') {
    const { refused } = reconciler.admission(row, proxies);
    const refusedByName = new Map(refused.map((r) => [r.name, r]));
    let published: Set<string> | null = null;
    let kept: { address: string; port: number; instanceId?: string }[] = [];
    try {
      kept = row.edge_published ? (JSON.parse(row.edge_published) as { proxies: typeof kept }).proxies : [];
      published = row.edge_published ? new Set(kept.map((p) => `${p.address}:${p.port}`)) : null;
    } catch {
      /* an unreadable record of the last publish: nothing to say about published proxies */
    }
    for (const p of proxies) {
      const r = refusedByName.get(p.name);
      if (r) {
        p.edge = 'refused';
        p.edge_reason = r.reason;
        warnings.push(refusedLine(row, r));
      } else if (published !== null && !published.has(`${p.address}:${p.port}`)) {
        p.edge = 'out';
        p.edge_reason = `${p.state === 'lost' ? 'its agent stopped reporting' : `healthz ${p.healthz}`}; the proxy → edge loop puts it back when it is healthy`;
        warnings.push(`proxy ${p.address}:${p.port} is out of the ${row.edge} edge (${p.state}, healthz ${p.healthz}); the proxy → edge loop puts it back when it is healthy`);
      } else if (published !== null) p.edge = 'published';
      else {
        p.edge = 'out';
        p.edge_reason = row.edge_error ? 'the edge has not been published yet (see the edge error)' : 'the edge has not been published yet';
      }
    }
    if (refused.length > 0 && refused.length === proxies.length) warnings.push(nothingPublishable(row, kept));
    // Every published proxy is down, yet the edge keeps them: an empty set is never published.
    const held = proxies.filter((p) => p.edge === 'published');
    if (held.length > 0 && held.every((p) => p.healthz === 'failing')) {
      warnings.push(`no proxy is healthy: the ${row.edge} edge keeps the last published ${held.map((p) => `${p.address}:${p.port}`).join(', ')} instead of publishing none`);
    }
  }
  return {
    cluster: snap.cluster,
    generation: row.generation,
    proxies,
    proxy_note: reconciler.runtime.note?.(rc) ?? null,
    hostnames,
    edge: {
      mode: row.edge,
      records: edge.records,
      reconciled_at: row.edge_reconciled_at,
      error: edge.error ?? row.edge_error,
      note: edgeNote(row, reconciler),
      targets: edge.health ? edge.health.map((h) => ({ target: h.target, state: h.state, reason: h.reason ?? null })) : null,
    },
    deploy: snap.deploy ? { id: snap.deploy.id, state: snap.deploy.state } : null,
    warnings,
  };
}

/** Healthy while any address is, unhealthy when none is and some failed, else unknown. */
function overallHealth(list: ('healthy' | 'unhealthy' | 'unknown')[]): 'healthy' | 'unhealthy' | 'unknown' {
  if (list.includes('healthy')) return 'healthy';
  return list.includes('unhealthy') ? 'unhealthy' : 'unknown';
}

function edgeNote(c: ClusterRow, reconciler: Reconciler): string | null {
  switch (c.edge) {
    case 'none':
      return 'edge none: you manage DNS yourself; point each hostname at the proxies';
    case 'dns_rr': {
      // The rfc2136 provider writes to a DNS server, not to the zone file.
      const ec = edgeConfigOf(c);
      if (ec.dns_provider === 'rfc2136') return `multi-A records for every hostname and proxy address, sent as TSIG-signed RFC 2136 updates of zone ${ec.dns_zone} on ${ec.dns_server}`;
      return `multi-A records for every hostname and proxy address; the zone file provider writes them to ${reconciler.files(c.name).zone} (a fragment to $INCLUDE in your zone)`;
    }
    case 'cloudflare':
      return 'proxied A records via the Cloudflare API; Cloudflare health-checks the proxies and fails over';
    case 'aws_alb':
      return 'the proxies are registered as targets of the ALB target group';
  }
}

/** The proxy config as rendered from the database (the same bytes the reconcile writes to disk). */
export function proxyConfig(store: Store, reconciler: Reconciler, c: ClusterRow): ProxyConfig {
  const { row, rendered } = store.db.transaction(() => {
    const r = store.clusterById(c.id)!;
    return { row: r, rendered: renderRow(store, r) };
  })();
  const files = reconciler.files(row.name);
  return { cluster: row.name, generation: row.generation, caddyfile: rendered.caddyfile, env: rendered.env, files: { caddyfile: files.caddyfile, env: files.env } };
}

/** What a cluster's proxy agents run (the generation and the rows it was made from, read together). */
export function agentConfigOf(store: Store, reconciler: Reconciler, c: ClusterRow): AgentConfig {
  return store.db.transaction(() => {
    const row = store.clusterById(c.id)!;
    const proxy = reconciler.runtimeCluster(row).proxy;
    const command = proxy?.exists ? proxy.command : null;
    return { schema: AGENT_SCHEMA, cluster: row.name, cluster_id: row.id, generation: row.generation, mode: command ? 'command' : 'caddy', command, input: store.renderCluster(row) } as AgentConfig;
  })();
}

function rememberedOrRender(store: Store, reconciler: Reconciler, row: ClusterRow) {
  const known = reconciler.recall(row.id);
  return known !== undefined && known.hash === row.rendered_hash ? known : renderRow(store, row);
}
