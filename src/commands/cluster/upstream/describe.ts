// How the upstream commands name an upstream in their output. Kept apart from the list and add
// modules so that neither one's imports (the table renderer, the request schema) come along.
import type { Upstream } from '../../../api/schemas.js';

/** What an upstream forwards to: its URL or its app name. */
export function upstreamTarget(u: Upstream): string {
  return (u.kind === 'url' ? u.url : u.app) ?? '-';
}

/** The one-line summary of an upstream, for the add and remove messages. */
export function describeUpstream(u: Upstream): string {
  return `${upstreamTarget(u)} for ${u.hostname ?? 'every hostname'} in variant ${u.variant} (weight ${u.weight})`;
}
