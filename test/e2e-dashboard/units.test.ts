// The dashboard's server-side pieces on their own: login codes and sessions (one use, expiry,
// CSRF), the cookie's attributes on and off loopback, HTML escaping, the Hosts table, and what
// counts as a status change.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../src/api/schemas.js';
import { html } from '../../src/dashboard/html.js';
import { clustersBody, hostsOf } from '../../src/dashboard/pages.js';
import { DashboardSessions, LOGIN_CODE_TTL_MS, MAX_CODES, SESSION_TTL_MS, cookieName, sessionCookie, sessionSetCookie } from '../../src/dashboard/sessions.js';
import { statusFingerprint } from '../../src/dashboard/status-events.js';

const req = (headers: Record<string, string>, method = 'GET') => ({ headers, method }) as unknown as IncomingMessage;

describe('login codes and sessions', () => {
  it('a code works once, and not after 5 minutes', () => {
    let now = 1_000_000;
    const s = new DashboardSessions(() => now);
    const { code } = s.issueCode();
    expect(s.redeem(code)).not.toBeNull();
    expect(s.redeem(code)).toBeNull();
    const late = s.issueCode().code;
    now += LOGIN_CODE_TTL_MS + 1;
    expect(s.redeem(late)).toBeNull();
    expect(s.redeem('never-issued')).toBeNull();
  });

  it('a flood of links keeps only the newest codes', () => {
    const s = new DashboardSessions();
    const first = s.issueCode().code;
    for (let i = 0; i < MAX_CODES; i++) s.issueCode();
    expect(s.redeem(first)).toBeNull();
  });

  it('a session reads without CSRF, changes state only with its own token, and expires', () => {
    let now = 5_000_000;
    const s = new DashboardSessions(() => now);
    const started = s.redeem(s.issueCode().code)!;
    const cookie = { host: '127.0.0.1:4000', cookie: `other=1; ${cookieName(req({ host: '127.0.0.1:4000' }))}=${started.id}` };
    expect(s.check(req(cookie))).toBeNull();
    expect(s.check(req(cookie, 'POST'))).toMatchObject({ status: 403 });
    expect(s.check(req({ ...cookie, 'x-csrf-token': 'wrong' }, 'DELETE'))).toMatchObject({ status: 403 });
    expect(s.check(req({ ...cookie, 'x-csrf-token': started.session.csrf }, 'POST'))).toBeNull();
    expect(s.check(req({ host: '127.0.0.1:4000', cookie: 'ownstack_session_4000=forged' }))).toMatchObject({ status: 401 });
    // Another control plane's cookie (another port) is not this one's.
    expect(sessionCookie(req({ host: '127.0.0.1:4001', cookie: cookie.cookie }))).toBeUndefined();
    now += SESSION_TTL_MS + 1;
    expect(s.check(req(cookie))).toMatchObject({ status: 401 });
  });

  it('the cookie is HttpOnly and SameSite=Strict; Secure with the __Host- prefix off loopback', () => {
    expect(sessionSetCookie(req({ host: '127.0.0.1:4000' }), 'abc', 60)).toBe('ownstack_session_4000=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60');
    expect(sessionSetCookie(req({ host: 'localhost:4000' }), 'abc', 60)).not.toContain('Secure');
    expect(sessionSetCookie(req({ host: '[::1]:4000' }), 'abc', 60)).not.toContain('Secure');
    expect(sessionSetCookie(req({ host: 'cp.example.com' }), 'abc', 60)).toBe('__Host-ownstack_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure');
  });

  it('over TLS (the --listen listener) the cookie is Secure, also by a loopback address', () => {
    const tls = (host: string) => ({ headers: { host }, method: 'GET', socket: { encrypted: true } }) as unknown as IncomingMessage;
    expect(sessionSetCookie(tls('127.0.0.1:8443'), 'abc', 60)).toBe('ownstack_session_8443=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure');
    expect(sessionSetCookie(tls('localhost:8443'), '', 0)).toBe('ownstack_session_8443=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure');
    expect(sessionSetCookie(tls('10.0.0.5:8443'), 'abc', 60)).toBe('__Host-ownstack_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure');
  });
});

