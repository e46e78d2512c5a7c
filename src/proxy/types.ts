// The proxy renderers' input: a cluster's state as the control plane stores it, already
// validated (hostnames normalised to punycode, URLs `scheme://host[:port]`). Plain types so
// the renderers stay pure and free of zod.

/** A cluster as the routing table and the Caddyfile/env renderers see it. */
export interface RenderCluster {
  name: string;
  /** Active member health check: path, interval and timeout as Caddy durations ('/', '5s', '2s'). */
  health: { path: string; interval: string; timeout: string };
  /** Normalised (punycode) hostnames, in id order. */
  domains: { hostname: string }[];
  variants: RenderVariant[];
  upstreams: RenderUpstream[];
}

export type MemberStatus = 'active' | 'draining';

export interface RenderVariant {
  id: number;
  name: string;
  weight: number;
  status: MemberStatus;
}

export interface RenderUpstream {
  id: number;
  variantId: number;
  /** null = every hostname of the cluster, including ones added later. */
  hostname: string | null;
  kind: 'app' | 'url';
  url: string | null;
  app: string | null;
  /** kind 'app': the app's `host:port` list (may be empty); kind 'url': []. */
  addresses: string[];
  weight: number;
  status: MemberStatus;
  /** Host header sent to the upstream; null = pass the client's (app) / the upstream's own (url). */
  hostHeader: string | null;
  /**
   * Addresses (URL for a URL upstream) drained on their own, e.g. by host maintenance: they are
   * routed like a draining member's while the upstream's other addresses stay active.
   */
  drainedAddresses?: string[];
}
