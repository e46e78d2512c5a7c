// Scripts written for OwnStack's CLI keep working, the README's walkthrough runs as written, and a
// rolling deploy with one member runs with a warning — all through bin/ownstack.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, cleanupHome, e2eHome, ROOT } from '../helpers/e2e.js';
import { E2E_BIN, must, run } from '../e2e-proxy/cli.js';

const built = existsSync(E2E_BIN.replace(/bin\/ownstack$/, 'dist/main.js'));
const ENV = { OWNSTACK_PROXY_PORT_BASE: '54000' };

/** A stand-in control plane that records every request and answers GET /api/health with `health`. */
async function fakeControlPlane(health: unknown | null): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const srv: Server = createServer((req: IncomingMessage, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/health' && health !== null) return res.end(JSON.stringify(health));
    if (req.method === 'DELETE' && req.url === '/api/local/apps/myapp') return res.end(JSON.stringify({ id: 1, name: 'myapp', addresses: [], deploy_cmd: null, health_path: '/', created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' }));
    res.statusCode = 404;
    res.end(JSON.stringify({ error: { code: 'not_found', message: 'Destroy app: not here' } }));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

let home: string;

describe.skipIf(!built)('scripts written for OwnStack keep working (bin/ownstack)', () => {
  beforeAll(() => {
    home = e2eHome('scripts');
  });
  afterAll(async () => {
    await run(home, ['local', 'stop', '--proxies'], ENV).catch(() => undefined);
    await cleanupHome(home);
  }, 60_000);

  it('login --api=URL is --api-url; two different URLs are refused (exit 2)', async () => {
    const cp = await fakeControlPlane({ ok: true, service: 'ownstack-control-plane', version: '0', pid: 1 });
    try {
      const r = await must(home, ['login', '--profile', 'alias', `--api=${cp.url}`, '--token=secret-token-1234567890', '--no-verify'], ENV);
      expect(r.exitCode).toBe(0);
      expect(readFileSync(join(home, 'profiles', 'alias'), 'utf8')).toContain(`OWNSTACK_API_URL=${cp.url}`);
      const both = await run(home, ['login', '--profile', 'x', `--api=${cp.url}`, '--api-url=http://127.0.0.1:1', '--token=secret-token-1234567890', '--no-verify'], ENV);
      expect(both.exitCode).toBe(2);
      expect(both.stderr).toMatch(/--api .* and --api-url .* name two different control planes/);
      const bad = await run(home, ['login', '--profile', 'y', '--api=ftp://x', '--token=secret-token-1234567890', '--no-verify'], ENV);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toMatch(/--api/);
      expect(cp.seen).toEqual([]);
    } finally {
      await cp.close();
    }
  });

  it('local app commands refuse a control plane that is not ownstack\'s: nothing but GET /api/health reaches it', async () => {
    const hosted = await fakeControlPlane(null);
    const ours = await fakeControlPlane({ ok: true, service: 'ownstack-control-plane', version: '0', pid: 1 });
    try {
      await must(home, ['login', '--profile', 'prod', `--api-url=${hosted.url}`, '--token=secret-token-1234567890', '--no-verify'], ENV);
      const r = await run(home, ['--profile', 'prod', 'local', 'app', 'remove', 'myapp', '--yes'], ENV);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/local app commands manage the apps of an ownstack control plane, and .* \(profile prod\) is not one/);
      expect(hosted.seen).toEqual(['GET /api/health']);
      // A networked control plane of this project identifies itself: the request goes to /api/local/apps.
      await must(home, ['login', '--profile', 'net', `--api-url=${ours.url}`, '--token=secret-token-1234567890', '--no-verify'], ENV);
      const ok = await run(home, ['--profile', 'net', 'local', 'app', 'remove', 'myapp', '--yes'], ENV);
      expect(ok.exitCode, ok.stderr).toBe(0);
      expect(ours.seen).toEqual(['GET /api/health', 'DELETE /api/local/apps/myapp']);
    } finally {
      await must(home, ['profile', 'use', 'local'], ENV).catch(() => undefined);
      await hosted.close();
      await ours.close();
    }
  });

  it('cluster deploy --wait is accepted (waiting is the default); with --detach it is refused (exit 2)', async () => {
    const r = await run(home, ['--profile', 'local', 'cluster', 'deploy', 'nosuch', '--wait'], ENV);
    expect(r.exitCode, r.stderr).toBe(3);
    const both = await run(home, ['--profile', 'local', 'cluster', 'deploy', 'nosuch', '--wait', '--detach'], ENV);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toMatch(/--wait and --detach/);
  });

  it('a rolling deploy with one member runs, with a warning (a `warning` event in --json); --force is still accepted', async () => {
    const srv = createServer((_q, s) => s.end('ok\n'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const addr = `127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      await must(home, ['--profile', 'local', 'local', 'app', 'add', 'solo', `--addr=${addr}`, '--deploy-cmd=true'], ENV);
      await must(home, ['--profile', 'local', 'cluster', 'create', 'solo', '--hostname=solo.test', '--health-interval=1s', '--health-timeout=500ms'], ENV);
      await must(home, ['--profile', 'local', 'cluster', 'member', 'add', 'solo', 'solo'], ENV);
      const r = await run(home, ['--profile', 'local', 'cluster', 'deploy', 'solo', '--strategy=rolling', '--json'], ENV, 120_000);
      expect(r.exitCode, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      const warning = lines.find((l) => l.type === 'warning');
      expect(warning?.message).toMatch(/one active member \(solo\): requests may fail while it restarts/);
      expect(lines.at(-1).deploy.state).toBe('succeeded');
      const text = await run(home, ['--profile', 'local', 'cluster', 'deploy', 'solo', '--strategy=rolling', '--force'], ENV, 120_000);
      expect(text.exitCode, text.stderr).toBe(0);
      expect(text.stderr).toMatch(/! cluster solo has one active member/);
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  }, 180_000);

  it("the README's walkthrough runs as written: every line exits 0 (scripts/walkthrough.mjs)", async () => {
    const r = await execa(process.execPath, [join(ROOT, 'scripts', 'walkthrough.mjs')], {
      env: cleanEnv(home, { OWNSTACK_PROXY_PORT_BASE: '57500' }),
      extendEnv: false,
      reject: false,
      all: true,
      timeout: 240_000,
      cwd: ROOT,
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/\+ ownstack cluster switch api --to=green\n✓ Switched api to green/);
    expect(r.stderr).toMatch(/walkthrough: every line exited 0/);
  }, 260_000);
});
