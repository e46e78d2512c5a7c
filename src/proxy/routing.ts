// The routing table: which upstream addresses receive a hostname's traffic, and in which
// proportion. This is the one implementation of "Routing semantics" in docs/architecture.md;
// the env renderer, the Caddyfile renderer and the topology view all read its result.
//
// Caddy 2.6 has no weighted policy, so a weight is realised by repeating an entry in the
// upstream list (with `lb_policy random`). Every repetition is a separate upstream to Caddy
// and gets its own active health probe each interval, so lists are kept short: shares are
// reduced by their gcd and the list is capped at MAX_ENTRIES.
//
// Precision: exact when the reduced list fits in 100 entries; otherwise every entry is within
// 1 % of its exact share whenever a 100-entry list with every address at least once allows it.
// When it cannot (many tiny shares next to a large one, e.g. 1:999 with three addresses on the
// small side), the minimum of one entry wins, the error is minimised, and a `precision`
// warning says so. With more than 100 addresses every address appears once.

import type { MemberStatus, RenderCluster, RenderUpstream, RenderVariant } from './types.js';

/** Longest weighted list we emit per hostname (unless there are more addresses than that). */
export const MAX_ENTRIES = 100;
/** Promised precision of a rounded list: each entry's realised share is within 1 % of its exact share. */
export const PRECISION = 0.01;

/** A variant with its display state: routed = weight > 0 and active. */
export interface RoutingVariant {
  id: number;
  name: string;
  weight: number;
  status: MemberStatus;
  routed: boolean;
}

/** One distinct (upstream, address) slot of a hostname's list and how often it is repeated. */
export interface RoutingEntry {
  /** The env token: `host:port` for app addresses, the URL for URL upstreams. */
  value: string;
  upstreamId: number;
  variantId: number;
  kind: 'app' | 'url';
  hostHeader: string | null;
  /** Repetitions in the list. */
  count: number;
  /** Exact share of the hostname's traffic the semantics ask for (0..1). */
  share: number;
  /** Realised share: count / total (what `lb_policy random` delivers while all are healthy). */
  fraction: number;
}

/** An upstream that receives traffic for a hostname. */
export interface RoutedUpstream {
  id: number;
  variantId: number;
  kind: 'app' | 'url';
  status: MemberStatus;
  weight: number;
  /** Exact share of the hostname's traffic (sum over its addresses). */
  share: number;
}

/** A variant that receives traffic for a hostname. */
export interface RoutedVariant {
  id: number;
  name: string;
  weight: number;
  share: number;
}

export interface HostRouting {
  hostname: string;
  routedVariants: RoutedVariant[];
  routedUpstreams: RoutedUpstream[];
  /** Distinct slots in stable order (variant id, upstream id, address order). */
  entries: RoutingEntry[];
  /** The weighted list: each entry's value repeated `count` times, in entry order. */
  list: string[];
  /** list.length */
  total: number;
  /** true when the list realises the shares exactly (no rounding was needed). */
  exact: boolean;
  /** true when no active member is routable and draining members keep the traffic. */
  drainingFallback: boolean;
  /**
   * With health (RoutingOptions.health): `draining` when every active member is down and healthy
   * draining members serve instead; `unhealthy` when nothing routable is healthy, so the list is
   * what it would be without health (the proxies retry across it); null otherwise.
   */
  healthFallback: HealthFallback;
  /** With healthFallback `draining`: the upstreams (ids) serving in place of the active ones. */
  servingDraining: number[];
}

export type HealthFallback = 'draining' | 'unhealthy' | null;

/** What one address of an upstream answers as `hostname` reaches it (unknown counts as healthy). */
export type HealthOf = (upstream: RenderUpstream, address: string, hostname: string) => 'healthy' | 'unhealthy' | 'unknown';

export interface RoutingOptions {
  /**
   * Member health: unhealthy addresses leave the lists. Per hostname: healthy active members; if
   * every active one is down, healthy draining ones ("the proxy never serves zero healthy members
   * so long as at least one is routable"); if nothing is healthy, everything routable as without
   * health. Without it the table is the static one the proxy contract env is rendered from.
   */
  health?: HealthOf;
}

export type RoutingWarningCode = 'app-without-addresses' | 'no-upstream' | 'precision';

