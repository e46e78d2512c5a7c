// DNS-name checking shared by hostnames, URL upstream hosts and member addresses (internal).
import { domainToASCII, domainToUnicode } from 'node:url';

export const MAX_HOSTNAME_LENGTH = 253;
export const MAX_LABEL_LENGTH = 63;

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const STRICT_IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export interface DnsNameOptions {
  /** How the rule texts name the value, e.g. "a hostname" or "the URL's host". */
  what: string;
  /** Allow a leading `*.` wildcard label (hostnames only). */
  allowWildcard: boolean;
  /** Require at least one dot; URL hosts and addresses may be single-label service names (`localhost`, `api`). */
  requireDot: boolean;
}

export type DnsNameResult = { ok: true; value: string } | { ok: false; rule: string; fixName?: string };

/** True for a dotted-quad IPv4 address without leading zeros (the only IPv4 form we accept). */
export function isStrictIPv4(s: string): boolean {
  return STRICT_IPV4.test(s);
}

/** Checks and normalises a DNS name (no scheme, port or trailing dot): IDN to punycode, lower case, RFC 1123 labels. */
export function checkDnsName(name: string, opts: DnsNameOptions): DnsNameResult {
  const { what } = opts;
  let prefix = '';
  let rest = name;
  if (opts.allowWildcard && rest.startsWith('*.')) {
    prefix = '*.';
    rest = rest.slice(2);
  }
  if (rest.includes('*')) {
    return opts.allowWildcard
      ? { ok: false, rule: `${what} may use a wildcard * only as the whole first label (e.g. *.example.com)` }
      : { ok: false, rule: `${what} must not contain a wildcard *` };
  }
  if (rest.includes('_')) {
    return { ok: false, rule: `${what} may contain only letters, digits, dashes and dots (no underscores: RFC 1123)` };
  }
  if (rest === '') return { ok: false, rule: `${what} must not be empty` };
  // Empty labels are checked before IDN conversion, which would otherwise reject them with a vaguer reason.
  if (rest.split('.').some((l) => l === '')) {
    const collapsed = rest.split('.').filter((l) => l !== '').join('.');
    const r = { ok: false as const, rule: `${what} must not have empty labels (no leading dot and no "..")` };
    return collapsed === '' ? r : { ...r, fixName: prefix + collapsed };
  }
  let ascii: string;
  if (/[^\x00-\x7f]/.test(rest)) {
    const symbol = idnSymbol(rest);
    if (symbol !== null) return { ok: false, rule: idnRule(what, symbol) };
    ascii = domainToASCII(rest);
    if (ascii === '') return { ok: false, rule: `${what} is not a valid internationalised domain name` };
  } else {
    ascii = rest.toLowerCase();
  }
  if (/[^a-z0-9.-]/.test(ascii)) {
    return { ok: false, rule: `${what} may contain only letters, digits, dashes and dots` };
  }
  const labels = ascii.split('.');
  if (labels.some((l) => l === '')) return { ok: false, rule: `${what} must not have empty labels (no leading dot and no "..")` };
  if (labels.some((l) => l.length > MAX_LABEL_LENGTH)) {
    return { ok: false, rule: `${what} must have labels (the parts between dots) of 1 to ${MAX_LABEL_LENGTH} characters` };
  }
  if (labels.some((l) => !LABEL.test(l))) {
    return { ok: false, rule: `${what} must have labels that start and end with a letter or digit (dashes only inside)` };
  }
  // A numeric last label makes the name read as an IPv4 address (WHATWG and resolvers parse it that way).
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) {
    return { ok: false, rule: `${what} must not end in an all-digit label (it would read as an IP address)` };
  }
  // An ASCII xn-- label must be valid punycode, or the name cannot round-trip to Unicode.
  if (labels.some((l) => l.startsWith('xn--'))) {
    if (domainToASCII(ascii) !== ascii) return { ok: false, rule: `${what} has an xn-- label that is not valid punycode` };
    // The same IDNA 2008 character rule as for a name written in Unicode (xn--ls8h is an emoji).
    const symbol = idnSymbol(domainToUnicode(ascii));
    if (symbol !== null) return { ok: false, rule: idnRule(what, symbol) };
  }
  if (opts.requireDot && labels.length < 2) {
    return {
      ok: false,
      rule: `${what} needs at least one dot (e.g. example.com, or app.localhost for this machine): a single label like ${ascii} is refused`,
    };
  }
  const value = prefix + ascii;
  if (value.length > MAX_HOSTNAME_LENGTH) {
    return { ok: false, rule: `${what} must be at most ${MAX_HOSTNAME_LENGTH} characters` };
  }
  return { ok: true, value };
}

// IDNA 2008 (RFC 5892) lets a label hold letters, combining marks and digits of any script, and
// nothing else: no symbols, emoji or punctuation (UTS 46's lenient mapping that Node's domainToASCII
// applies would accept 😀.com). Returns the first code point that breaks the rule, or null.
function idnSymbol(name: string): string | null {
  for (const ch of name.normalize('NFC')) {
    if (ch === '.' || ch === '-' || /[a-zA-Z0-9]/.test(ch)) continue;
    // Full-width and ideographic dots are label separators in UTS 46.
    if (/[\u3002\uff0e\uff61]/.test(ch)) continue;
    if (!/[\p{L}\p{M}\p{Nd}]/u.test(ch)) return ch;
  }
  return null;
}

function idnRule(what: string, ch: string): string {
  const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return `${what} may contain letters, marks and digits of any script (IDNA 2008), not symbols, emoji or punctuation like ${code}`;
}
