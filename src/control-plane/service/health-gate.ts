// The health gate: a routing change may not leave a hostname that is served now (some routed
// address is healthy as the proxies' probes see it) with no healthy upstream. The verdicts come
// from the proxy runtime (the agents' probes); an address nobody has probed yet (a variant just
// added) is probed here first, within the cluster's health timeout, the way the proxies probe
// (probePlan: same origin, Host and path). `force` overrides; a dry run shows the verdict.
import { parseDuration } from '../../inputs/duration.js';
import { probeHttp, probePlan } from '../../proxy/probe.js';
import { computeRouting, type HostRouting } from '../../proxy/routing.js';
import type { RenderCluster, RenderUpstream } from '../../proxy/types.js';
import { conflict } from '../http-error.js';
import { listNames, type Snapshot } from './plan.js';
import type { ClusterRow } from '../store/store.js';

export type Health = 'healthy' | 'unhealthy' | 'unknown';

/** The proxies' verdicts on a cluster's (address, hostname) pairs and their last probe errors. */
export interface ClusterHealth {
  health(address: string, hostname: string): Health;
  error(address: string, hostname: string): string | null;
}

/** The verdicts of a cluster's proxies; null when no proxy probes for it (no runtime, nothing reported). */
export type HealthSource = (c: ClusterRow) => ClusterHealth | null;

interface Probed {
  health: 'healthy' | 'unhealthy';
  error: string | null;
  at: number;
}

/** How long a probe made for the gate stands in for the proxies' verdict. */
const PROBED_FOR_MS = 30_000;
/** At most this many never-probed pairs are probed before one verdict (the rest stay unknown). */
const MAX_GATE_PROBES = 256;

/** One hostname the change would leave with no healthy upstream. */
export interface GateVictim {
  hostname: string;
  upstreams: { upstream: string; address: string; health: Health; error: string | null }[];
}

export class HealthGate {
  private readonly probed = new Map<string, Probed>();

  constructor(
    private readonly source: HealthSource,
    private readonly clock: () => number = Date.now,
  ) {}

  private key(c: ClusterRow, address: string, hostname: string): string {
    return `${c.id}\u0000${address}\u0000${hostname}`;
  }

  /** The proxies' verdicts for one cluster, memoised for one decision; null when nobody probes it. */
  private view(c: ClusterRow): ((address: string, hostname: string) => { health: Health; error: string | null }) | null {
    const src = this.source(c);
    if (src === null) return null;
    const memo = new Map<string, { health: Health; error: string | null }>();
    return (address, hostname) => {
      const k = this.key(c, address, hostname);
      let v = memo.get(k);
      if (v === undefined) {
        const health = src.health(address, hostname);
        if (health !== 'unknown') v = { health, error: health === 'unhealthy' ? src.error(address, hostname) : null };
        else {
          const p = this.probed.get(k);
          v = p && this.clock() - p.at <= PROBED_FOR_MS ? { health: p.health, error: p.error } : { health: 'unknown', error: null };
        }
        memo.set(k, v);
      }
      return v;
    };
  }

  /** The hostnames served now: some routed address is healthy by the proxies' verdict (or a gate probe). */
  private servedNow(verdict: Verdicts, input: RenderCluster): Set<string> {
    const known = (_u: unknown, a: string, h: string): Health => (verdict(a, h).health === 'healthy' ? 'healthy' : 'unhealthy');
    return new Set(computeRouting(input, { health: known }).hosts.filter(served).map((h) => h.hostname));
  }

