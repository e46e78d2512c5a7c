// Proxy → edge health filter: drop dead proxies from the edge, but never publish an empty set.
import type { EdgeProxy } from './types.js';

export interface ProxyHealth extends EdgeProxy {
  healthy: boolean;
}

export interface HealthySet {
  proxies: EdgeProxy[];
  /** Set when the result is not simply "the healthy ones". */
  warning?: string;
}

const key = (p: EdgeProxy): string => `${p.address}|${p.port}`;

function unique(proxies: readonly EdgeProxy[]): EdgeProxy[] {
  const seen = new Map<string, EdgeProxy>();
  for (const p of proxies) if (!seen.has(key(p))) seen.set(key(p), { address: p.address, port: p.port, ...(p.instanceId ? { instanceId: p.instanceId } : {}) });
  return [...seen.values()];
}

/**
 * The proxies the edge should publish: the healthy ones. When none is healthy, publishing nothing
 * would take the site down for certain, so keep the last published set (those still proxies of
 * the cluster), or all proxies when nothing usable was published, and say so.
 */
export function chooseHealthyProxies(proxies: readonly ProxyHealth[], lastPublished?: readonly EdgeProxy[] | null): HealthySet {
  const all = unique(proxies);
  const healthy = unique(proxies.filter((p) => p.healthy));
  if (healthy.length > 0) return { proxies: healthy };
  if (all.length === 0) return { proxies: [], warning: 'the cluster has no proxies: nothing to publish' };
  const current = new Set(all.map(key));
  const kept = unique((lastPublished ?? []).filter((p) => current.has(key(p))));
  if (kept.length > 0) {
    return {
      proxies: kept,
      warning: `no proxy is healthy: keeping the ${kept.length} last published (${kept.map((p) => p.address).join(', ')}) instead of publishing none`,
    };
  }
  return {
    proxies: all,
    warning: `no proxy is healthy and none was published before: publishing all ${all.length} instead of none`,
  };
}
