// The dashboard's terminal side, through the built CLI: `ownstack dashboard` (the one-time link,
// --open with and without xdg-open), `cluster status --watch` piped and in a pty (the status event
// stream, Ctrl-C exits 0), the dashboard served by `local start --foreground` (the in-process
// server bundle, a separate load path from the background control plane), and sign-in over the
// `local start --listen` HTTPS listener (a Secure cookie there, even by a loopback address).
import { request as httpsRequest } from 'node:https';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/net.js';
import { spawnInPty } from '../helpers/pty.js';
import { waitFor } from '../helpers/wait.js';
import { assertBuilt, cleanEnv, cleanupHome, e2eHome, ok, okJson, ownstack, ownstackCommand, ROOT, serverInfo, startUpstreams, waitGone, type Upstream } from '../helpers/e2e.js';

let home: string;
let ups: Upstream[];
let closeUpstreams: () => Promise<void>;
let bins: string;

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;

beforeAll(async () => {
  assertBuilt();
  home = e2eHome('dashboard-cli');
  bins = mkdtempSync(join(tmpdir(), 'ownstack-bins-'));
  ({ upstreams: ups, close: closeUpstreams } = await startUpstreams(['one']));
  await ok(home, ['cluster', 'create', 'api', '--edge=none']);
  await ok(home, ['cluster', 'domain', 'add', 'api', 'api.example.com']);
  await ok(home, ['cluster', 'variant', 'add', 'api', 'blue', '--weight=100']);
  await ok(home, ['local', 'app', 'add', 'm1', `--addr=${ups[0]!.addr}`]);
  await ok(home, ['cluster', 'upstream', 'add', 'api', '--variant=blue', '--app=m1']);
}, 120_000);

afterAll(async () => {
  await cleanupHome(home);
  await closeUpstreams?.();
  if (bins) rmSync(bins, { recursive: true, force: true });
});

