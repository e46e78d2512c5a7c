// A host under maintenance: the host part of member addresses (`10.0.0.5` of `10.0.0.5:8080`)
// and of URL upstreams, without a port.
import { type CheckResult, accept, reject, schemaFromCheck, suggest } from './check-result.js';
import { parseAuthority } from './authority.js';

const WHAT = 'a host';

/** Checks a maintenance host (IPv4, [IPv6] or DNS name, no port) and returns it normalised. */
export function checkMaintenanceHost(raw: string): CheckResult {
  if (raw === '') return reject(`${WHAT} is required: the IP address or name in the upstream addresses (e.g. 10.0.0.5)`);
  if (raw.trim() !== raw) return reject(`${WHAT} must not contain whitespace`, raw.trim() === '' ? undefined : suggest(checkMaintenanceHost, raw.trim()));
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(raw);
  if (scheme !== null) return reject(`${WHAT} is a bare IP address or name, without a scheme`, suggest(checkMaintenanceHost, raw.slice(scheme[0].length).replace(/[/:].*$/, '')));
  // A bare IPv6 address is written as in addresses: in brackets.
  const written = raw.includes(':') && !raw.startsWith('[') && raw.split(':').length > 2 ? `[${raw}]` : raw;
  const parsed = parseAuthority(written, { what: WHAT, portRequired: false });
  if (!parsed.ok) return reject(parsed.rule);
  if (parsed.value.port !== undefined) return reject(`${WHAT} has no port: maintenance covers every address on the host`, suggest(checkMaintenanceHost, parsed.value.host));
  return accept(parsed.value.host);
}

/** Zod schema for a maintenance host. */
export const maintenanceHostSchema = schemaFromCheck(checkMaintenanceHost, `${WHAT} must be a string`);
