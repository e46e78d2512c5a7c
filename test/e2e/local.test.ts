// `ownstack local …` through the built binary: apps, status, logs, foreground mode, a fixed port,
// and exit codes 3 (not found, with did-you-mean) and 5 (switch refused) end to end.
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { checkServerIdentity } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caddyInstalled } from '../proxy-runtime/helpers.js';
import { assertBuilt, BIN, cleanEnv, cleanupHome, e2eHome, localFiles, ok, okJson, ownstack, pidAlive, serverInfo, stopLocal, waitGone } from '../helpers/e2e.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

interface App {
  id: number;
  name: string;
  addresses: string[];
  deploy_cmd: string | null;
  health_path: string;
}

let home: string;
beforeAll(() => {
  assertBuilt();
  home = e2eHome('local');
});
afterAll(async () => {
  await cleanupHome(home);
});

describe('local app', { timeout: 300_000 }, () => {
  it('add, list, show, update, remove', async () => {
    const added = await okJson<App>(home, ['local', 'app', 'add', 'my-rails-app', '--addr=127.0.0.1:3001', '--addr=127.0.0.1:3002', '--deploy-cmd=true', '--health-path=/up']);
    expect(added).toMatchObject({ name: 'my-rails-app', addresses: ['127.0.0.1:3001', '127.0.0.1:3002'], deploy_cmd: 'true', health_path: '/up' });

    const text = await ok(home, ['local', 'app', 'add', 'worker', '--addr=127.0.0.1:4001']);
    expect(text.stdout).toMatch(/^✓ Created app worker \(1 address: 127\.0\.0\.1:4001\)$/m);
    expect(text.stdout).not.toMatch(/\x1b\[/);

    const list = await okJson<App[]>(home, ['local', 'app', 'list']);
    expect(list.map((a) => a.name).sort()).toEqual(['my-rails-app', 'worker']);
    const rows = await ok(home, ['local', 'app', 'list']);
    expect(rows.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]).sort()).toEqual(['my-rails-app', 'worker']);

    expect(await okJson<App>(home, ['local', 'app', 'show', 'my-rails-app'])).toEqual(added);
    expect(await okJson<App>(home, ['local', 'app', 'show', String(added.id)])).toEqual(added);

    const updated = await okJson<App>(home, ['local', 'app', 'update', 'my-rails-app', '--addr=127.0.0.1:3003', '--no-deploy-cmd']);
    expect(updated).toMatchObject({ addresses: ['127.0.0.1:3003'], deploy_cmd: null, health_path: '/up' });

    const nothing = await ownstack(home, ['local', 'app', 'update', 'my-rails-app']);
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr).toContain('nothing to update');

    // Not a terminal and no --yes: refused, nothing removed.
    const noYes = await ownstack(home, ['local', 'app', 'remove', 'worker']);
    expect(noYes.exitCode).toBe(2);
    expect(noYes.stderr).toContain('--yes');
    const removed = await ok(home, ['local', 'app', 'remove', 'worker', '--yes']);
    expect(removed.stdout).toContain('Removed app worker');
    expect((await okJson<App[]>(home, ['local', 'app', 'list'])).map((a) => a.name)).toEqual(['my-rails-app']);
  });

  it('rejects a bad address with exit 2 naming --addr', async () => {
    const r = await ownstack(home, ['local', 'app', 'add', 'bad', '--addr=http://127.0.0.1:3000']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--addr');
    expect(r.stderr).toContain('127.0.0.1:3000');
  });

  it('an app in use by a cluster cannot be removed (exit 5); an unknown app is exit 3', async () => {
    await ok(home, ['cluster', 'create', 'web', '--edge=none', '--hostname=web.example.com']);
    await ok(home, ['cluster', 'variant', 'add', 'web', 'blue', '--weight=100']);
    await ok(home, ['cluster', 'upstream', 'add', 'web', '--variant=blue', '--app=my-rails-app']);
    const inUse = await ownstack(home, ['local', 'app', 'remove', 'my-rails-app', '--yes']);
    expect(inUse.exitCode).toBe(5);
    expect(inUse.stderr).toContain('web');
    const missing = await ownstack(home, ['local', 'app', 'show', 'my-rails-ap']);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toContain('my-rails-app');
  });
});

