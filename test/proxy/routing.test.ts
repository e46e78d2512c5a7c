import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_ENTRIES, apportion, computeRouting, type HostRouting, type RoutingTable } from '../../src/proxy/routing.js';
import type { RenderCluster } from '../../src/proxy/types.js';
import { app, cluster, clusterArb, domains, shuffled, url, variant } from './fixtures.js';

function host(table: RoutingTable, hostname = 'api.example.com'): HostRouting {
  const h = table.hosts.find((x) => x.hostname === hostname);
  if (!h) throw new Error(`no host ${hostname}`);
  return h;
}

const A1 = '10.0.0.1:80';
const A2 = '10.0.0.2:80';
const B1 = '10.0.1.1:80';

describe('computeRouting: table', () => {
  it('single variant, single address', () => {
    const t = computeRouting(cluster({ variants: [variant(1, 'blue', 100)], upstreams: [app(1, 1, [A1])] }));
    const h = host(t);
    expect(h.list).toEqual([A1]);
    expect(h.exact).toBe(true);
    expect(h.drainingFallback).toBe(false);
    expect(h.entries).toEqual([
      { value: A1, upstreamId: 1, variantId: 1, kind: 'app', hostHeader: null, count: 1, share: 1, fraction: 1 },
    ]);
    expect(t.variants).toEqual([{ id: 1, name: 'blue', weight: 100, status: 'active', routed: true }]);
    expect(t.warnings).toEqual([]);
  });

  it('blue 100 / green 0: green is standby and gets nothing', () => {
    const t = computeRouting(
      cluster({ variants: [variant(1, 'blue', 100), variant(2, 'green', 0)], upstreams: [app(1, 1, [A1]), app(2, 2, [B1])] }),
    );
    expect(host(t).list).toEqual([A1]);
    expect(host(t).routedVariants).toEqual([{ id: 1, name: 'blue', weight: 100, share: 1 }]);
    expect(t.variants.map((v) => [v.name, v.routed])).toEqual([['blue', true], ['green', false]]);
  });

  it('blue 50 / green 50: weights realised by repetition', () => {
    // blue has two addresses (1/4 each), green one (1/2): green is listed twice.
    const t = computeRouting(
      cluster({ variants: [variant(1, 'blue', 50), variant(2, 'green', 50)], upstreams: [app(1, 1, [A1, A2]), app(2, 2, [B1])] }),
    );
    const h = host(t);
    expect(h.list).toEqual([A1, A2, B1, B1]);
    expect(h.entries.map((e) => [e.value, e.count, e.share, e.fraction])).toEqual([
      [A1, 1, 0.25, 0.25],
      [A2, 1, 0.25, 0.25],
      [B1, 2, 0.5, 0.5],
    ]);
    expect(h.exact).toBe(true);
  });

  it('1:3 variant weights', () => {
    const t = computeRouting(
      cluster({ variants: [variant(1, 'blue', 25), variant(2, 'green', 75)], upstreams: [app(1, 1, [A1]), app(2, 2, [B1])] }),
    );
    expect(host(t).list).toEqual([A1, B1, B1, B1]);
  });

  it('1:3 upstream weights inside one variant', () => {
    const t = computeRouting(
      cluster({ variants: [variant(1, 'blue', 100)], upstreams: [app(1, 1, [A1], { weight: 10 }), app(2, 1, [A2], { weight: 30 })] }),
    );
    expect(host(t).list).toEqual([A1, A2, A2, A2]);
    expect(host(t).routedUpstreams.map((u) => [u.id, u.share])).toEqual([[1, 0.25], [2, 0.75]]);
  });

  it('weights needing more than 100 entries are rounded to 100 within 1 %', () => {
    const t = computeRouting(
      cluster({ variants: [variant(1, 'blue', 333), variant(2, 'green', 667)], upstreams: [app(1, 1, [A1]), app(2, 2, [B1])] }),
    );
    const h = host(t);
    expect(h.exact).toBe(false);
    expect(h.total).toBe(MAX_ENTRIES);
    expect(h.entries.map((e) => [e.value, e.count])).toEqual([[A1, 33], [B1, 67]]);
    for (const e of h.entries) expect(Math.abs(e.fraction - e.share)).toBeLessThanOrEqual(0.01);
    expect(t.warnings).toEqual([]);
  });

  it('a tiny share still gets one entry, taken from the most over-served slot', () => {
    const t = computeRouting(
      cluster({
        variants: [variant(1, 'blue', 100)],
        upstreams: [app(1, 1, [A1], { weight: 7 }), app(2, 1, [A2], { weight: 11 }), app(3, 1, [B1], { weight: 982 })],
      }),
    );
    expect(host(t).entries.map((e) => e.count)).toEqual([1, 1, 98]);
    expect(t.warnings).toEqual([]);
  });

  it('warns when 100 entries cannot hold every address within 1 %', () => {
    const t = computeRouting(
      cluster({
        variants: [variant(1, 'blue', 1), variant(2, 'green', 999)],
        upstreams: [app(1, 1, ['10.0.0.1:1', '10.0.0.1:2', '10.0.0.1:3']), app(2, 2, [B1])],
      }),
    );
    const h = host(t);
    expect(h.entries.map((e) => e.count)).toEqual([1, 1, 1, 97]);
    expect(t.warnings.map((w) => w.code)).toEqual(['precision']);
  });

  it('more addresses than 100 entries: every address once', () => {
    const many = Array.from({ length: 120 }, (_, i) => `10.1.${Math.floor(i / 200)}.${i}:80`);
    const t = computeRouting(cluster({ variants: [variant(1, 'blue', 1), variant(2, 'green', 1)], upstreams: [app(1, 1, many), app(2, 2, [B1])] }));
    const h = host(t);
    expect(h.total).toBe(121);
    expect(h.entries.every((e) => e.count === 1)).toBe(true);
  });

  it('a draining member is removed while another is active', () => {
    const t = computeRouting(
      cluster({ variants: [variant(1, 'blue', 100)], upstreams: [app(1, 1, [A1], { status: 'draining' }), app(2, 1, [A2])] }),
    );
    expect(host(t).list).toEqual([A2]);
    expect(host(t).drainingFallback).toBe(false);
  });

  it('only draining members remain: they keep the traffic', () => {
    const t = computeRouting(
      cluster({
        variants: [variant(1, 'blue', 100)],
        upstreams: [app(1, 1, [A1], { status: 'draining' }), app(2, 1, [A2], { status: 'draining', weight: 3 })],
      }),
    );
    expect(host(t).list).toEqual([A1, A2, A2, A2]);
    expect(host(t).drainingFallback).toBe(true);
  });

  it('an active app with no addresses does not count as routable: draining members keep the traffic', () => {
    const t = computeRouting(
      cluster({ variants: [variant(1, 'blue', 100)], upstreams: [app(1, 1, []), app(2, 1, [A2], { status: 'draining' })] }),
    );
    expect(host(t).list).toEqual([A2]);
    expect(host(t).drainingFallback).toBe(true);
  });

  it('a draining variant is excluded', () => {
    const t = computeRouting(
      cluster({
        variants: [variant(1, 'blue', 100, 'draining'), variant(2, 'green', 100)],
        upstreams: [app(1, 1, [A1]), app(2, 2, [B1])],
      }),
    );
    expect(host(t).list).toEqual([B1]);
    expect(t.variants.map((v) => v.routed)).toEqual([false, true]);
  });

  it('a variant that is draining everywhere leaves nothing, even with active members', () => {
    const t = computeRouting(cluster({ variants: [variant(1, 'blue', 100, 'draining')], upstreams: [app(1, 1, [A1])] }));
    expect(host(t).list).toEqual([]);
    expect(t.warnings).toEqual([{ code: 'no-upstream', hostname: 'api.example.com', message: 'no upstream is routed for api.example.com' }]);
  });

  it('an upstream with hostname null serves a domain added later', () => {
    const base = { variants: [variant(1, 'blue', 100)], upstreams: [app(1, 1, [A1], { hostname: null })] };
    const before = computeRouting(cluster({ ...base, domains: domains('api.example.com') }));
    const after = computeRouting(cluster({ ...base, domains: domains('api.example.com', 'new.example.com') }));
    expect(before.hosts.map((h) => h.hostname)).toEqual(['api.example.com']);
    expect(host(after, 'new.example.com').list).toEqual([A1]);
    expect(host(after, 'api.example.com').list).toEqual([A1]);
  });

  it('per-hostname upstreams only serve their hostname', () => {
    const t = computeRouting(
      cluster({
        domains: domains('api.example.com', 'www.example.com'),
        variants: [variant(1, 'blue', 100)],
        upstreams: [
          app(1, 1, [A1], { hostname: 'api.example.com' }),
          app(2, 1, [A2], { hostname: 'www.example.com' }),
          app(3, 1, [B1], { hostname: null }),
        ],
      }),
    );
    expect(host(t, 'api.example.com').list).toEqual([A1, B1]);
    expect(host(t, 'www.example.com').list).toEqual([A2, B1]);
  });

  it('an app with two addresses splits its share equally', () => {
    const t = computeRouting(
      cluster({ variants: [variant(1, 'blue', 100)], upstreams: [app(1, 1, [A1, A2], { weight: 1 }), url(2, 1, 'https://x.example.org', { weight: 1 })] }),
    );
    expect(host(t).list).toEqual([A1, A2, 'https://x.example.org', 'https://x.example.org']);
    expect(host(t).entries.map((e) => e.share)).toEqual([0.25, 0.25, 0.5]);
  });

  it('an app with no addresses contributes nothing and is reported', () => {
    const t = computeRouting(
      cluster({ variants: [variant(1, 'blue', 100)], upstreams: [app(1, 1, [], { app: 'empty-app' }), app(2, 1, [A2])] }),
    );
    expect(host(t).list).toEqual([A2]);
    expect(host(t).routedUpstreams.map((u) => u.id)).toEqual([2]);
    expect(t.warnings).toEqual([
      { code: 'app-without-addresses', upstreamId: 1, message: 'upstream 1 (app empty-app) has no addresses and receives no traffic' },
    ]);
  });

  it('a weight-0 upstream gets nothing while a sibling has weight', () => {
    const t = computeRouting(
      cluster({ variants: [variant(1, 'blue', 100)], upstreams: [app(1, 1, [A1], { weight: 0 }), app(2, 1, [A2], { weight: 5 })] }),
    );
    expect(host(t).list).toEqual([A2]);
    expect(host(t).routedUpstreams.map((u) => u.id)).toEqual([2]);
  });

  it('weight-0 upstreams are treated equally when all of a variant\'s routed upstreams have weight 0', () => {
    const t = computeRouting(
      cluster({
        variants: [variant(1, 'blue', 50), variant(2, 'green', 50)],
        upstreams: [app(1, 1, [A1], { weight: 0 }), app(2, 1, [A2], { weight: 0 }), app(3, 2, [B1], { weight: 7 })],
      }),
    );
    expect(host(t).list).toEqual([A1, A2, B1, B1]);
  });

  it('orders by variant id, upstream id, address order whatever the input order', () => {
    const c = cluster({
      variants: [variant(2, 'green', 1), variant(1, 'blue', 1)],
      upstreams: [app(4, 2, [B1]), app(3, 1, [A2, A1]), app(1, 1, ['10.9.9.9:80'])],
    });
    expect(host(computeRouting(c)).list).toEqual(['10.9.9.9:80', '10.9.9.9:80', A2, A1, B1, B1, B1, B1]);
  });

  it('rejects inconsistent input', () => {
    expect(() => computeRouting(cluster({ variants: [variant(1, 'b', 1)], upstreams: [app(1, 2, [A1])] }))).toThrow(/unknown variant 2/);
    expect(() => computeRouting(cluster({ variants: [variant(1, 'b', 1.5)], upstreams: [] }))).toThrow(/non-negative integer/);
    expect(() => computeRouting(cluster({ variants: [variant(1, 'b', 1)], upstreams: [app(1, 1, [A1]), app(1, 1, [A2])] }))).toThrow(
      /duplicate upstream/,
    );
  });
});

