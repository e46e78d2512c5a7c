// Per-hostname env var names for the proxy (CLUSTER_UPSTREAMS_<HOST>). The mapping is lossy
// (a-b.com and a.b.com both give ..._A_B_COM), so adding a domain must check for collisions.

export const ENV_NAME_PREFIX = 'CLUSTER_UPSTREAMS_';

/** The env var that carries a hostname's upstreams: prefix + host upper-cased, non-alphanumerics → `_`. */
export function envNameForHostname(host: string): string {
  if (host === '') throw new RangeError('envNameForHostname needs a non-empty hostname');
  // Replace before upper-casing so a stray non-ASCII letter cannot expand (ß → SS) into A–Z.
  return ENV_NAME_PREFIX + host.replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
}

/** The existing hostname whose env var name equals the candidate's (a different hostname), else null. */
export function findEnvNameCollision(existing: readonly string[], candidate: string): string | null {
  const wanted = envNameForHostname(candidate);
  const self = candidate.toLowerCase();
  for (const host of existing) {
    // The same hostname (DNS names are case-insensitive) is a duplicate, not a collision.
    if (host.toLowerCase() === self) continue;
    if (host !== '' && envNameForHostname(host) === wanted) return host;
  }
  return null;
}