describe('exit codes end to end', { timeout: 300_000 }, () => {
  it('3: an unknown cluster, with a did-you-mean hint', async () => {
    await ok(home, ['cluster', 'create', 'api', '--edge=none']);
    const r = await ownstack(home, ['cluster', 'show', 'apii']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/apii/);
    expect(r.stderr).toMatch(/hint:.*\bapi\b/);
    const j = await ownstack(home, ['cluster', 'status', 'apj', '--json']);
    expect(j.exitCode).toBe(3);
    expect(j.stdout).toBe('');
  });

  it('5: a switch that would leave a served hostname with no upstream is refused', async () => {
    await ok(home, ['cluster', 'create', 'shop', '--edge=none', '--hostname=shop.example.com']);
    await ok(home, ['cluster', 'variant', 'add', 'shop', 'blue', '--weight=100']);
    await ok(home, ['cluster', 'variant', 'add', 'shop', 'green', '--weight=0']);
    await ok(home, ['cluster', 'upstream', 'add', 'shop', '--variant=blue', '--url=http://127.0.0.1:43001']);
    const before = await okJson(home, ['cluster', 'proxy-config', 'shop']);
    const r = await ownstack(home, ['cluster', 'switch', 'shop', '--to=green']);
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('shop.example.com');
    expect(await okJson(home, ['cluster', 'proxy-config', 'shop'])).toEqual(before);
  });
});

describe('local status and logs', { timeout: 300_000 }, () => {
  it('status in text mode, logs with -n', async () => {
    const s = await ok(home, ['local', 'status']);
    expect(s.stdout).toMatch(/running on http:\/\/127\.0\.0\.1:\d+/);
    expect(s.stdout).toMatch(/^pid\t\d+$/m);
    expect(s.stdout).toMatch(/^clusters\t3$/m);
    const logs = await ok(home, ['local', 'logs', '-n', '1']);
    expect(logs.stdout.trim().split('\n')).toHaveLength(1);
    const all = await okJson<{ lines: string[] }>(home, ['local', 'logs', '-n', '0']);
    expect(all.lines.some((l) => l.includes('listening on'))).toBe(true);
    const bad = await ownstack(home, ['local', 'logs', '-n', 'ten']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--lines');
  });

  it('logs --follow prints new lines until interrupted', async () => {
    // -n 1: the last line printed at once says the follower has taken its place in the file.
    const child = execa(process.execPath, [BIN, 'local', 'logs', '--follow', '-n', '1'], { env: cleanEnv(home), extendEnv: false, reject: false });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor('the last line of the log', () => out.includes('\n'), 20_000, { every: 20 });
    const before = out.length;
    await ok(home, ['local', 'stop']);
    await waitFor('the stop in the followed log', () => /shutting down|stopped/.test(out.slice(before)), 20_000, { every: 50, detail: () => out });
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, 'Ctrl-C ends a follow normally').toBe(0);
  });
});