describe('apportion', () => {
  it('largest remainder with a minimum of one', () => {
    expect(apportion([1n, 1n, 1n], 100)).toEqual([34, 33, 33]);
    expect(apportion([1n, 1000n], 100)).toEqual([1, 99]);
    expect(apportion([1n, 1n, 998n], 100)).toEqual([1, 1, 98]);
  });
});

/** Independent reading of "Routing semantics": exact share per `${upstreamId} ${value}`. */
function referenceShares(c: RenderCluster, hostname: string): Map<string, number> {
  const vById = new Map(c.variants.map((v) => [v.id, v]));
  const candidates = c.upstreams.filter((u) => {
    const v = vById.get(u.variantId)!;
    const tokens = u.kind === 'url' ? [u.url] : u.addresses;
    return v.weight > 0 && v.status === 'active' && (u.hostname === null || u.hostname === hostname) && tokens.length > 0;
  });
  const active = candidates.filter((u) => u.status === 'active');
  const routed = active.length > 0 ? active : candidates;
  const variantIds = [...new Set(routed.map((u) => u.variantId))];
  const vSum = variantIds.reduce((s, id) => s + vById.get(id)!.weight, 0);
  const shares = new Map<string, number>();
  for (const vid of variantIds) {
    const members = routed.filter((u) => u.variantId === vid);
    const uSum = members.reduce((s, u) => s + u.weight, 0);
    for (const u of members) {
      const uShare = uSum === 0 ? 1 / members.length : u.weight / uSum;
      const tokens = u.kind === 'url' ? [u.url!] : [...new Set(u.addresses)];
      for (const t of tokens) {
        const share = (vById.get(vid)!.weight / vSum) * uShare * (1 / tokens.length);
        if (share > 0) shares.set(`${u.id} ${t}`, share);
      }
    }
  }
  return shares;
}

