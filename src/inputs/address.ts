// A local app member's address, `host:port`, as listed in CLUSTER_UPSTREAMS_<HOST>.
// The port is required: Caddy would silently assume :80 for a bare host.
import { type CheckResult, accept, reject, schemaFromCheck, suggest } from './check-result.js';
import { formatAuthority, parseAuthority } from './authority.js';

const WHAT = 'an address';

/** Checks a member address `host:port` (IPv4, [IPv6] or DNS name) and returns it lower-cased. */
export function checkAddress(raw: string): CheckResult {
  if (raw === '') return reject(`${WHAT} is required, as host:port (e.g. 10.0.0.5:8080)`);
  const trimmed = raw.trim();
  if (trimmed !== raw) return reject(`${WHAT} must not contain whitespace`, trimmed === '' ? undefined : suggest(checkAddress, trimmed));
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(raw);
  if (scheme !== null) {
    return reject(`${WHAT} is host:port without a scheme (use a URL upstream for https://)`, suggest(checkAddress, raw.slice(scheme[0].length)));
  }
  const cut = raw.search(/[/?#]/);
  if (cut >= 0) {
    return reject(`${WHAT} is host:port with no path, query or fragment`, cut === 0 ? undefined : suggest(checkAddress, raw.slice(0, cut)));
  }
  const parsed = parseAuthority(raw, { what: WHAT, portRequired: true });
  if (!parsed.ok) return reject(parsed.rule, parsed.fixAuthority === undefined ? undefined : suggest(checkAddress, parsed.fixAuthority));
  return accept(formatAuthority(parsed.value));
}

/** Zod schema for a member address. */
export const addressSchema = schemaFromCheck(checkAddress, `${WHAT} must be a string`);
