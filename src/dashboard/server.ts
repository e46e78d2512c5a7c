// The dashboard's HTTP side: the pages (/, /maintenance, /maintenance/new, /clusters/:name and its
// live part), sign-in with a one-time code (/login) and sign-out (/logout), and the two assets.
// Everything a page does goes through the API (/api/…) with the session cookie and CSRF token;
// this module only renders what the API's own operations answer.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Cluster, ClusterStatus, Deploy, Member } from '../api/schemas.js';
import type { DashboardLink } from '../api/dashboard.js';
import { CLIENT_SCRIPT } from './assets/client.js';
import { STYLESHEET } from './assets/style.js';
import { html, type Html } from './html.js';
import { clusterBody, clustersBody, liveBody, messagePage, newClusterBody, page, type AssetUrls } from './pages.js';
import { DashboardSessions, SESSION_TTL_MS, sessionCookie, sessionSetCookie } from './sessions.js';
import type { MaintenanceHost } from '../api/maintenance.js';

/** What the pages read, answered by the service's own operations. */
export interface DashboardDeps {
  clusters: () => Cluster[];
  status: (ref: string) => Promise<ClusterStatus>;
  members: (ref: string) => Member[];
  /** The cluster's deploy job in progress (or the last one while the status names it). */
  deploy: (ref: string, id: number) => Deploy | null;
  /** The hosts under maintenance (none when absent). */
  maintenance?: () => MaintenanceHost[];
  sessions?: DashboardSessions;
}

/** An error with an HTTP status the pages turn into a message page (the control plane's HttpError fits). */
interface StatusError {
  status: number;
  body?: { message?: string };
  message: string;
}

interface Asset {
  url: string;
  type: string;
  body: Buffer;
  gzip: Buffer;
}

function asset(name: string, ext: string, type: string, text: string): Asset {
  const body = Buffer.from(text, 'utf8');
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { url: `/assets/${name}-${hash}.${ext}`, type, body, gzip: gzipSync(body, { level: 9 }) };
}