/** No rounding to `total` can keep every slot within one entry of its quota and at least one. */
function infeasible(shares: number[], total: number): boolean {
  const eps = 1e-9;
  return shares.reduce((s, share) => s + Math.max(1, Math.ceil(share * total - 1 - eps)), 0) > total;
}

describe('computeRouting: properties', () => {
  it('every routed address appears at least once, and nothing else does', () => {
    fc.assert(
      fc.property(clusterArb, (c) => {
        const t = computeRouting(c);
        for (const h of t.hosts) {
          const expected = referenceShares(c, h.hostname);
          const got = new Map(h.entries.map((e) => [`${e.upstreamId} ${e.value}`, e]));
          expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
          for (const e of h.entries) expect(e.count).toBeGreaterThanOrEqual(1);
          for (const key of expected.keys()) expect(h.list).toContain(key.slice(key.indexOf(' ') + 1));
          expect(h.list.length).toBe(h.total);
          expect(h.total).toBeLessThanOrEqual(Math.max(MAX_ENTRIES, h.entries.length));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('entry counts are proportional to the shares: exact when short, else within 1 % of the total whenever possible', () => {
    fc.assert(
      fc.property(clusterArb, (c) => {
        const t = computeRouting(c);
        for (const h of t.hosts) {
          const expected = referenceShares(c, h.hostname);
          for (const e of h.entries) expect(e.share).toBeCloseTo(expected.get(`${e.upstreamId} ${e.value}`)!, 12);
          expect(h.entries.reduce((s, e) => s + e.count, 0)).toBe(h.total);
          const warned = t.warnings.some((w) => w.code === 'precision' && w.hostname === h.hostname);
          if (h.exact) {
            for (const e of h.entries) expect(Math.abs(e.fraction - e.share)).toBeLessThan(1e-9);
          } else if (!warned) {
            for (const e of h.entries) expect(Math.abs(e.fraction - e.share)).toBeLessThanOrEqual(0.01 + 1e-9);
          }
          // The warning only appears when no rounding with one entry per address fits in 1 %.
          expect(warned).toBe(!h.exact && infeasible(h.entries.map((e) => e.share), h.total));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('shares of at least 1 % always land within 1 %', () => {
    const weights = fc.array(fc.integer({ min: 50, max: 1000 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(weights, (ws) => {
        const c = cluster({
          variants: ws.map((w, i) => variant(i + 1, `v${i}`, w)),
          upstreams: ws.map((_, i) => app(i + 1, i + 1, [`10.0.0.${i + 1}:80`])),
        });
        const h = host(computeRouting(c));
        for (const e of h.entries) expect(Math.abs(e.fraction - e.share)).toBeLessThanOrEqual(0.01 + 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('output is stable: same input, same output, whatever the order of variants and upstreams', () => {
    fc.assert(
      fc.property(clusterArb, fc.nat(), (c, seed) => {
        const first = computeRouting(c);
        expect(computeRouting(structuredClone(c))).toEqual(first);
        expect(computeRouting(shuffled(c, seed))).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });
});

/** A large cluster: `hosts` hostnames, three upstreams per hostname and a few every-hostname ones, every kind and state. */
function largeCluster(hosts: number, seed = 7): RenderCluster {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const names = Array.from({ length: hosts }, (_, i) => `h${i}.example.com`);
  const variants = [variant(3, 'blue', 70), variant(1, 'green', 30), variant(2, 'standby', 0), variant(4, 'old', 50, 'draining')];
  const upstreams = Array.from({ length: hosts * 3 }, (_, i) => {
    const more = {
      hostname: rnd() < 0.01 ? null : pick(names),
      weight: pick([0, 1, 1, 2, 5, 100, 999]),
      status: rnd() < 0.15 ? ('draining' as const) : ('active' as const),
      hostHeader: rnd() < 0.1 ? 'internal.example' : null,
    };
    const id = ((i + 1) * 7) % 100_003;
    if (rnd() < 0.3) return url(id, pick(variants).id, `https://u${i}.example.net`, more);
    const n = Math.floor(rnd() * 4);
    return app(id, pick(variants).id, Array.from({ length: n }, (_, k) => `10.0.${i % 250}.${k + 1}:${3000 + (i % 7)}`), more);
  });
  return cluster({ name: 'big', domains: domains(...names), variants, upstreams: upstreams.reverse() });
}

describe('computeRouting: large clusters', () => {
  it('1,000 hostnames: each hostname routes exactly as a cluster holding only that hostname and the upstreams that serve it', () => {
    const c = largeCluster(1000);
    const table = computeRouting(c);
    expect(table.hosts.map((h) => h.hostname)).toEqual(c.domains.map((d) => d.hostname));
    for (const h of table.hosts) {
      // The reference selects by a plain filter, and makes every kept upstream an every-hostname one.
      const served = c.upstreams.filter((u) => u.hostname === null || u.hostname === h.hostname).map((u) => ({ ...u, hostname: null }));
      const ref = computeRouting({ ...c, domains: domains(h.hostname), upstreams: served });
      expect(h).toEqual(ref.hosts[0]);
      expect(table.warnings.filter((w) => w.hostname === h.hostname)).toEqual(ref.warnings.filter((w) => w.hostname !== undefined));
    }
    expect(table.hosts.filter((h) => h.total > 0).length).toBeGreaterThan(500);
    expect(table.hosts.some((h) => h.routedVariants.length > 1)).toBe(true);
  });

  it('reads each upstream a bounded number of times, not once per hostname', () => {
    const hosts = 1000;
    const c = cluster({
      domains: domains(...Array.from({ length: hosts }, (_, i) => `h${i}.example.com`)),
      variants: [variant(1, 'blue', 100)],
      upstreams: Array.from({ length: hosts }, (_, i) => app(i + 1, 1, [`10.0.${i % 250}.1:80`], { hostname: `h${i}.example.com` })),
    });
    let reads = 0;
    for (const u of c.upstreams) {
      const hostname = u.hostname;
      Object.defineProperty(u, 'hostname', {
        enumerable: true,
        get: () => {
          reads += 1;
          return hostname;
        },
      });
    }
    const table = computeRouting(c);
    expect(table.hosts.every((h) => h.list.length === 1)).toBe(true);
    expect(reads).toBeLessThanOrEqual(3 * c.upstreams.length);
  });
});

describe('computeRouting: addresses drained on their own (host maintenance)', () => {
  it('a drained address leaves the list while the app has an active one; the rest of the app keeps its share', () => {
    const t = computeRouting(cluster({ variants: [variant(1, 'blue', 100)], upstreams: [app(1, 1, [A1, A2], { drainedAddresses: [A1] }), app(2, 1, [B1])] }));
    expect(host(t).list.sort()).toEqual([A2, B1].sort());
    expect(host(t).drainingFallback).toBe(false);
  });

  it('when every active address is drained, the drained ones keep the traffic like draining members', () => {
    const t = computeRouting(cluster({ variants: [variant(1, 'blue', 100)], upstreams: [app(1, 1, [A1], { drainedAddresses: [A1] }), app(2, 1, [B1], { drainedAddresses: [B1] })] }));
    expect(host(t).list.sort()).toEqual([A1, B1].sort());
    expect(host(t).drainingFallback).toBe(true);
    expect(t.warnings).toEqual([]);
  });

  it('with health: a healthy drained address serves while every active address is down', () => {
    const t = computeRouting(cluster({ variants: [variant(1, 'blue', 100)], upstreams: [app(1, 1, [A1, A2], { drainedAddresses: [A2] })] }), {
      health: (_u, a) => (a === A1 ? 'unhealthy' : 'healthy'),
    });
    expect(host(t).list).toEqual([A2]);
    expect(host(t).healthFallback).toBe('draining');
  });
});