describe('ownstack dashboard', { timeout: 60_000 }, () => {
  it('prints a one-time login link that works once', async () => {
    const link = await okJson<{ url: string; expires_at: string; opened: boolean }>(home, ['dashboard']);
    expect(link.url).toBe(`${serverInfo(home)!.url}/login?code=${link.url.split('code=')[1]}`);
    expect(link.opened).toBe(false);
    expect(Date.parse(link.expires_at) - Date.now()).toBeGreaterThan(4 * 60_000);
    const first = await fetch(link.url);
    expect(first.status).toBe(200);
    expect(first.headers.get('set-cookie')).toMatch(/^ownstack_session_\d+=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect((await fetch(link.url)).status).toBe(403);

    const text = await ok(home, ['dashboard']);
    expect(text.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login\?code=[A-Za-z0-9_-]{43}\n$/);
    expect(text.stderr).toContain('The link works once, until ');
  });

  it('--open hands the link to xdg-open', async () => {
    const dir = join(bins, 'with');
    const seen = join(bins, 'opened.txt');
    mkdirSync(dir);
    writeFileSync(join(dir, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${seen}'\n`);
    chmodSync(join(dir, 'xdg-open'), 0o755);
    const r = await ok(home, ['dashboard', '--open'], { env: { PATH: `${dir}:/usr/bin:/bin` } });
    const url = r.stdout.trim();
    expect(r.stderr).toContain('Opened the link in your browser.');
    await waitFor('xdg-open to run', () => readFileSync(seen, 'utf8') === url, 15_000, { every: 25 });
    expect((await fetch(url)).status).toBe(200);
  });

  it('--open without xdg-open fails clearly and still prints the link', async () => {
    const empty = mkdtempSync(join(bins, 'empty-'));
    const r = await ownstack(home, ['dashboard', '--open'], { env: { PATH: empty } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('cannot open the link: xdg-open is not installed');
    expect(r.stderr).toContain('open the link printed above in a browser yourself');
    expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login\?code=/);
  });
});

describe('cluster status --watch', { timeout: 60_000 }, () => {
  it('piped: timestamped plain lines on every change; Ctrl-C exits 0', async () => {
    const { file, args } = ownstackCommand(['cluster', 'status', 'api', '--watch']);
    const child = execa(file, args, { env: cleanEnv(home), extendEnv: false, reject: false, cwd: ROOT, stdin: 'ignore' });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    await waitFor('the first status', () => /app=m1 \S+ status=active/.test(out), 15_000, { every: 25 });
    const first = out.split('\n').filter((l) => l !== '');
    expect(first.every((l) => ISO.test(l)), out).toBe(true);
    expect(first[0]).toMatch(/ cluster=api generation=\d+ proxies=\d+\/\d+-healthy$/);
    expect(first.some((l) => l.includes(` api.example.com blue app=m1 ${ups[0]!.addr} status=active share=100% health=`))).toBe(true);

    await ok(home, ['cluster', 'member', 'drain', 'api', 'm1']);
    await waitFor('the drain to show', () => /app=m1 \S+ status=draining/.test(out), 15_000, { every: 25 });
    // No ANSI when piped.
    expect(out).not.toContain('\x1b[');
    child.kill('SIGINT');
    const done = await child;
    expect(done.exitCode, String(done.stderr)).toBe(0);
    await ok(home, ['cluster', 'member', 'undrain', 'api', 'm1']);
  });

  it('in a terminal: redraws the topology on every change; Ctrl-C exits 0', async () => {
    const child = spawnInPty(home, ['cluster', 'status', 'api', '--watch']);
    let raw = '';
    child.stdout.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const frames = () => raw.split('\x1b[2J').length - 1;
    await waitFor('the first frame', () => frames() >= 1 && raw.includes('watching for changes, Ctrl-C to stop') && raw.includes('m1'), 15_000, { every: 25 });
    const before = frames();
    await ok(home, ['cluster', 'member', 'weight', 'api', 'm1', '50']);
    await waitFor('a new frame', () => frames() > before && raw.lastIndexOf('weight 50') > raw.lastIndexOf('\x1b[2J'), 15_000, { every: 25 });
    // Ctrl-C as typed at the terminal.
    child.stdin.write('\x03');
    const code = await closed;
    expect(code, raw.slice(-500)).toBe(0);
  });

  it('--watch with --json is refused (exit 2); an unknown cluster is not found (exit 3)', async () => {
    const both = await ownstack(home, ['cluster', 'status', 'api', '--watch', '--json']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('--watch cannot be combined with --json');
    const missing = await ownstack(home, ['cluster', 'status', 'nope', '--watch']);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toContain('nope');
  });
});

describe('packaging', { timeout: 60_000 }, () => {
  it('npm pack ships the assets inside the server bundles, and the CLI bundle has none of the dashboard', async () => {
    const r = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, env: { ...process.env, npm_config_offline: 'true' } });
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    const withAssets = files.filter((f) => /^dist\/.*\.(js|cjs)$/.test(f) && /--accent-text/.test(readFileSync(join(ROOT, f), 'utf8')) && /x-csrf-token/.test(readFileSync(join(ROOT, f), 'utf8')));
    // The background control plane's chunk and `local start --foreground`'s in-process server.
    expect(withAssets.some((f) => f.startsWith('dist/server-'))).toBe(true);
    expect(withAssets).toContain('dist/ownstack-server.cjs');
    expect(readFileSync(join(ROOT, 'dist/ownstack.bundle.js'), 'utf8')).not.toMatch(/csrf-token|createDashboard/);
  });
});

describe('local start --foreground serves the dashboard too', { timeout: 60_000 }, () => {
  it('pages, assets and sign-in from the in-process server', async () => {
    const fg = e2eHome('dashboard-cli');
    try {
      const { file, args } = ownstackCommand(['local', 'start', '--foreground']);
      const child = execa(file, args, { env: cleanEnv(fg), extendEnv: false, reject: false });
      await waitFor('server.json', () => serverInfo(fg)?.pid === child.pid || child.exitCode !== null, 20_000, { every: 25 });
      const base = serverInfo(fg)!.url;
      const anon = await fetch(`${base}/maintenance`);
      expect(anon.status).toBe(401);
      expect(await anon.text()).toContain('<h1>Sign in</h1>');
      const link = await okJson<{ url: string }>(fg, ['dashboard']);
      const login = await fetch(link.url);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const page = await fetch(`${base}/maintenance`, { headers: { cookie } });
      expect(page.status).toBe(200);
      const html = await page.text();
      const js = /src="(\/assets\/dashboard-[0-9a-f]{12}\.js)"/.exec(html)![1]!;
      const script = await fetch(`${base}${js}`);
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await script.text()).toContain('csrf-token');
      expect((await okJson<{ pid: number }>(fg, ['local', 'stop'])).pid).toBe(child.pid);
      expect((await child).exitCode).toBe(0);
      expect(await waitGone(child.pid!)).toBe(true);
    } finally {
      await cleanupHome(fg);
    }
  });
});

/** A GET over TLS that trusts the self-signed certificate (like `curl -k`), with optional headers. */
function httpsGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; setCookie: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { rejectUnauthorized: false, headers, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [], body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

describe('the --listen HTTPS listener serves the dashboard', { timeout: 90_000 }, () => {
  it('signs in with a Secure cookie there, also by a loopback address, and the session works over TLS', async () => {
    const tls = e2eHome('dashboard-cli');
    try {
      const port = await freePort();
      await ok(tls, ['local', 'start', `--listen=127.0.0.1:${port}`, '--tls-self-signed']);
      // The link names the loopback http URL; its code works on either listener (one server).
      const link = await okJson<{ url: string }>(tls, ['dashboard']);
      const code = new URL(link.url).search;
      const login = await httpsGet(`https://127.0.0.1:${port}/login${code}`);
      expect(login.status).toBe(200);
      expect(login.setCookie).toHaveLength(1);
      expect(login.setCookie[0]).toMatch(new RegExp(`^ownstack_session_${port}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$`));
      const cookie = login.setCookie[0]!.split(';')[0]!;
      const page = await httpsGet(`https://127.0.0.1:${port}/maintenance`, { cookie });
      expect(page.status).toBe(200);
      expect(page.body).toContain('<h1>Clusters</h1>');
      // By another name the cookie is the __Host- one (Secure, this host only).
      const other = await httpsGet(`https://127.0.0.1:${port}/login${new URL((await okJson<{ url: string }>(tls, ['dashboard'])).url).search}`, { host: `cp.example.com:${port}` });
      expect(other.setCookie[0]).toMatch(/^__Host-ownstack_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/);
    } finally {
      await cleanupHome(tls);
    }
  });
});