describe('pages', () => {
  it('escapes every interpolated value, keeps nested templates', () => {
    const name = '<script>alert("x")</script>&\'';
    expect(html`<p title="${name}">${name} ${html`<b>${'<i>'}</b>`} ${[html`<br>`, '<br>']}</p>`.text).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39; <b>&lt;i&gt;</b> <br>&lt;br&gt;</p>',
    );
  });

  it('the Hosts table: the host part of every upstream address, with the clusters that use it', () => {
    const up = (kind: 'url' | 'app', addresses: string[]) => ({ kind, addresses: addresses.map((address) => ({ address, health: 'healthy' })) });
    const status = (name: string, upstreams: ReturnType<typeof up>[]) =>
      ({ cluster: { name }, hostnames: [{ hostname: 'a.example.com', variants: [{ upstreams }] }] }) as unknown as ClusterStatus;
    const rows = hostsOf([
      status('api', [up('app', ['10.0.0.5:3000', '10.0.0.6:3000']), up('url', ['https://app.internal:8443'])]),
      status('web', [up('app', ['10.0.0.5:4000']), up('url', ['http://[fd00::1]:80'])]),
    ]);
    expect(rows).toEqual([
      { host: '10.0.0.5', addresses: ['10.0.0.5:3000', '10.0.0.5:4000'], clusters: ['api', 'web'] },
      { host: '10.0.0.6', addresses: ['10.0.0.6:3000'], clusters: ['api'] },
      { host: 'app.internal', addresses: ['app.internal:8443'], clusters: ['api'] },
      { host: 'fd00::1', addresses: ['[fd00::1]:80'], clusters: ['web'] },
    ]);
  });

  it("the Hosts table's Maintenance column: a host under maintenance, since when, how many addresses drained; the others in service", () => {
    const status = {
      cluster: { name: 'api', hostnames: ['a.example.com'], edge: 'none', member_count: 2, updated_at: null, variants: [] },
      proxies: [],
      hostnames: [{ hostname: 'a.example.com', variants: [{ upstreams: [{ kind: 'app', addresses: [{ address: '127.0.0.5:3000', health: 'healthy' }, { address: '127.0.0.6:3000', health: 'healthy' }] }] }] }],
    } as unknown as ClusterStatus;
    const text = String(
      clustersBody([status], [{ host: '127.0.0.5', started_at: '2026-12-07T06:00:00.000Z', forced: false, drained: [{ cluster: 'api', upstream_id: 1, address: '127.0.0.5:3000' }], in_flight: 0 } as never]),
    );
    expect(text).toContain('<th scope="col">Maintenance</th>');
    const row5 = text.slice(text.indexOf('<th scope="row">127.0.0.5</th>'));
    expect(row5.slice(0, row5.indexOf('</tr>'))).toMatch(/under maintenance<\/span> since <time datetime="2026-12-07T06:00:00.000Z">.*1 address drained/);
    const row6 = text.slice(text.indexOf('<th scope="row">127.0.0.6</th>'));
    expect(row6.slice(0, row6.indexOf('</tr>'))).toContain('in service');
  });
});

describe('status stream', () => {
  it('a proxy report that changes nothing but its time is not a change', () => {
    const s = { cluster: { name: 'api' }, generation: 3, proxies: [{ name: 'proxy-0', healthz: 'ok', last_seen: '2026-01-01T00:00:00.000Z' }], hostnames: [], warnings: [] } as unknown as ClusterStatus;
    const later = { ...s, proxies: [{ ...s.proxies[0]!, last_seen: '2026-01-01T00:00:05.000Z' }] } as ClusterStatus;
    expect(statusFingerprint(later)).toBe(statusFingerprint(s));
    expect(statusFingerprint({ ...later, proxies: [{ ...later.proxies[0]!, healthz: 'failing' }] } as ClusterStatus)).not.toBe(statusFingerprint(s));
    expect(statusFingerprint({ ...s, generation: 4 })).not.toBe(statusFingerprint(s));
  });
});