// No inline script or style anywhere: the policy allows this origin's files only.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** The dashboard: `handle` answers every request outside /api/; `link` makes a one-time login link. */
export function createDashboard(deps: DashboardDeps) {
  const sessions = deps.sessions ?? new DashboardSessions();
  const css = asset('dashboard', 'css', 'text/css; charset=utf-8', STYLESHEET);
  const js = asset('dashboard', 'js', 'text/javascript; charset=utf-8', CLIENT_SCRIPT);
  const assets: AssetUrls = { css: css.url, js: js.url };
  const byUrl = new Map([css, js].map((a) => [a.url, a]));

  const send = (req: IncomingMessage, res: ServerResponse, status: number, type: string, body: Buffer, headers: Record<string, string> = {}): number => {
    const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && body.length > 1024;
    const out = gz ? gzipSync(body) : body;
    res.writeHead(status, {
      'content-type': type,
      'content-length': out.length,
      'cache-control': 'no-store',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      vary: 'accept-encoding',
      ...(gz ? { 'content-encoding': 'gzip' } : {}),
      ...headers,
    });
    res.end(req.method === 'HEAD' ? undefined : out);
    return status;
  };
  const sendHtml = (req: IncomingMessage, res: ServerResponse, status: number, doc: Html, headers: Record<string, string> = {}) =>
    send(req, res, status, 'text/html; charset=utf-8', Buffer.from(doc.text, 'utf8'), headers);
  const message = (req: IncomingMessage, res: ServerResponse, status: number, title: string, ...lines: Html[]) => sendHtml(req, res, status, messagePage(assets, title, lines));
  const signIn = (req: IncomingMessage, res: ServerResponse) =>
    message(req, res, 401, 'Sign in', html`Run <code>ownstack dashboard</code> in a terminal and open the one-time link it prints (<code>ownstack dashboard --open</code> opens it for you).`);

  async function livePart(ref: string): Promise<{ status: ClusterStatus; live: Html }> {
    const status = await deps.status(ref);
    const deploy = status.deploy ? deps.deploy(ref, status.deploy.id) : null;
    return { status, live: liveBody(status, deps.members(ref), deploy) };
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<number> {
    const method = (req.method ?? 'GET').toUpperCase();
    const reading = method === 'GET' || method === 'HEAD';

    const file = byUrl.get(path);
    if (file && reading) {
      const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      res.writeHead(200, {
        'content-type': file.type,
        'content-length': (gz ? file.gzip : file.body).length,
        // The name carries the content's hash: a new build is a new URL.
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
        vary: 'accept-encoding',
        ...(gz ? { 'content-encoding': 'gzip' } : {}),
      });
      res.end(method === 'HEAD' ? undefined : gz ? file.gzip : file.body);
      return 200;
    }
    if (path === '/favicon.ico' && reading) {
      res.writeHead(204, { 'cache-control': 'public, max-age=86400' });
      res.end();
      return 204;
    }

    if (path === '/login' && reading) {
      const code = query.get('code') ?? '';
      const started = code === '' ? null : sessions.redeem(code);
      if (!started) {
        return message(
          req,
          res,
          403,
          'This login link does not work',
          html`A login link works once, for 5 minutes. This one was already used, has expired, or was never issued by this control plane.`,
          html`Run <code>ownstack dashboard</code> for a new one.`,
        );
      }
      // A page that moves on by itself instead of a redirect: the browser then sends the new
      // SameSite=Strict cookie even when the link was opened from another site or application.
      return sendHtml(
        req,
        res,
        200,
        html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=/maintenance"><title>Signed in · ownstack</title><link rel="stylesheet" href="${assets.css}"></head><body><main id="main"><p>Signed in. <a href="/maintenance">Continue to the clusters</a>.</p></main></body></html>`,
        { 'set-cookie': sessionSetCookie(req, started.id, Math.floor(SESSION_TTL_MS / 1000)) },
      );
    }

    const session = sessions.lookup(sessionCookie(req));
    if (path === '/logout' && method === 'POST') {
      const refused = sessions.check(req);
      if (refused) return message(req, res, refused.status, refused.status === 401 ? 'Sign in' : 'Refused', html`${refused.message}`);
      sessions.end(sessionCookie(req));
      res.setHeader('set-cookie', sessionSetCookie(req, '', 0));
      return message(req, res, 200, 'Signed out', html`Run <code>ownstack dashboard</code> to sign in again.`);
    }
    if (!reading) {
      res.setHeader('allow', 'GET, HEAD');
      return message(req, res, 405, 'Not allowed', html`${method} is not allowed on ${path}.`);
    }
    if (!session) return signIn(req, res);
    const shell = (title: string, body: Html, current?: 'clusters' | 'new') => page({ title, assets, csrf: session.csrf, current, body });

    if (path === '/') {
      res.writeHead(303, { location: '/maintenance', 'cache-control': 'no-store' });
      res.end();
      return 303;
    }
    if (path === '/maintenance') {
      const statuses = await Promise.all(deps.clusters().map((c) => deps.status(String(c.id))));
      return sendHtml(req, res, 200, shell('Clusters', clustersBody(statuses, deps.maintenance?.() ?? []), 'clusters'));
    }
    if (path === '/maintenance/new') return sendHtml(req, res, 200, shell('New cluster', newClusterBody(), 'new'));
    const m = /^\/clusters\/([^/]+)(\/live)?$/.exec(path);
    if (m) {
      let ref: string;
      try {
        ref = decodeURIComponent(m[1]!);
      } catch {
        return message(req, res, 400, 'Not a cluster name', html`The path does not decode as UTF-8.`);
      }
      const { status, live } = await livePart(ref);
      if (m[2]) return send(req, res, 200, 'text/html; charset=utf-8', Buffer.from(live.text, 'utf8'));
      return sendHtml(req, res, 200, shell(`Cluster ${status.cluster.name}`, clusterBody(status, live)));
    }
    return message(req, res, 404, 'Not found', html`There is no page at ${path}. <a href="/maintenance">Go to the clusters</a>.`);
  }

  return {
    sessions,
    assets,
    /** Answers a request outside /api/ (the caller has checked the Host header); returns the status sent. */
    async handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<number> {
      try {
        return await route(req, res, path, query);
      } catch (err) {
        const e = err as StatusError;
        if (typeof e?.status !== 'number' || res.headersSent) throw err;
        return message(req, res, e.status, e.status === 404 ? 'Not found' : 'Refused', html`${e.body?.message ?? e.message}`, html`<a href="/maintenance">Go to the clusters</a>.`);
      }
    },
    /** A one-time login link (the path; the CLI puts its own control plane URL in front). */
    link(): DashboardLink {
      const { code, expiresAt } = sessions.issueCode();
      return { path: `/login?code=${code}`, expires_at: new Date(expiresAt).toISOString() };
    },
  };
}

export type Dashboard = ReturnType<typeof createDashboard>;
