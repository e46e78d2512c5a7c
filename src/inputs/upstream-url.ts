// URL upstreams: `http(s)://host[:port]` and nothing else, because Caddy's reverse_proxy refuses
// paths, queries and fragments, and the value is pasted into a Caddyfile via an env var.
import { type CheckResult, accept, reject, schemaFromCheck, suggest } from './check-result.js';
import { formatAuthority, parseAuthority } from './authority.js';

export const URL_SHAPE_RULE = 'a URL upstream must be scheme://host[:port] with no path, query or fragment';
const WHAT = 'a URL upstream';

/**
 * Checks a URL upstream and returns it normalised: lower-case scheme and host, punycode, and the
 * scheme's default port left out (`https://x.com:443` is `https://x.com`), so equal targets are one.
 */
export function checkUpstreamUrl(raw: string): CheckResult {
  if (raw === '') return reject(`${WHAT} is required, e.g. https://app.example.com`);
  const trimmed = raw.trim();
  if (/^\s/.test(raw)) {
    return reject(`${WHAT} must not contain whitespace`, trimmed === '' ? undefined : suggest(checkUpstreamUrl, trimmed));
  }

  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(raw);
  if (m === null) return rejectWithoutScheme(raw);
  const scheme = (m[1] ?? '').toLowerCase();
  const rest = m[2] ?? '';
  if (scheme !== 'http' && scheme !== 'https') {
    return reject(`${WHAT} must use http:// or https:// (Caddy proxies to nothing else here)`);
  }

  const cut = rest.search(/[/?#]/);
  const authority = cut < 0 ? rest : rest.slice(0, cut);
  const tail = cut < 0 ? '' : rest.slice(cut);
  // Trailing whitespace after a path is part of the path: that rule (and its fix) covers it.
  if (tail === '' && authority.trimEnd() !== authority) {
    return reject(`${WHAT} must not contain whitespace`, suggest(checkUpstreamUrl, raw.trimEnd()));
  }
  const parsed = parseAuthority(authority, { what: WHAT, portRequired: false });
  if (!parsed.ok) {
    const fix = parsed.fixAuthority === undefined ? undefined : suggest(checkUpstreamUrl, `${scheme}://${parsed.fixAuthority}${tail}`);
    return reject(parsed.rule, fix);
  }
  const { host, port } = parsed.value;
  // Caddy 2.6 compares the port text with the scheme's opposite default and refuses the pair.
  if (scheme === 'https' && port === '80') {
    return reject(`${WHAT} cannot combine https:// with port 80 (Caddy refuses the conflict); drop the port or use http://`, `https://${host}`);
  }
  if (scheme === 'http' && port === '443') {
    return reject(`${WHAT} cannot combine http:// with port 443 (Caddy refuses the conflict); use https://`, `https://${host}`);
  }
  const defaultPort = (scheme === 'https' && port === '443') || (scheme === 'http' && port === '80');
  const value = `${scheme}://${formatAuthority(defaultPort ? { host, kind: parsed.value.kind } : parsed.value)}`;
  // Even a lone trailing "/" is a path to Caddy's upstream parser.
  if (tail !== '') return reject(URL_SHAPE_RULE, value);
  return accept(value);
}

// No "scheme://": either a malformed separator ("https:/x", "https:x") or a bare host[:port].
function rejectWithoutScheme(raw: string): CheckResult {
  const sep = /^(https?):\/*/i.exec(raw);
  if (sep !== null && !/^\d/.test(raw.slice(sep[0].length))) {
    const scheme = (sep[1] ?? '').toLowerCase();
    return reject(`${WHAT} must start with http:// or https://`, suggest(checkUpstreamUrl, `${scheme}://${raw.slice(sep[0].length)}`));
  }
  if (raw.includes('://')) return reject(`${WHAT} must start with http:// or https://`);
  // A bare host:port other than 443 is most likely a plain-HTTP service.
  const port = /:(\d+)(?:[/?#]|$)/.exec(raw)?.[1];
  const scheme = port !== undefined && port !== '443' ? 'http' : 'https';
  return reject(`${WHAT} must start with http:// or https://`, suggest(checkUpstreamUrl, `${scheme}://${raw}`));
}

/** Zod schema for a URL upstream: outputs the normalised URL; issues carry the rule and params.fix. */
export const upstreamUrlSchema = schemaFromCheck(checkUpstreamUrl, `${WHAT} must be a string`);

/**
 * The Host header the proxy's bridge sends a URL upstream: its own host and port, default port
 * included (`https://x.com` → `x.com:443`), as Caddy's {upstream_hostport} spells it.
 */
export function urlHostPort(url: string): string {
  const m = /^(https?):\/\/([^/?#]+)$/i.exec(url);
  if (m === null) return url;
  const authority = m[2]!;
  const hasPort = authority.startsWith('[') ? /\]:\d+$/.test(authority) : /:\d+$/.test(authority);
  return hasPort ? authority : `${authority}:${m[1]!.toLowerCase() === 'https' ? 443 : 80}`;
}
