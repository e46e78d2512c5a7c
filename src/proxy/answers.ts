// What a proxy agent's DNS responder answers: for each hostname, the weighted list of the health-
// aware routing table (routing.ts with RoutingOptions.health) as SRV targets, and for each
// Host-override app bridge the upstream's healthy addresses. Rebuilt whenever the config or a
// probe verdict changes; a lookup is then a map read.
import { BRIDGE_SUFFIX, ROUTE_SUFFIX, type SrvLookup, type SrvTarget } from './dns-responder.js';
import { computeRouting, type HealthFallback, type HealthOf, type HostRouting } from './routing.js';
import type { RenderCluster, RenderUpstream } from './types.js';

/** Where the agent's internal sites listen (see dynamic-caddyfile.ts). */
export interface LocalSites {
  bind: string;
  misdirectedPort: number;
  unroutedPort: number;
  /** Bridge port of each URL / Host-override upstream. */
  bridgePorts: Map<number, number>;
}

/** True when an upstream is reached through a bridge site rather than dialled directly. */
export function bridged(u: Pick<RenderUpstream, 'kind' | 'hostHeader'>): boolean {
  return u.kind === 'url' || u.hostHeader !== null;
}

/** `host:port` (IPv6 in brackets) → target. */
export function splitHostPort(value: string): SrvTarget {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(value) ?? /^([^:]+):(\d+)$/.exec(value);
  if (!m) throw new Error(`upstream address ${JSON.stringify(value)} is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

export interface AnswerTable {
  lookup: SrvLookup;
  /** The health-aware routing of each hostname (for reports: what serves through draining members). */
  hosts: HostRouting[];
}

/** Builds the responder's answers for one config and the current verdicts. */
export function buildAnswers(input: RenderCluster, sites: LocalSites, health: HealthOf): AnswerTable {
  const table = computeRouting(input, { health });
  const upstreamById = new Map(input.upstreams.map((u) => [u.id, u]));
  const local = (port: number): SrvTarget => ({ host: sites.bind, port });
  const misdirected = [local(sites.misdirectedPort)];
  const unrouted = [local(sites.unroutedPort)];
  const byName = new Map<string, SrvTarget[]>();
  for (const h of table.hosts) {
    const targets: SrvTarget[] = [];
    for (const e of h.entries) {
      const u = upstreamById.get(e.upstreamId)!;
      let t: SrvTarget;
      if (bridged(u)) {
        const port = sites.bridgePorts.get(u.id);
        if (port === undefined) throw new Error(`upstream ${u.id} needs a bridge and has no port`);
        t = local(port);
      } else t = splitHostPort(e.value);
      for (let i = 0; i < e.count; i++) targets.push(t);
    }
    byName.set(`${h.hostname}.${ROUTE_SUFFIX}`, targets.length > 0 ? targets : unrouted);
  }
  // Host-override app bridges balance over the upstream's addresses themselves.
  for (const u of input.upstreams) {
    if (u.kind !== 'app' || u.hostHeader === null) continue;
    const addresses = [...new Set(u.addresses)];
    // Their probes use the override Host, the same for every hostname: any hostname's verdict will do.
    const hostname = u.hostname ?? input.domains[0]?.hostname ?? '';
    const ok = addresses.filter((a) => health(u, a, hostname) !== 'unhealthy');
    byName.set(`u${u.id}.${BRIDGE_SUFFIX}`, (ok.length > 0 ? ok : addresses).map(splitHostPort));
  }
  const wildcards = input.domains.some((d) => d.hostname.startsWith('*.'));
  const lookup: SrvLookup = (name) => {
    const n = name.toLowerCase().replace(/\.$/, '');
    const exact = byName.get(n);
    if (exact) return exact;
    if (!n.endsWith(`.${ROUTE_SUFFIX}`)) return null;
    if (wildcards) {
      // `*.example.com` fronts one label under example.com, as Caddy's host matcher does.
      const host = n.slice(0, -(ROUTE_SUFFIX.length + 1));
      const dot = host.indexOf('.');
      const wild = dot > 0 ? byName.get(`*${host.slice(dot)}.${ROUTE_SUFFIX}`) : undefined;
      if (wild) return wild;
    }
    return misdirected;
  };
  return { lookup, hosts: table.hosts };
}

/** One line per hostname whose traffic the health fallback moved, for logs and reports. */
export function describeFallbacks(hosts: HostRouting[], input: RenderCluster): Map<string, { fallback: HealthFallback; detail: string }> {
  const names = new Map(input.upstreams.map((u) => [u.id, u.kind === 'app' ? (u.app ?? `upstream ${u.id}`) : (u.url ?? `upstream ${u.id}`)]));
  const out = new Map<string, { fallback: HealthFallback; detail: string }>();
  for (const h of hosts) {
    if (h.healthFallback === 'draining') {
      out.set(h.hostname, { fallback: 'draining', detail: `serving through draining member ${h.servingDraining.map((id) => names.get(id)).join(', ')}: every active member is down` });
    } else if (h.healthFallback === 'unhealthy') {
      out.set(h.hostname, { fallback: 'unhealthy', detail: 'every routable member fails its health check: requests go to all of them' });
    }
  }
  return out;
}
