// The cluster's default proxy template for Caddy 2.6.2 (see ../shared/reference/caddy-2.6-facts.md)
// and the environment each local Caddy replica runs it with.
//
// Two environments, on purpose:
// - The contract env (renderEnv in env.ts → proxy.env, `dokku config:set`) keeps every URL
//   upstream exactly as the product document says: `https://host[:port]` / `http://host:port`.
//   A bring-your-own proxy reads that.
// - Our own Caddy must never get a `reverse_proxy` list that mixes plain and `https://`
//   members (2.6 rejects `http://a https://b` and silently sends TLS to the plain members of
//   `a:80 https://b`). So every URL upstream, and every upstream with a Host header override,
//   is reached through its own loopback "bridge" site `http://:<bridgePort>` that does the TLS
//   and the Host rewrite; renderReplicaEnv replaces those entries with `<bind>:<bridgePort>`,
//   so the hostname blocks only ever see plain `host:port` lists.
//
// Decisions:
// - admin: `admin {$CLUSTER_ADMIN_ADDR}` by default, so each replica gets its own admin
//   listener from its env (the driver reloads through it; a reload is atomic and rolls back on
//   error). opts.adminAddress === null renders `admin off` (config changes then need a
//   restart); a string renders that literal address (only sensible with one replica).
//   Unset CLUSTER_ADMIN_ADDR would fall back to localhost:2019 and replicas would collide:
//   renderReplicaEnv always sets it.
// - `default_bind {$CLUSTER_PROXY_BIND}`: each replica binds its own loopback address; Caddy
//   refuses the file when the variable is unset, so a replica without its env fails loudly.
// - An empty upstream set renders `respond "no upstream routed for <host>" 503` instead of a
//   `reverse_proxy` with an empty list (which 2.6 accepts and then answers every request with
//   an opaque 503 "no upstreams available"). The Caddyfile therefore depends on the routing
//   table; the control plane re-renders it on every change.
// - Bridges exist for every URL / Host-override upstream of the cluster, routed or not, with
//   ports bridgeBasePort + k in upstream id order, so a switch between variants changes only
//   the env, never the bridge ports. `tls_server_name` is never emitted: the bridge dials the
//   URL's own host and SNI follows it.
// - A URL bridge forwards to a single target and has no checks of its own: the hostname
//   block's active checks reach the target through it. An app bridge (Host override) balances
//   over the app's addresses itself, so it carries the same checks and retries as a hostname
//   block.
// - Weights are realised by repetition with `lb_policy random` (2.6 has no weighted policy).
//   Each repeated entry gets its own active probe, so the routing table keeps lists short.

import { envNameForHostname } from '../inputs/env-name.js';
import { isUpstreamEnvName, renderEnv } from './env.js';
import { computeRouting, type RoutingEntry, type RoutingTable } from './routing.js';
import type { RenderCluster, RenderUpstream } from './types.js';

/** Path every site (and the catch-all) answers 200 on when the replica is up. */
export const HEALTHZ_PATH = '/_cluster/healthz';
/** How long a request may be retried on other members after a dial failure. */
export const LB_TRY_DURATION = '5s';
export const LB_TRY_INTERVAL = '250ms';
/** Passive check: a member whose request failed is avoided this long. */
export const FAIL_DURATION = '10s';
/** Env variables a replica's Caddy reads besides the upstream lists. */
export const PROXY_BIND_ENV = 'CLUSTER_PROXY_BIND';
export const ADMIN_ADDR_ENV = 'CLUSTER_ADMIN_ADDR';

export interface CaddyfileOptions {
  listenPort: number;
  /** undefined: `{$CLUSTER_ADMIN_ADDR}` per replica; null: `admin off`; string: that address. */
  adminAddress?: string | null;
  bridgeBasePort: number;
}

/** A loopback site that reaches one URL / Host-override upstream. */
export interface Bridge {
  upstreamId: number;
  port: number;
  kind: 'app' | 'url';
  /** The URL, or the app's addresses space-separated ('' when the app has none). */
  target: string;
  /** The Host override; null = `{upstream_hostport}` for URLs. */
  hostHeader: string | null;
}

export interface RenderedCaddyfile {
  caddyfile: string;
  bridges: Bridge[];
}

/** One local replica: the loopback address it binds and its admin listener. */
export interface ReplicaAddress {
  bind: string;
  adminAddress: string;
}

/** True when an upstream is reached through a bridge rather than listed directly. */
export function needsBridge(u: Pick<RenderUpstream, 'kind' | 'hostHeader'>): boolean {
  return u.kind === 'url' || u.hostHeader !== null;
}

