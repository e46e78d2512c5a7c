// What the control plane derives from a cluster's rows: the routing table, the proxy env and
// Caddyfile (via src/proxy, never re-implemented here) and the edge records it wants published.
import { createHash } from 'node:crypto';
import type { EdgeRecordView } from '../../api/schemas.js';
import { renderCaddyfile } from '../../proxy/caddyfile.js';
import { renderEnv, renderEnvFile } from '../../proxy/env.js';
import { computeRouting, type RoutingTable } from '../../proxy/routing.js';
import type { RenderCluster } from '../../proxy/types.js';
import type { ClusterRow, EdgeMode, Store } from '../store/store.js';

/** A cluster's rendered proxy configuration. */
export interface Rendered {
  input: RenderCluster;
  table: RoutingTable;
  env: Record<string, string>;
  envFile: string;
  caddyfile: string;
  /**
   * sha256 of everything the proxies get (the routing input, the proxy app's command, the contract
   * files): a change is a new generation, which every agent applies.
   */
  hash: string;
}

/** A proxy replica as the edge sees it. */
export interface ProxyAddress {
  index: number;
  address: string;
  port: number;
}

// Local listen ports: cluster k (k = 0, 1, …) listens on 18080 + k and its bridges (one loopback
// site per URL or Host-override upstream, see src/proxy/caddyfile.ts planBridges) use the block
// 20000 + 1000·k, so 45 clusters of up to 1,000 bridged upstreams each fit below 65536. Replicas
// of every cluster bind the same loopback addresses, so the blocks must not overlap.
export const FIRST_LISTEN_PORT = 18080;
export const FIRST_BRIDGE_PORT = 20000;
export const BRIDGE_BLOCK = 1000;
export const MAX_LOCAL_CLUSTERS = Math.floor((65536 - FIRST_BRIDGE_PORT) / BRIDGE_BLOCK);

/** Renders a cluster's env and Caddyfile from a RenderCluster (pure); `proxyCommand`: a proxy app's command. */
export function renderFrom(input: RenderCluster, ports: { port: number; bridgeBasePort: number }, proxyCommand: string | null = null): Rendered {
  const table = computeRouting(input);
  const env = renderEnv(table);
  const envFile = renderEnvFile(env, { cluster: input.name });
  const { caddyfile } = renderCaddyfile(input, { listenPort: ports.port, bridgeBasePort: ports.bridgeBasePort });
  // The input is part of the hash: a standby upstream changes no file but is probed by the agents,
  // and a remembered render is reused only for exactly the rows it was made from.
  const hash = createHash('sha256')
    .update(caddyfile)
    .update('\0')
    .update(envFile)
    .update('\0')
    .update(JSON.stringify(input))
    .update('\0')
    .update(proxyCommand ?? '')
    .digest('hex');
  return { input, table, env, envFile, caddyfile, hash };
}

/** Renders a cluster as the database holds it now. */
export function renderRow(store: Store, c: ClusterRow): Rendered {
  const command = c.proxy_app === null ? null : (store.appByName(c.proxy_app)?.deploy_cmd ?? null);
  return renderFrom(store.renderCluster(c), { port: c.port, bridgeBasePort: c.bridge_base_port }, command);
}

/**
 * The loopback addresses of a cluster's proxy replicas: 127.0.0.2 … 127.0.0.(1+proxy_count) on the
 * cluster's port. The proxy runtime binds exactly these (one loopback address per replica).
 */
export function proxyAddresses(c: Pick<ClusterRow, 'proxy_count' | 'port'>): ProxyAddress[] {
  return Array.from({ length: c.proxy_count }, (_, i) => ({ index: i, address: `127.0.0.${2 + i}`, port: c.port }));
}

/** The records the edge should hold for these hostnames and proxies (what each driver's publish converges to). */
export function desiredEdgeRecords(mode: EdgeMode, hostnames: string[], proxies: { address: string; port: number }[]): EdgeRecordView[] {
  switch (mode) {
    case 'none':
      return [];
    case 'aws_alb':
      return proxies.map((p) => ({ hostname: '*', type: 'target' as const, value: `${p.address}:${p.port}` }));
    case 'dns_rr':
    case 'cloudflare':
      return hostnames.flatMap((h) => proxies.map((p) => ({ hostname: h, type: p.address.includes(':') ? ('AAAA' as const) : ('A' as const), value: p.address })));
  }
}

const recordKey = (r: EdgeRecordView): string => `${r.hostname}\u0000${r.type}\u0000${r.value}`;

/** Records in `after` but not `before` (added) and the reverse (removed). */
export function diffEdgeRecords(before: EdgeRecordView[], after: EdgeRecordView[]): { added: EdgeRecordView[]; removed: EdgeRecordView[] } {
  const b = new Set(before.map(recordKey));
  const a = new Set(after.map(recordKey));
  return { added: after.filter((r) => !b.has(recordKey(r))), removed: before.filter((r) => !a.has(recordKey(r))) };
}
