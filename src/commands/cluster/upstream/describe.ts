// How the upstream commands name an upstream in their output. Kept apart from the list and add
// modules so that neither one's imports (the table renderer, the request schema) come along.
import type { Upstream } from '../../../api/schemas.js';
import { urlHostPort } from '../../../inputs/upstream-url.js';

/** What an upstream forwards to: its URL or its app name. */
export function upstreamTarget(u: Upstream): string {
  return (u.kind === 'url' ? u.url : u.app) ?? '-';
}

/** The one-line summary of an upstream, for the add and remove messages. */
export function upstreamSummary(u: Upstream): string {
  return `${upstreamTarget(u)} for ${u.hostname ?? 'every hostname'} in variant ${u.variant} (weight ${u.weight})`;
}

/**
 * The Host header the proxies send an upstream: its --host-header, else a URL upstream's own
 * host:port (what the bridge sends), else null: the hostname the client asked for.
 */
export function hostSent(u: Pick<Upstream, 'kind' | 'url' | 'host_header'> & { host_sent?: string | null | undefined }): string | null {
  if (u.host_sent !== undefined) return u.host_sent;
  return u.host_header ?? (u.kind === 'url' && u.url !== null ? urlHostPort(u.url) : null);
}