describe('foreground and fixed port', { timeout: 300_000 }, () => {
  it('local start --foreground runs until SIGTERM, with OWNSTACK_LOCAL_PORT', async () => {
    await stopLocal(home);
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const child = execa(process.execPath, [BIN, 'local', 'start', '--foreground'], { env: cleanEnv(home, { OWNSTACK_LOCAL_PORT: String(port) }), extendEnv: false, reject: false });
    const deadline = Date.now() + 15_000;
    while (!serverInfo(home) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const info = serverInfo(home)!;
    expect(info).toMatchObject({ pid: child.pid, port, url: `http://127.0.0.1:${port}` });

    // Commands use it (no start line); a second foreground start is refused.
    const list = await ok(home, ['cluster', 'list', '--json']);
    expect(list.stderr).not.toContain('Started');
    const twice = await ownstack(home, ['local', 'start', '--foreground']);
    expect(twice.exitCode).toBe(5);
    expect(twice.stderr).toContain('already runs');

    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(String(r.stderr)).toContain(`listening on http://127.0.0.1:${port}`);
    expect(String(r.stderr)).toContain('stopped');
    expect(serverInfo(home)).toBeNull();
    expect(pidAlive(child.pid!)).toBe(false);
    // Logged to server.log too.
    const logs = await okJson<{ lines: string[] }>(home, ['local', 'logs', '-n', '0']);
    expect(logs.lines.some((l) => l.includes('foreground'))).toBe(true);
  });

  it('local stop stops a foreground server too', async () => {
    const child = execa(process.execPath, [BIN, 'local', 'start', '--foreground'], { env: cleanEnv(home), extendEnv: false, reject: false });
    const deadline = Date.now() + 15_000;
    while (!serverInfo(home) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(serverInfo(home)?.pid).toBe(child.pid);
    const stop = await okJson<{ was_running: boolean; pid: number; forced: boolean }>(home, ['local', 'stop']);
    expect(stop).toMatchObject({ was_running: true, pid: child.pid, forced: false });
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(await waitGone(child.pid!)).toBe(true);
    expect(localFiles(home).serverJson && serverInfo(home)).toBeNull();
  });

  it('a port already in use: exit 5 in the background and in the foreground, nothing left running', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as AddressInfo).port;
    try {
      const bg = await ownstack(home, ['local', 'start', `--port=${port}`]);
      expect(bg.exitCode).toBe(5);
      expect(bg.stderr).toContain(`port ${port} is already in use`);
      const fg = await ownstack(home, ['local', 'start', '--foreground'], { env: { OWNSTACK_LOCAL_PORT: String(port) } });
      expect(fg.exitCode).toBe(5);
      expect(serverInfo(home)).toBeNull();
      expect((await okJson<{ running: boolean }>(home, ['local', 'status'])).running).toBe(false);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });
});

describe('local stop and the proxies', { timeout: 300_000 }, () => {
  it.skipIf(!caddyInstalled())('the proxies keep serving after local stop; local stop --proxies stops them and --json counts them', async () => {
    await ok(home, ['cluster', 'create', 'stopme', '--proxy-count=2', '--hostname=stopme.example.com']);
    type Status = { proxies: { state: string; pid: number | null }[] };
    let status = await okJson<Status>(home, ['cluster', 'status', 'stopme']);
    const deadline = Date.now() + 30_000;
    while (!status.proxies.every((p) => p.state === 'running') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = await okJson<Status>(home, ['cluster', 'status', 'stopme']);
    }
    expect(status.proxies.map((p) => p.state)).toEqual(['running', 'running']);
    // Every replica of every cluster in this home (earlier tests made some too).
    const pids: number[] = [];
    for (const c of await okJson<{ name: string }[]>(home, ['cluster', 'list'])) {
      for (const p of (await okJson<Status>(home, ['cluster', 'status', c.name])).proxies) if (p.state === 'running' && p.pid !== null) pids.push(p.pid);
    }
    expect(pids.length).toBeGreaterThanOrEqual(2);
    expect(pids.every(pidAlive)).toBe(true);

    // The proxies outlive the control plane…
    const stop = await okJson<{ was_running: boolean; stopped_proxies: number }>(home, ['local', 'stop']);
    expect(stop).toMatchObject({ was_running: true, stopped_proxies: 0 });
    expect(pids.every(pidAlive)).toBe(true);
    // …until asked for.
    const down = await okJson<{ was_running: boolean; stopped_proxies: number }>(home, ['local', 'stop', '--proxies']);
    expect(down).toMatchObject({ was_running: false, stopped_proxies: pids.length });
    for (const pid of pids) expect(await waitGone(pid, 5_000)).toBe(true);
    // Nothing left to stop the second time.
    expect(await okJson(home, ['local', 'stop', '--proxies'])).toMatchObject({ was_running: false, stopped_proxies: 0 });
  });
});

describe('local start --listen on every address', { timeout: 120_000 }, () => {
  it('names the network URL by this host name, which the self-signed certificate covers', async () => {
    const tlsHome = e2eHome('local-listen');
    try {
      const port = await freePort();
      const started = await okJson<{ network_url: string }>(tlsHome, ['local', 'start', `--listen=:${port}`, '--tls-self-signed']);
      expect(started.network_url).toBe(`https://${hostname()}:${port}`);
      // The name in the URL verifies against the certificate (connected through loopback).
      const ca = readFileSync(join(tlsHome, 'local', 'tls', 'cert.pem'));
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, servername: hostname(), path: '/api/health', ca, checkServerIdentity: (_h, cert) => checkServerIdentity(hostname(), cert) }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject).end();
      });
      expect(status).toBe(200);
    } finally {
      await cleanupHome(tlsHome);
    }
  });
});