export interface RoutingWarning {
  code: RoutingWarningCode;
  message: string;
  hostname?: string;
  upstreamId?: number;
}

export interface RoutingTable {
  cluster: string;
  variants: RoutingVariant[];
  /** One per domain, in domain order. */
  hosts: HostRouting[];
  warnings: RoutingWarning[];
}

/** Computes the routing table of a cluster (pure). Throws on inconsistent input. */
export function computeRouting(c: RenderCluster, opts: RoutingOptions = {}): RoutingTable {
  const variants = [...c.variants].sort((a, b) => a.id - b.id);
  const variantById = new Map<number, RenderVariant>();
  for (const v of variants) {
    assertWeight(v.weight, `variant ${v.id} weight`);
    if (variantById.has(v.id)) throw new Error(`duplicate variant id ${v.id}`);
    variantById.set(v.id, v);
  }
  // Stable order: variant id, then upstream id (then each app's address order).
  const given = [...c.upstreams].sort(stableOrder);
  const upstreams: RenderUpstream[] = [];
  const warnings: RoutingWarning[] = [];
  const seenUpstreams = new Set<number>();
  const tokens = new Map<RenderUpstream, string[]>();
  for (const u of given) {
    if (seenUpstreams.has(u.id)) throw new Error(`duplicate upstream id ${u.id}`);
    seenUpstreams.add(u.id);
    if (!variantById.has(u.variantId)) throw new Error(`upstream ${u.id} refers to unknown variant ${u.variantId}`);
    assertWeight(u.weight, `upstream ${u.id} weight`);
    if (u.kind === 'url' && (u.url === null || u.url === '')) throw new Error(`URL upstream ${u.id} has no url`);
    const all = tokensOf(u);
    const drained = new Set(u.drainedAddresses ?? []);
    const held = all.filter((t) => drained.has(t));
    tokens.set(u, held.length === 0 ? all : all.filter((t) => !drained.has(t)));
    upstreams.push(u);
    if (held.length > 0) {
      // Its drained addresses form a draining half of the same upstream (same id): they serve only
      // when no active member is left, as a drained member would.
      const half: RenderUpstream = { ...u, status: 'draining' };
      tokens.set(half, held);
      upstreams.push(half);
    }
    if (u.kind === 'app' && all.length === 0) {
      warnings.push({
        code: 'app-without-addresses',
        upstreamId: u.id,
        message: `upstream ${u.id} (app ${u.app ?? '?'}) has no addresses and receives no traffic`,
      });
    }
  }

  const isRouted = (v: RenderVariant): boolean => v.weight > 0 && v.status === 'active';
  // Candidates (semantics step 1) indexed once: upstreams of routed variants with something to
  // dial, split into every-hostname ones and per-hostname lists, each in the stable order. A
  // hostname then visits only its own upstreams and the every-hostname ones, so the table costs
  // time in proportion to its size rather than hostnames × upstreams.
  const everyHost: RenderUpstream[] = [];
  const byHost = new Map<string, RenderUpstream[]>();
  for (const u of upstreams) {
    if (!isRouted(variantById.get(u.variantId)!) || tokens.get(u)!.length === 0) continue;
    if (u.hostname === null) everyHost.push(u);
    else {
      const list = byHost.get(u.hostname);
      if (list) list.push(u);
      else byHost.set(u.hostname, [u]);
    }
  }
  const seenHosts = new Set<string>();
  const hosts: HostRouting[] = [];
  for (const { hostname } of c.domains) {
    if (seenHosts.has(hostname)) throw new Error(`duplicate domain ${hostname}`);
    seenHosts.add(hostname);
    const candidates = mergeInOrder(everyHost, byHost.get(hostname) ?? []);
    const host = routeHost(hostname, candidates, variantById, tokens, opts.health);
    if (host.total === 0) {
      warnings.push({ code: 'no-upstream', hostname, message: `no upstream is routed for ${hostname}` });
    } else if (!host.exact) {
      const worst = maxDeviation(host.entries);
      if (worst > PRECISION + 1e-12) {
        warnings.push({
          code: 'precision',
          hostname,
          message:
            `${hostname}: ${host.entries.length} addresses cannot all appear in ${host.total} entries within ` +
            `${PRECISION * 100} %; worst share is off by ${(worst * 100).toFixed(2)} %`,
        });
      }
    }
    hosts.push(host);
  }

  return {
    cluster: c.name,
    variants: variants.map((v) => ({ id: v.id, name: v.name, weight: v.weight, status: v.status, routed: isRouted(v) })),
    hosts,
    warnings,
  };
}