/** The bridges of a cluster: every URL / Host-override upstream, ports by upstream id order. */
export function planBridges(c: RenderCluster, bridgeBasePort: number): Bridge[] {
  const bridged = c.upstreams.filter(needsBridge).sort((a, b) => a.id - b.id);
  return bridged.map((u, k) => {
    const port = bridgeBasePort + k;
    assertPort(port, `bridge port for upstream ${u.id}`);
    const target = u.kind === 'url' ? (u.url ?? '') : [...new Set(u.addresses)].join(' ');
    return { upstreamId: u.id, port, kind: u.kind, target, hostHeader: u.hostHeader };
  });
}

/** Renders the cluster's Caddyfile for Caddy 2.6.2 and the bridges it declares (pure). */
export function renderCaddyfile(c: RenderCluster, opts: CaddyfileOptions): RenderedCaddyfile {
  assertPort(opts.listenPort, 'listen port');
  assertPort(opts.bridgeBasePort, 'bridge base port');
  assertSafe(c.name, 'cluster name');
  assertHealth(c.health);
  const table = computeRouting(c);
  const bridges = planBridges(c, opts.bridgeBasePort);
  if (bridges.some((b) => b.port === opts.listenPort)) {
    throw new Error(`bridge ports ${opts.bridgeBasePort}.. overlap the listen port ${opts.listenPort}`);
  }
  const upstreamById = new Map(c.upstreams.map((u) => [u.id, u]));
  // Routed entries reach Caddy through the env; check them here too so a bad token fails the render.
  for (const e of table.hosts.flatMap((h) => h.entries)) {
    if (e.kind === 'url') safeUrl(e.value);
    else safeAddress(e.value);
  }

  const out: string[] = [];
  out.push(`# Proxy for cluster ${c.name}, generated by ownstack: do not edit (re-rendered on every change).`);
  out.push(`# Needs ${PROXY_BIND_ENV}, ${ADMIN_ADDR_ENV} and the CLUSTER_UPSTREAMS_<HOST> variables of a replica env.`);
  out.push('{');
  out.push('\tauto_https off');
  if (opts.adminAddress === null) out.push('\tadmin off');
  else if (opts.adminAddress === undefined) out.push(`\tadmin {$${ADMIN_ADDR_ENV}}`);
  else out.push(`\tadmin ${safe(opts.adminAddress, 'admin address')}`);
  out.push(`\tdefault_bind {$${PROXY_BIND_ENV}}`);
  out.push('}');

  const envOwner = new Map<string, string>();
  for (const host of table.hosts) {
    const hostname = safe(host.hostname, 'hostname');
    const envName = envNameForHostname(hostname);
    const clash = envOwner.get(envName);
    if (clash !== undefined) throw new Error(`hostnames ${clash} and ${hostname} both map to ${envName}`);
    envOwner.set(envName, hostname);
    out.push('');
    out.push(`http://${hostname}:${opts.listenPort} {`);
    out.push(...indent(healthzHandle()));
    out.push('\thandle {');
    if (host.total === 0) {
      out.push(`\t\trespond "no upstream routed for ${hostname}" 503`);
    } else {
      out.push(...indent(reverseProxy(`{$${envName}}`, [], c.health, hostname), 2));
    }
    out.push('\t}');
    out.push('}');
  }

  for (const bridge of bridges) {
    const u = upstreamById.get(bridge.upstreamId)!;
    out.push('');
    out.push(`# bridge for upstream ${u.id} (${u.kind === 'url' ? 'url' : `app ${safe(u.app ?? '?', 'app name')}`})`);
    out.push(`http://:${bridge.port} {`);
    out.push(`\tbind {$${PROXY_BIND_ENV}}`);
    if (u.kind === 'url') {
      const url = safeUrl(bridge.target);
      const host = bridge.hostHeader === null ? '{upstream_hostport}' : safe(bridge.hostHeader, 'host header');
      out.push(`\treverse_proxy ${url} {`);
      out.push(`\t\theader_up Host ${host}`);
      out.push('\t}');
    } else if (bridge.target === '') {
      out.push(`\trespond "no addresses for upstream ${u.id}" 503`);
    } else {
      const hostHeader = safe(bridge.hostHeader!, 'host header');
      const targets = bridge.target.split(' ').map((a) => safeAddress(a));
      out.push(...indent(reverseProxy(targets.join(' '), [`header_up Host ${hostHeader}`], c.health, hostHeader)));
    }
    out.push('}');
  }

  out.push('');
  out.push(`# any other Host (or a probe by IP): healthz answers, everything else is misdirected`);
  out.push(`http://:${opts.listenPort} {`);
  out.push(...indent(healthzHandle()));
  out.push('\thandle {');
  out.push(`\t\trespond "this proxy does not front that hostname" 421`);
  out.push('\t}');
  out.push('}');
  return { caddyfile: `${out.join('\n')}\n`, bridges };
}

