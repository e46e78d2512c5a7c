// Shared by `login` and `profile add|show|list`: reading a token without it landing in argv,
// checking it and the API URL, and showing a token only masked.
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import { CONTROL_CHARS } from '../../control-chars.js';

/** A token as it may be shown: "…" + its last 4 characters (nothing of a short token). */
export function maskToken(token: string | null | undefined): string | null {
  if (!token) return null;
  return token.length >= 12 ? `…${token.slice(-4)}` : '…';
}

/** Rejects an unusable token without ever echoing it. */
export function checkToken(token: string, source: string): string {
  if (token === '') throw new UsageError(`the API token from ${source} is empty`, { hint: 'pipe it in: printf %s "$TOKEN" | ownstack login --token-stdin' });
  if (/[\s\p{Cc}]/u.test(token)) throw new UsageError(`the API token from ${source} contains whitespace or control characters (check how it was pasted)`);
  if (token.length > 4096) throw new UsageError(`the API token from ${source} is longer than 4096 characters`);
  return token;
}

export interface TokenFlags {
  token?: string;
  tokenStdin?: boolean;
}

/**
 * The token for login / profile add: --token, or --token-stdin (stdin, or a no-echo prompt on a
 * terminal). `fallback` lists where to look when neither flag is given.
 */
export async function readToken(flags: TokenFlags, ctx: Context, fallback: 'env-then-stdin' | 'none'): Promise<{ token: string; source: string }> {
  if (flags.token !== undefined && flags.tokenStdin) {
    throw new UsageError('give only one of --token and --token-stdin', { hint: '--token-stdin keeps the token out of your shell history' });
  }
  if (flags.token !== undefined) return { token: checkToken(flags.token, '--token'), source: '--token' };
  if (!flags.tokenStdin && fallback === 'none') {
    throw new UsageError('give the token with --token-stdin (recommended) or --token', { hint: 'printf %s "$TOKEN" | ownstack profile add <name> --token-stdin' });
  }
  if (!flags.tokenStdin) {
    for (const name of ['OWNSTACK_API_TOKEN', 'OWNSTACK_TOKEN']) {
      const v = ctx.env[name];
      if (v) return { token: checkToken(v, name), source: name };
    }
  }
  const source = ctx.io.stdinIsTTY ? 'the prompt' : 'stdin';
  return { token: checkToken(await ctx.prompt.readSecret('API token'), source), source };
}

/** Checks an API base URL: http(s)://host[:port][/prefix], no query, fragment or credentials. Returns it without a trailing slash. */
export function checkApiUrl(raw: string, flag: string): string {
  const fail = (rule: string, fix?: string): never => {
    throw new UsageError(`invalid ${flag} "${raw}": ${rule}${fix ? ` — try ${flag}=${fix}` : ''}`, {
      details: { code: 'invalid', message: rule, field: flag, value: raw, rule, ...(fix ? { hint: fix } : {}) },
    });
  };
  const rule = 'the API URL must be http(s)://host[:port], optionally with a path prefix';
  if (raw.trim() === '') fail(rule, 'https://api.ownstack.org');
  // WHATWG URL parsing silently drops tabs and newlines: refuse them rather than read another URL.
  if (CONTROL_CHARS.test(raw) || /\s/.test(raw.trim())) fail(`${rule}: no spaces or control characters`);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    const fixed = safeUrl(`https://${raw.trim()}`);
    return fail(`${rule}: it has no scheme`, fixed ? stripUrl(fixed) : undefined);
  }
  const url = safeUrl(raw.trim());
  if (!url) return fail(rule);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`${rule}: the scheme must be http or https`);
  if (url.username || url.password) fail(`${rule}: no user or password in the URL (the token is the credential)`, stripUrl(url));
  if (url.search || url.hash || raw.includes('?') || raw.includes('#')) fail(`${rule}: no query or fragment`, stripUrl(url));
  return stripUrl(url);
}

function safeUrl(s: string): URL | null {
  try {
    return new URL(s);
  } catch {
    return null;
  }
}

function stripUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`.replace(/\/+$/, '');
}

/**
 * A warning for a profile whose token would travel in clear text: an http:// URL to a host other
 * than this machine (localhost, 127.0.0.0/8, ::1). null when the URL is fine.
 */
export function plainHttpWarning(apiUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:') return null;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const loopback = host === 'localhost' || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
  if (loopback) return null;
  return `warning: ${url.origin} is plain http: the token will cross the network unencrypted on every request; use an https URL unless the network is private`;
}