interface Slot {
  upstream: RenderUpstream;
  variant: RenderVariant;
  value: string;
  /** Exact share as a fraction num/den. */
  num: bigint;
  den: bigint;
  share: number;
}

/** The stable upstream order: variant id, then upstream id. */
function stableOrder(a: RenderUpstream, b: RenderUpstream): number {
  return a.variantId - b.variantId || a.id - b.id;
}

/** Merges two lists sorted by stableOrder into one in that order. */
function mergeInOrder(a: RenderUpstream[], b: RenderUpstream[]): RenderUpstream[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: RenderUpstream[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(stableOrder(a[i]!, b[j]!) < 0 ? a[i++]! : b[j++]!);
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

/**
 * One hostname's routing. `candidates` (semantics step 1): the upstreams of routed variants that
 * serve this hostname and have something to dial, in the stable order; `tokens` what each dials.
 */
function routeHost(
  hostname: string,
  candidates: RenderUpstream[],
  variantById: Map<number, RenderVariant>,
  allTokens: Map<RenderUpstream, string[]>,
  health: HealthOf | undefined,
): HostRouting {
  // 2. active members win; if only draining ones are left they keep the traffic.
  const active = candidates.filter((u) => u.status === 'active');
  const drainingFallback = active.length === 0 && candidates.length > 0;
  let selected = drainingFallback ? candidates : active;
  let tokens = allTokens;
  let healthFallback: HealthFallback = null;
  let servingDraining: number[] = [];
  if (health) {
    // 2b. with health: only healthy addresses; healthy draining members if no active one is.
    const alive = new Map<RenderUpstream, string[]>();
    for (const u of candidates) {
      const ok = allTokens.get(u)!.filter((a) => health(u, a, hostname) !== 'unhealthy');
      if (ok.length > 0) alive.set(u, ok);
    }
    const healthyActive = active.filter((u) => alive.has(u));
    const healthyDraining = candidates.filter((u) => u.status === 'draining' && alive.has(u));
    if (healthyActive.length > 0) {
      selected = healthyActive;
      tokens = alive;
    } else if (healthyDraining.length > 0) {
      selected = healthyDraining;
      tokens = alive;
      if (active.length > 0) {
        healthFallback = 'draining';
        servingDraining = healthyDraining.map((u) => u.id);
      }
    } else if (selected.length > 0) {
      healthFallback = 'unhealthy';
    }
  }

  // 3. shares: variant weight share x upstream weight share within the variant x equal address split.
  const byVariant = new Map<number, RenderUpstream[]>();
  for (const u of selected) {
    const list = byVariant.get(u.variantId) ?? [];
    list.push(u);
    byVariant.set(u.variantId, list);
  }
  const variantIds = [...byVariant.keys()].sort((a, b) => a - b);
  const variantWeightSum = variantIds.reduce((s, id) => s + variantById.get(id)!.weight, 0);

  const slots: Slot[] = [];
  const routedUpstreams: RoutedUpstream[] = [];
  const routedVariants: RoutedVariant[] = [];
  for (const vid of variantIds) {
    const variant = variantById.get(vid)!;
    const members = byVariant.get(vid)!;
    const weightSum = members.reduce((s, u) => s + u.weight, 0);
    // All-zero weights within the variant: treat them equally rather than drop the variant.
    const effective = (u: RenderUpstream): number => (weightSum === 0 ? 1 : u.weight);
    const effectiveSum = weightSum === 0 ? members.length : weightSum;
    const variantShare = variant.weight / variantWeightSum;
    routedVariants.push({ id: variant.id, name: variant.name, weight: variant.weight, share: variantShare });
    for (const u of members) {
      const w = effective(u);
      if (w === 0) continue;
      const dials = tokens.get(u)!;
      const upstreamShare = variantShare * (w / effectiveSum);
      routedUpstreams.push({ id: u.id, variantId: vid, kind: u.kind, status: u.status, weight: u.weight, share: upstreamShare });
      for (const value of dials) {
        slots.push({
          upstream: u,
          variant,
          value,
          num: BigInt(variant.weight) * BigInt(w),
          den: BigInt(variantWeightSum) * BigInt(effectiveSum) * BigInt(dials.length),
          share: upstreamShare / dials.length,
        });
      }
    }
  }

  // 4. integer repetition counts.
  const weights = integerWeights(slots);
  const weightTotal = weights.reduce((s, w) => s + w, 0n);
  let counts: number[];
  let exact: boolean;
  if (weightTotal <= BigInt(MAX_ENTRIES)) {
    counts = weights.map(Number);
    exact = true;
  } else {
    counts = apportion(weights, Math.max(MAX_ENTRIES, slots.length));
    exact = false;
  }
  const total = counts.reduce((s, n) => s + n, 0);

  const entries: RoutingEntry[] = slots.map((s, i) => ({
    value: s.value,
    upstreamId: s.upstream.id,
    variantId: s.variant.id,
    kind: s.upstream.kind,
    hostHeader: s.upstream.hostHeader,
    count: counts[i]!,
    share: s.share,
    fraction: counts[i]! / total,
  }));
  const list = entries.flatMap((e) => Array.from({ length: e.count }, () => e.value));
  return { hostname, routedVariants, routedUpstreams, entries, list, total, exact, drainingFallback, healthFallback, servingDraining };
}

/** The exact shares as integers with no common factor (empty input gives []). */
function integerWeights(slots: Slot[]): bigint[] {
  if (slots.length === 0) return [];
  const lcmDen = slots.reduce((l, s) => lcm(l, s.den), 1n);
  const scaled = slots.map((s) => s.num * (lcmDen / s.den));
  const g = scaled.reduce((acc, w) => gcd(acc, w), 0n);
  return scaled.map((w) => w / g);
}

/**
 * Rounds integer weights to `total` entries: largest remainder, every weight at least one
 * entry, and the entries that minimum costs are taken from the most over-served slots first.
 * Result: each count is within one entry of its exact quota whenever such a rounding exists.
 */
export function apportion(weights: bigint[], total: number): number[] {
  const k = weights.length;
  if (k === 0) return [];
  if (total < k) throw new Error(`cannot give ${k} weights at least one of ${total} entries`);
  if (weights.some((w) => w <= 0n)) throw new Error('apportion needs positive weights');
  const sum = weights.reduce((s, w) => s + w, 0n);
  const n = BigInt(total);
  const counts = weights.map((w) => (w * n) / sum);
  const remainders = weights.map((w) => (w * n) % sum);
  let left = n - counts.reduce((s, c) => s + c, 0n);
  const byRemainder = weights.map((_, i) => i).sort((a, b) => cmp(remainders[b]!, remainders[a]!) || a - b);
  for (const i of byRemainder) {
    if (left === 0n) break;
    counts[i]! += 1n;
    left -= 1n;
  }
  let excess = 0;
  for (let i = 0; i < k; i++) {
    if (counts[i] === 0n) {
      counts[i] = 1n;
      excess += 1;
    }
  }
  // over-allocation of slot i, scaled by sum: counts[i] * sum - weights[i] * n
  while (excess > 0) {
    let best = -1;
    let bestOver = 0n;
    for (let i = 0; i < k; i++) {
      if (counts[i]! <= 1n) continue;
      const over = counts[i]! * sum - weights[i]! * n;
      if (best === -1 || over > bestOver) {
        best = i;
        bestOver = over;
      }
    }
    counts[best]! -= 1n;
    excess -= 1;
  }
  return counts.map(Number);
}

/** Largest |fraction − share| over the entries of one hostname. */
export function maxDeviation(entries: RoutingEntry[]): number {
  return entries.reduce((m, e) => Math.max(m, Math.abs(e.fraction - e.share)), 0);
}

/** What an upstream dials: an app's distinct addresses, or its URL. */
function tokensOf(u: RenderUpstream): string[] {
  if (u.kind === 'url') return u.url ? [u.url] : [];
  return [...new Set(u.addresses)];
}

function assertWeight(w: number, what: string): void {
  if (!Number.isSafeInteger(w) || w < 0) throw new Error(`${what} must be a non-negative integer, got ${w}`);
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

function lcm(a: bigint, b: bigint): bigint {
  return (a / gcd(a, b)) * b;
}
