// Strict `host[:port]` parsing shared by URL upstreams and member addresses (internal).
// Hand-written on purpose: WHATWG URL parsing silently rewrites input (adds "/", maps "\" to "/",
// reads "0x7f.1" as an IPv4 address), and we want to reject, not reinterpret, what the user typed.
import { isIPv6 } from 'node:net';
import { CADDY_SYNTAX_CHARS, WHITESPACE_OR_CONTROL, caddySyntaxRule } from './check-result.js';
import { checkDnsName, isStrictIPv4 } from './dns-name.js';

export const MIN_PORT = 1;
export const MAX_PORT = 65535;

export interface Authority {
  /** Normalised host: lower-case DNS name (punycode), dotted IPv4, or `[ipv6]` with brackets. */
  host: string;
  /** Normalised port digits (no leading zeros), when one was written. */
  port?: string;
  kind: 'dns' | 'ipv4' | 'ipv6';
}

export type AuthorityResult = { ok: true; value: Authority } | { ok: false; rule: string; fixAuthority?: string };

export interface AuthorityOptions {
  /** How rule texts name the whole value, e.g. "a URL upstream" or "an address". */
  what: string;
  portRequired: boolean;
}

/** Renders an authority back to `host[:port]`. */
export function formatAuthority(a: Authority): string {
  return a.port === undefined ? a.host : `${a.host}:${a.port}`;
}

/** The rule for a port outside 1–65535 or not written in digits. */
export function portRule(what: string): string {
  return `${what} port must be a number from ${MIN_PORT} to ${MAX_PORT}`;
}

/** Parses port digits; returns the normalised digits or null when not a port in range. */
export function parsePortDigits(s: string): string | null {
  if (!/^\d+$/.test(s)) return null;
  const digits = s.replace(/^0+(?=\d)/, '');
  // More than five significant digits is out of range; checking length first avoids float rounding.
  if (digits.length > 5) return null;
  const n = Number(digits);
  return n >= MIN_PORT && n <= MAX_PORT ? String(n) : null;
}

// Builds a rejection, leaving out an absent fix.
function fail(rule: string, fixAuthority?: string): AuthorityResult {
  return fixAuthority === undefined ? { ok: false, rule } : { ok: false, rule, fixAuthority };
}

/** Parses and normalises `host[:port]` (IPv4, [IPv6] or DNS name), rejecting anything else. */
export function parseAuthority(auth: string, opts: AuthorityOptions): AuthorityResult {
  const { what } = opts;
  if (auth === '') return fail(`${what} needs a host`);
  if (WHITESPACE_OR_CONTROL.test(auth)) return fail(`${what} must not contain whitespace or control characters`);
  const at = auth.lastIndexOf('@');
  if (at >= 0) return fail(`${what} must not contain user info (user:password@)`, auth.slice(at + 1));
  if (CADDY_SYNTAX_CHARS.test(auth)) return fail(caddySyntaxRule(what));

  let hostPart: string;
  let portPart: string | undefined;
  if (auth.startsWith('[')) {
    const m = /^\[([^\]]*)\](.*)$/s.exec(auth);
    if (m === null) return fail(`${what} has an unclosed [ in its IPv6 address`);
    const inner = m[1] ?? '';
    const after = m[2] ?? '';
    // node's isIPv6 accepts zone ids (fe80::1%eth0), which Caddy's upstream parser does not.
    if (inner.includes('%') || !isIPv6(inner)) {
      return fail(`${what} has an invalid IPv6 address in brackets (zone ids like %eth0 are not supported)`);
    }
    if (after !== '' && !after.startsWith(':')) return fail(`${what} must be [ipv6] or [ipv6]:port`);
    hostPart = `[${inner.toLowerCase()}]`;
    portPart = after === '' ? undefined : after.slice(1);
  } else {
    const colons = auth.split(':').length - 1;
    if (colons > 1) {
      return isIPv6(auth) || isIPv6(auth.replace(/:\d+$/, ''))
        ? fail(`${what} must put an IPv6 address in brackets, e.g. [2001:db8::1]:8443`)
        : fail(`${what} must be host or host:port (one colon at most outside IPv6 brackets)`);
    }
    const colon = auth.indexOf(':');
    hostPart = colon < 0 ? auth : auth.slice(0, colon);
    portPart = colon < 0 ? undefined : auth.slice(colon + 1);
  }

  let port: string | undefined;
  if (portPart !== undefined) {
    if (portPart === '') return fail(`${what} has a ":" with no port after it`, hostPart);
    const digits = parsePortDigits(portPart);
    if (digits === null) return fail(portRule(what));
    port = digits;
  }
  if (hostPart === '') return fail(`${what} needs a host`);

  let host: string;
  let kind: Authority['kind'];
  if (hostPart.startsWith('[')) {
    host = hostPart;
    kind = 'ipv6';
  } else if (/^[\d.]+$/.test(hostPart)) {
    // All digits and dots: it can only be an IPv4 address, so judge it as one.
    if (!isStrictIPv4(hostPart)) {
      return fail(`${what} has an invalid IPv4 address (four numbers from 0 to 255, no leading zeros)`);
    }
    host = hostPart;
    kind = 'ipv4';
  } else {
    if (hostPart.endsWith('.') && hostPart.length > 1) {
      // A trailing-dot FQDN changes the Host header and TLS name the upstream sees; make it explicit.
      const fixed = hostPart.replace(/\.+$/, '');
      return fail(`${what} host must not end with a dot`, port === undefined ? fixed : `${fixed}:${port}`);
    }
    const dns = checkDnsName(hostPart, { what: `${what} host`, allowWildcard: false, requireDot: false });
    if (!dns.ok) {
      const fix = dns.fixName === undefined ? undefined : port === undefined ? dns.fixName : `${dns.fixName}:${port}`;
      return fail(dns.rule, fix);
    }
    host = dns.value;
    kind = 'dns';
  }

  if (port === undefined && opts.portRequired) {
    // Caddy would assume :80 for a bare host; spell it out so the address is unambiguous.
    return fail(`${what} needs a port (host:port)`, `${host}:80`);
  }
  return { ok: true, value: port === undefined ? { host, kind } : { host, port, kind } };
}
