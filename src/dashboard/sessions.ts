// The dashboard's sign-in: one-time login codes (what `ownstack dashboard` prints) and browser
// sessions (an HttpOnly, SameSite=Strict cookie plus a CSRF token for every state-changing request).
// Both live in memory: a restarted control plane forgets them, and `ownstack dashboard` makes a new link.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../inputs/loopback.js';

/** How long a login code may wait for its one use. */
export const LOGIN_CODE_TTL_MS = 5 * 60_000;
/** How long a session lasts after its login (no sliding renewal: a new link starts a new one). */
export const SESSION_TTL_MS = 12 * 60 * 60_000;
/** Codes and sessions kept at once; the oldest goes first (a flood of links cannot grow memory). */
export const MAX_CODES = 64;
export const MAX_SESSIONS = 256;
/** The header a page sends its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

export interface Session {
  csrf: string;
  expiresAt: number;
}

/** Why a cookie-authenticated request is refused (the HTTP layer turns it into 401/403). */
export type SessionRefusal = { status: 401 | 403; message: string; rule: string };

const digest = (s: string): string => createHash('sha256').update(s).digest('base64url');

function equalText(a: string, b: string): boolean {
  const x = Buffer.from(digest(a));
  const y = Buffer.from(digest(b));
  return timingSafeEqual(x, y);
}

/** Login codes and sessions, keyed by the SHA-256 of their secret (a heap dump shows no usable value). */
export class DashboardSessions {
  private readonly codes = new Map<string, number>();
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new one-time login code and when it expires. */
  issueCode(): { code: string; expiresAt: number } {
    this.prune();
    const code = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + LOGIN_CODE_TTL_MS;
    this.codes.set(digest(code), expiresAt);
    while (this.codes.size > MAX_CODES) this.codes.delete(this.codes.keys().next().value!);
    return { code, expiresAt };
  }

  /** Spends a login code: a new session, or null when the code is unknown, used or expired. */
  redeem(code: string): { id: string; session: Session } | null {
    const key = digest(code);
    const expiresAt = this.codes.get(key);
    // Spent on first sight, even when expired: a code never works twice.
    this.codes.delete(key);
    if (expiresAt === undefined || expiresAt < this.now()) return null;
    const id = randomBytes(32).toString('base64url');
    const session = { csrf: randomBytes(32).toString('base64url'), expiresAt: this.now() + SESSION_TTL_MS };
    this.sessions.set(digest(id), session);
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return { id, session };
  }

  /** The live session a cookie value names, or null. */
  lookup(id: string | undefined): Session | null {
    if (id === undefined || id === '') return null;
    const s = this.sessions.get(digest(id));
    if (!s) return null;
    if (s.expiresAt < this.now()) {
      this.sessions.delete(digest(id));
      return null;
    }
    return s;
  }

  end(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(digest(id));
  }

  /**
   * Checks a request that carries no bearer token: null when its session cookie is live and, for a
   * method that changes state, its CSRF header matches the session's token; else why not.
   */
  check(req: IncomingMessage): SessionRefusal | null {
    const session = this.lookup(sessionCookie(req));
    if (!session) {
      return { status: 401, message: 'missing bearer token or dashboard session', rule: 'send Authorization: Bearer <token>, or sign in to the dashboard with the link `ownstack dashboard` prints' };
    }
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'GET' || method === 'HEAD') return null;
    const sent = req.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || sent === '' || !equalText(sent, session.csrf)) {
      return { status: 403, message: `missing or wrong CSRF token (${CSRF_HEADER})`, rule: `a dashboard request that changes state sends the page's CSRF token in ${CSRF_HEADER}` };
    }
    return null;
  }

  private prune(): void {
    const t = this.now();
    for (const [k, exp] of this.codes) if (exp < t) this.codes.delete(k);
    for (const [k, s] of this.sessions) if (s.expiresAt < t) this.sessions.delete(k);
  }
}

/** True when the request reached us by a loopback name (no TLS there; anything else must be https). */
export function viaLoopback(req: IncomingMessage): boolean {
  const host = String(req.headers.host ?? '').trim().toLowerCase();
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::\d{1,5})?$/.exec(host);
  return m !== null && isLoopbackHost((m[1] ?? m[2] ?? '').replace(/\.$/, ''));
}

/**
 * The cookie's name. Browsers share cookies between ports of one host, so two local control planes
 * (two state folders) each get their own name; off loopback the `__Host-` prefix pins it to https and this host.
 */
export function cookieName(req: IncomingMessage): string {
  if (!viaLoopback(req)) return '__Host-ownstack_session';
  const port = /:(\d{1,5})$/.exec(String(req.headers.host ?? ''))?.[1] ?? '80';
  return `ownstack_session_${port}`;
}

/** The session cookie's value on a request, if any. */
export function sessionCookie(req: IncomingMessage): string | undefined {
  const name = cookieName(req);
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** True when the request came over TLS (the `--listen` HTTPS listener). */
export function viaTls(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
}

/**
 * The Set-Cookie value that starts (or, with maxAge 0, ends) a session: Secure over TLS (even by a
 * loopback name) and off loopback; only plain http on loopback goes without.
 */
export function sessionSetCookie(req: IncomingMessage, id: string, maxAgeS: number): string {
  const secure = viaTls(req) || !viaLoopback(req) ? '; Secure' : '';
  return `${cookieName(req)}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`;
}