  /**
   * Before a gated change: probes every pair of the cluster no proxy has a verdict on (bounded by
   * the health timeout, all at once), so the verdict in the transaction knows them. Nothing to do
   * when no hostname is served now.
   */
  async prepare(c: ClusterRow, input: RenderCluster): Promise<void> {
    const verdict = this.view(c);
    if (verdict === null || this.servedNow(verdict, input).size === 0) return;
    const timeoutMs = parseDuration(input.health.timeout);
    const { targets, keyOf } = probePlan(input);
    const byKey = new Map(targets.map((t) => [t.key, t]));
    const wanted = new Map<string, { address: string; hostname: string }[]>();
    for (const [pair, key] of keyOf) {
      const [address, hostname] = pair.split('\u0000') as [string, string];
      if (verdict(address, hostname).health !== 'unknown') continue;
      const list = wanted.get(key) ?? [];
      list.push({ address, hostname });
      wanted.set(key, list);
    }
    const jobs = [...wanted].slice(0, MAX_GATE_PROBES);
    await Promise.all(
      jobs.map(async ([key, pairs]) => {
        const t = byKey.get(key);
        if (!t) return;
        const r = await probeHttp({ origin: t.origin, path: input.health.path, host: t.host, timeoutMs });
        const at = this.clock();
        for (const p of pairs) this.probed.set(this.key(c, p.address, p.hostname), { health: r.ok ? 'healthy' : 'unhealthy', error: r.ok ? null : `${r.error ?? 'failed'} (probed by the control plane)`, at });
      }),
    );
  }

  /**
   * The hostnames served before whose routing after the change has no healthy upstream (nothing
   * but unhealthy addresses, or none at all). Unknown addresses count as healthy: the gate refuses
   * only on evidence.
   */
  victims(c: ClusterRow, before: Snapshot, after: Snapshot): GateVictim[] {
    const verdict = this.view(c);
    if (verdict === null) return [];
    const servedNow = this.servedNow(verdict, before.rendered.input);
    if (servedNow.size === 0) return [];
    const input = after.rendered.input;
    const now = computeRouting(input, { health: (_u, a, h) => verdict(a, h).health });
    const out: GateVictim[] = [];
    let plain: HostRouting[] | null = null;
    for (const h of now.hosts) {
      if (!servedNow.has(h.hostname) || served(h)) continue;
      plain ??= computeRouting(input).hosts;
      out.push({ hostname: h.hostname, upstreams: this.routable(verdict, input, plain.find((x) => x.hostname === h.hostname)) });
    }
    return out;
  }

  /** What the hostname would be routed to after the change (health aside), each with its verdict. */
  private routable(verdict: Verdicts, input: RenderCluster, host: HostRouting | undefined): GateVictim['upstreams'] {
    const byId = new Map(input.upstreams.map((u) => [u.id, u]));
    return (host?.entries ?? []).map((e) => {
      const v = verdict(e.value, host!.hostname);
      return { upstream: describe(byId.get(e.upstreamId)), address: e.value, health: v.health, error: v.error };
    });
  }

  /** Throws the refusal (409, exit 5) unless forced; returns the warnings a forced change carries. */
  check(c: ClusterRow, before: Snapshot, after: Snapshot, o: { force: boolean; dryRun: boolean; what: string; field: string; value: string; except?: string[] }): string[] {
    const victims = this.victims(c, before, after).filter((v) => !o.except?.includes(v.hostname));
    if (victims.length === 0) return [];
    const names = victims.map((v) => v.hostname);
    const detail = victims
      .slice(0, 10)
      .map((v) => `${v.hostname} → ${v.upstreams.length === 0 ? 'no upstream' : v.upstreams.map((u) => `${u.upstream} ${u.address} ${u.health}${u.error ? ` (${u.error})` : ''}`).join(', ')}`)
      .join('; ');
    if (!o.force) {
      throw conflict(`${o.what} would leave ${names.length === 1 ? 'a hostname' : `${names.length} hostnames`} that ${names.length === 1 ? 'is' : 'are'} served now with no healthy upstream: ${detail}`, {
        field: o.field,
        value: o.value,
        rule: 'a change may not take the last healthy upstream away from a hostname that is served now',
        hint: 'fix or start the upstreams named (cluster status shows their probes), or pass force: true (--force) to do it anyway',
        details: { hostnames: victims },
      });
    }
    return [`forced: ${listNames(names)} ${o.dryRun ? 'would have' : 'now has'} no healthy upstream (${detail})`];
  }
}

type Verdicts = (address: string, hostname: string) => { health: Health; error: string | null };

function served(h: HostRouting): boolean {
  return h.total > 0 && h.healthFallback !== 'unhealthy';
}

function describe(u: RenderUpstream | undefined): string {
  if (!u) return 'upstream ?';
  return u.kind === 'url' ? `upstream ${u.id}` : `upstream ${u.id} (app ${u.app ?? '?'})`;
}
