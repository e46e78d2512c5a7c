// Stopping and restarting the local control plane keeps every piece of state.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanupHome, controlPlanePids, e2eHome, localFiles, ok, okJson, ownstack, pidAlive, serverInfo } from '../helpers/e2e.js';

let home: string;
beforeAll(() => {
  assertBuilt();
  home = e2eHome('restart');
});
afterAll(async () => {
  await cleanupHome(home);
});

describe('restart', { timeout: 300_000 }, () => {
  it('local stop, then any command: everything is still there', async () => {
    await ok(home, ['cluster', 'create', 'api', '--edge=dns_rr', '--hostname=api.example.com', '--hostname=app.example.com']);
    await ok(home, ['cluster', 'variant', 'add', 'api', 'blue', '--weight=100']);
    await ok(home, ['cluster', 'variant', 'add', 'api', 'green']);
    await ok(home, ['local', 'app', 'add', 'web', '--addr=127.0.0.1:3001', '--addr=127.0.0.1:3002']);
    await ok(home, ['cluster', 'upstream', 'add', 'api', '--variant=blue', '--app=web']);
    await ok(home, ['cluster', 'upstream', 'add', 'api', '--variant=green', '--url=http://127.0.0.1:3003']);
    await ok(home, ['cluster', 'switch', 'api', '--to=green']);

    const before = {
      show: await okJson(home, ['cluster', 'show', 'api']),
      config: await okJson(home, ['cluster', 'proxy-config', 'api']),
      apps: await okJson(home, ['local', 'app', 'list']),
      env: readFileSync(localFiles(home).cluster('api').env, 'utf8'),
      caddyfile: readFileSync(localFiles(home).cluster('api').caddyfile, 'utf8'),
      token: readFileSync(localFiles(home).token, 'utf8'),
    };
    const first = serverInfo(home)!;

    const stop = await ok(home, ['local', 'stop']);
    expect(stop.stdout).toContain('Stopped the local control plane');
    expect(pidAlive(first.pid)).toBe(false);
    expect(serverInfo(home)).toBeNull();
    expect(controlPlanePids(home)).toEqual([]);
    const status = await okJson<{ running: boolean }>(home, ['local', 'status']);
    expect(status.running).toBe(false);
    // Stopping twice is fine.
    const again = await ownstack(home, ['local', 'stop']);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('not running');

    const show = await ownstack(home, ['cluster', 'show', 'api', '--json']);
    expect(show.exitCode).toBe(0);
    expect(show.stderr).toMatch(/^Started the local control plane on /m);
    const second = serverInfo(home)!;
    expect(second.pid).not.toBe(first.pid);
    expect(JSON.parse(show.stdout)).toEqual(before.show);
    expect(await okJson(home, ['cluster', 'proxy-config', 'api'])).toEqual(before.config);
    expect(await okJson(home, ['local', 'app', 'list'])).toEqual(before.apps);
    expect(readFileSync(localFiles(home).cluster('api').env, 'utf8')).toBe(before.env);
    expect(readFileSync(localFiles(home).cluster('api').caddyfile, 'utf8')).toBe(before.caddyfile);
    expect(readFileSync(localFiles(home).token, 'utf8')).toBe(before.token);
  });

  it('local start (background) is idempotent and local status reports it', async () => {
    const r = await ok(home, ['local', 'start']);
    expect(r.stdout).toMatch(/already running on http:\/\/127\.0\.0\.1:\d+/);
    const s = await okJson<{ running: boolean; pid: number; url: string; uptime_seconds: number; clusters: number; log: string; state_dir: string }>(home, ['local', 'status']);
    expect(s).toMatchObject({ running: true, pid: serverInfo(home)!.pid, clusters: 1 });
    expect(s.log).toBe(localFiles(home).log);
    expect(s.state_dir).toBe(localFiles(home).dir);
    expect(s.uptime_seconds).toBeGreaterThanOrEqual(0);
    await ok(home, ['local', 'stop']);
    const started = await okJson<{ started: boolean; pid: number; url: string }>(home, ['local', 'start']);
    expect(started.started).toBe(true);
    expect(serverInfo(home)!.pid).toBe(started.pid);
  });
});