/**
 * The environment one local Caddy replica runs with: the contract env, with every bridged
 * entry (URL or Host-override upstream) replaced by `<bind>:<bridgePort>`, plus
 * CLUSTER_PROXY_BIND and CLUSTER_ADMIN_ADDR. Throws if contractEnv is not the table's env.
 */
export function renderReplicaEnv(
  contractEnv: Record<string, string>,
  table: RoutingTable,
  bridges: Bridge[],
  replica: ReplicaAddress,
): Record<string, string> {
  const bind = safe(replica.bind, 'replica bind address');
  const admin = safe(replica.adminAddress, 'replica admin address');
  const expected = renderEnv(table);
  const keys = new Set([...Object.keys(expected), ...Object.keys(contractEnv).filter(isUpstreamEnvName)]);
  for (const key of keys) {
    if (contractEnv[key] !== expected[key]) {
      throw new Error(`contract env ${key} does not match the routing table (stale env or table)`);
    }
  }
  const portByUpstream = new Map(bridges.map((b) => [b.upstreamId, b.port]));
  const hostPart = bind.includes(':') ? `[${bind}]` : bind;
  const entryValue = (e: RoutingEntry): string => {
    if (!needsBridge(e)) return e.value;
    const port = portByUpstream.get(e.upstreamId);
    if (port === undefined) throw new Error(`upstream ${e.upstreamId} needs a bridge but none was rendered`);
    return `${hostPart}:${port}`;
  };
  return {
    ...contractEnv,
    ...renderEnv(table, { entryValue }),
    [PROXY_BIND_ENV]: bind,
    [ADMIN_ADDR_ENV]: admin,
  };
}

function healthzHandle(): string[] {
  return [`handle ${HEALTHZ_PATH} {`, '\trespond "ok" 200', '}'];
}

function reverseProxy(
  upstreams: string,
  extra: string[],
  health: RenderCluster['health'],
  probeHost: string,
): string[] {
  return [
    `reverse_proxy ${upstreams} {`,
    ...extra.map((l) => `\t${l}`),
    '\tlb_policy random',
    `\tlb_try_duration ${LB_TRY_DURATION}`,
    `\tlb_try_interval ${LB_TRY_INTERVAL}`,
    `\thealth_uri ${health.path}`,
    `\thealth_interval ${health.interval}`,
    `\thealth_timeout ${health.timeout}`,
    '\thealth_headers {',
    `\t\tHost ${probeHost}`,
    '\t}',
    `\tfail_duration ${FAIL_DURATION}`,
    '}',
  ];
}

function indent(lines: string[], depth = 1): string[] {
  const pad = '\t'.repeat(depth);
  return lines.map((l) => (l === '' ? l : pad + l));
}

// Values are validated before they get here; these guards keep a bug from injecting Caddyfile syntax.
const UNSAFE = /[\s{}"'`,\\#]/;

function assertSafe(value: string, what: string): void {
  if (value === '' || UNSAFE.test(value)) {
    throw new Error(`${what} ${JSON.stringify(value)} contains whitespace, braces, quotes, commas or newlines`);
  }
}

function safe(value: string, what: string): string {
  assertSafe(value, what);
  return value;
}

function safeUrl(url: string): string {
  assertSafe(url, 'upstream URL');
  if (!/^https?:\/\/[^/?#]+$/.test(url)) throw new Error(`upstream URL ${JSON.stringify(url)} must be scheme://host[:port]`);
  return url;
}

function safeAddress(address: string): string {
  assertSafe(address, 'upstream address');
  if (address.includes('://')) throw new Error(`app address ${JSON.stringify(address)} must be host:port`);
  return address;
}

const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d))+$/;

function assertHealth(h: RenderCluster['health']): void {
  assertSafe(h.path, 'health path');
  if (!h.path.startsWith('/')) throw new Error(`health path ${JSON.stringify(h.path)} must start with /`);
  if (!DURATION.test(h.interval)) throw new Error(`health interval ${JSON.stringify(h.interval)} is not a duration`);
  if (!DURATION.test(h.timeout)) throw new Error(`health timeout ${JSON.stringify(h.timeout)} is not a duration`);
}

function assertPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${what} ${port} is not a TCP port`);
}
