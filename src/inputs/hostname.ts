// Hostnames a cluster fronts. Each becomes a Caddyfile site address and the suffix of a
// CLUSTER_UPSTREAMS_<HOST> env var, so only plain RFC 1123 names (optionally `*.`) get through.
import { isIPv6 } from 'node:net';
import {
  type CheckResult,
  CADDY_SYNTAX_CHARS,
  WHITESPACE_OR_CONTROL,
  accept,
  caddySyntaxRule,
  reject,
  schemaFromCheck,
  suggest,
} from './check-result.js';
import { checkDnsName, isStrictIPv4 } from './dns-name.js';

const WHAT = 'a hostname';

// At least one dot is required (so "api" typed for "api.example.com" is caught), except `localhost`,
// the one single-label name a local cluster legitimately serves.
/** Checks a hostname and returns it normalised: lower case, punycode, trailing dot removed. */
export function checkHostname(raw: string): CheckResult {
  if (raw === '') return reject(`${WHAT} is required, e.g. api.example.com`);
  const trimmed = raw.trim();
  if (trimmed !== raw) {
    return reject(`${WHAT} must not contain whitespace`, trimmed === '' ? undefined : suggest(checkHostname, trimmed));
  }
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(raw);
  if (scheme !== null) {
    return reject(`${WHAT} is just the name, without a scheme like https://`, suggest(checkHostname, raw.slice(scheme[0].length)));
  }
  const cut = raw.search(/[/?#]/);
  if (cut >= 0) {
    return reject(`${WHAT} must not include a path, query or fragment`, cut === 0 ? undefined : suggest(checkHostname, raw.slice(0, cut)));
  }
  const at = raw.lastIndexOf('@');
  if (at >= 0) return reject(`${WHAT} must not include user info (user@)`, suggest(checkHostname, raw.slice(at + 1)));
  if (isIpAddress(raw)) {
    return reject(`${WHAT} must be a DNS name, not an IP address (the proxy routes by name)`);
  }
  const colon = raw.indexOf(':');
  if (colon >= 0) {
    // One colon is host:port; several without a valid IPv6 reading are just garbage.
    return raw.indexOf(':', colon + 1) < 0 && colon > 0
      ? reject(`${WHAT} must not include a port (the proxy listens on the standard ports)`, suggest(checkHostname, raw.slice(0, colon)))
      : reject(`${WHAT} must not contain ":"`);
  }
  if (WHITESPACE_OR_CONTROL.test(raw)) return reject(`${WHAT} must not contain whitespace or control characters`);
  if (CADDY_SYNTAX_CHARS.test(raw)) return reject(caddySyntaxRule(WHAT));
  // The absolute (root) form names the same host; drop one trailing dot.
  const name = raw.endsWith('.') && raw.length > 1 ? raw.slice(0, -1) : raw;
  const dns = checkDnsName(name, { what: WHAT, allowWildcard: true, requireDot: true });
  if (!dns.ok) return reject(dns.rule, dns.fixName === undefined ? undefined : suggest(checkHostname, dns.fixName));
  return accept(dns.value);
}

// IPv4, bare or bracketed IPv6, and either with a port.
function isIpAddress(s: string): boolean {
  const unbracketed = /^\[(.*)\](?::\d*)?$/.exec(s)?.[1];
  if (unbracketed !== undefined) return isIPv6(unbracketed);
  if (isIPv6(s)) return true;
  return isStrictIPv4(s.replace(/:\d*$/, '').replace(/\.$/, ''));
}

/** Zod schema for a hostname: outputs the normalised name; issues carry the rule and params.fix. */
export const hostnameSchema = schemaFromCheck(checkHostname, `${WHAT} must be a string`);
