// Builders and generators for the proxy renderers' input.
import fc from 'fast-check';
import type { RenderCluster, RenderUpstream, RenderVariant } from '../../src/proxy/types.js';

export const HEALTH = { path: '/', interval: '5s', timeout: '2s' };

export function cluster(parts: Partial<RenderCluster> & Pick<RenderCluster, 'variants' | 'upstreams'>): RenderCluster {
  return { name: 'api', health: HEALTH, domains: [{ hostname: 'api.example.com' }], ...parts };
}

export function domains(...hostnames: string[]): RenderCluster['domains'] {
  return hostnames.map((hostname) => ({ hostname }));
}

export function variant(id: number, name: string, weight: number, status: RenderVariant['status'] = 'active'): RenderVariant {
  return { id, name, weight, status };
}

export function app(
  id: number,
  variantId: number,
  addresses: string[],
  more: Partial<RenderUpstream> = {},
): RenderUpstream {
  return {
    id,
    variantId,
    hostname: null,
    kind: 'app',
    url: null,
    app: `app-${id}`,
    addresses,
    weight: 1,
    status: 'active',
    hostHeader: null,
    ...more,
  };
}

export function url(id: number, variantId: number, target: string, more: Partial<RenderUpstream> = {}): RenderUpstream {
  return {
    id,
    variantId,
    hostname: null,
    kind: 'url',
    url: target,
    app: null,
    addresses: [],
    weight: 1,
    status: 'active',
    hostHeader: null,
    ...more,
  };
}

/** The product document's walkthrough: cluster api, blue (app) / green (Heroku URL). */
export function walkthrough(weights: { blue: number; green: number }): RenderCluster {
  return cluster({
    name: 'api',
    domains: domains('api.example.com', 'app.example.com'),
    variants: [variant(1, 'blue', weights.blue), variant(2, 'green', weights.green)],
    upstreams: [
      app(1, 1, ['127.0.0.1:3001', '127.0.0.1:3002'], { hostname: 'api.example.com', app: 'my-rails-app', weight: 100 }),
      url(2, 2, 'https://my-rails-app.herokuapp.com', { hostname: 'api.example.com', weight: 100 }),
    ],
  });
}

/** Every hostname and its upstreams, mixed: app + https URL + host-override app + plain http URL. */
export function mixedCluster(): RenderCluster {
  return cluster({
    name: 'mixed',
    domains: domains('api.example.com', 'www.example.com', 'empty.example.com'),
    variants: [variant(1, 'blue', 50), variant(2, 'green', 50), variant(3, 'standby', 0)],
    upstreams: [
      app(1, 1, ['127.0.0.1:3001', '127.0.0.1:3002'], { hostname: 'api.example.com' }),
      url(2, 2, 'https://my-rails-app.herokuapp.com', { hostname: 'api.example.com' }),
      app(3, 1, ['127.0.0.1:4001'], { hostname: 'www.example.com', hostHeader: 'www.internal' }),
      url(4, 2, 'http://legacy.example.net:8080', { hostname: 'www.example.com', hostHeader: 'www.example.com' }),
      url(5, 3, 'https://standby.example.org:8443', { hostname: null }),
    ],
  });
}

const HOSTS = ['a.example.com', 'b.example.com', 'c.example.com'];
const ADDRESSES = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:8080', '10.0.1.1:5000', '[fd00::1]:80'];
const URLS = ['https://x.herokuapp.com', 'https://y.example.org:8443', 'http://z.example.net:8080'];
const WEIGHT = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 50, 100),
  fc.integer({ min: 0, max: 1000 }),
);
const STATUS = fc.constantFrom<'active' | 'draining'>('active', 'active', 'draining');

/** Random, valid clusters (ids unique, references consistent, arrays in arbitrary order). */
export const clusterArb: fc.Arbitrary<RenderCluster> = fc
  .record({
    hosts: fc.uniqueArray(fc.constantFrom(...HOSTS), { minLength: 1, maxLength: 3 }),
    variants: fc.array(fc.record({ weight: WEIGHT, status: STATUS }), { minLength: 1, maxLength: 3 }),
    upstreams: fc.array(
      fc.record({
        variantIndex: fc.nat(),
        hostname: fc.option(fc.constantFrom(...HOSTS, 'gone.example.com'), { nil: null }),
        kind: fc.constantFrom<'app' | 'url'>('app', 'app', 'url'),
        addresses: fc.uniqueArray(fc.constantFrom(...ADDRESSES), { maxLength: 3 }),
        url: fc.constantFrom(...URLS),
        weight: WEIGHT,
        status: STATUS,
        hostHeader: fc.option(fc.constant('internal.example'), { nil: null }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  })
  .map(({ hosts, variants, upstreams }) => {
    const vs = variants.map((v, i) => variant(i + 1, `v${i + 1}`, v.weight, v.status));
    const us = upstreams.map((u, i): RenderUpstream => {
      const base = {
        hostname: u.hostname,
        weight: u.weight,
        status: u.status,
        hostHeader: u.hostHeader,
      };
      const variantId = (u.variantIndex % vs.length) + 1;
      return u.kind === 'app' ? app(i + 1, variantId, u.addresses, base) : url(i + 1, variantId, u.url, base);
    });
    return cluster({ name: 'gen', domains: domains(...hosts), variants: vs, upstreams: us });
  });

/** The same cluster with its variant and upstream arrays in a different order. */
export function shuffled(c: RenderCluster, seed: number): RenderCluster {
  const rotate = <T>(xs: T[]): T[] => (xs.length === 0 ? xs : [...xs.slice(seed % xs.length), ...xs.slice(0, seed % xs.length)].reverse());
  return { ...c, variants: rotate(c.variants), upstreams: rotate(c.upstreams) };
}
