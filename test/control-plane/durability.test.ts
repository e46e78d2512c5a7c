// State survives restarts and kill -9; POSTs are idempotent with a key; concurrent requests
// are serialised; on start the rendered files are reconciled with the database.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startControlPlane } from '../../src/control-plane/server.js';
import { dumpDb, removeHome, startTestServer, tempHome, type TestServer } from './helpers.js';

describe('restart', () => {
  test('close and start again on the same home: every resource, the token and the files are kept', async () => {
    const s = await startTestServer();
    try {
      await s.api('POST', '/api/local/apps', { name: 'web', addresses: ['127.0.0.1:4001'] });
      await s.api('POST', '/api/clusters', { name: 'api', hostnames: ['api.example.com'], edge: 'dns_rr' });
      await s.api('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 });
      await s.api('POST', '/api/clusters/api/members', { app: 'web' });
      await s.api('POST', '/api/clusters/api/deploys', {});
      const token = s.cp.token;
      const before = { show: (await s.api('GET', '/api/clusters/api')).body, db: dumpDb(s.home), env: s.file('clusters', 'api', 'proxy.env') };
      await s.restart();
      expect(s.cp.token).toBe(token);
      expect((await s.api('GET', '/api/clusters/api')).body).toEqual(before.show);
      expect(dumpDb(s.home)).toEqual(before.db);
      expect(s.file('clusters', 'api', 'proxy.env')).toBe(before.env);
      // A queued job stays queued across restarts (only running ones become interrupted).
      expect((await s.api('GET', '/api/clusters/api/deploys')).body.deploys[0].state).toBe('queued');
    } finally {
      await s.close();
      removeHome(s.home);
    }
  });

  test('on start, missing or edited files are re-rendered from the database', async () => {
    const s = await startTestServer();
    try {
      await s.api('POST', '/api/clusters', { name: 'api', hostnames: ['api.example.com'] });
      await s.api('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 });
      await s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', url: 'https://a.example.net' });
      const env = s.file('clusters', 'api', 'proxy.env');
      const caddy = s.file('clusters', 'api', 'Caddyfile');
      const gen = (await s.api('GET', '/api/clusters/api')).body.cluster.generation;
      await s.cp.close();
      writeFileSync(join(s.home, 'local', 'clusters', 'api', 'proxy.env'), 'CLUSTER_UPSTREAMS="stale"\n');
      removeHome(join(s.home, 'local', 'clusters', 'api', 'Caddyfile'));
      await s.restart();
      expect(s.file('clusters', 'api', 'proxy.env')).toBe(env);
      expect(s.file('clusters', 'api', 'Caddyfile')).toBe(caddy);
      // Files are not routing state: the generation does not move.
      expect((await s.api('GET', '/api/clusters/api')).body.cluster.generation).toBe(gen);
    } finally {
      await s.close();
      removeHome(s.home);
    }
  });

  test('refuses non-loopback hosts; accepts 127.x and ::1', async () => {
    const home = tempHome();
    try {
      await expect(startControlPlane({ home, host: '0.0.0.0', port: 0 })).rejects.toThrow(/loopback addresses only/);
      await expect(startControlPlane({ home, host: '192.168.1.10', port: 0 })).rejects.toThrow(/loopback/);
      const cp = await startControlPlane({ home, host: '127.0.0.1', port: 0, reconcileIntervalMs: 0 });
      expect(cp.url).toBe(`http://127.0.0.1:${cp.port}`);
      await cp.close();
    } finally {
      removeHome(home);
    }
  });
});

describe('idempotency', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
    await s.api('POST', '/api/clusters', { name: 'api', hostnames: ['api.example.com'] });
    await s.api('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 });
  });
  afterAll(async () => {
    await s.close();
    removeHome(s.home);
  });

  test('a replayed POST returns the stored response and applies nothing twice (also after a restart)', async () => {
    const body = { variant: 'blue', url: 'https://once.example.net' };
    const first = await s.api('POST', '/api/clusters/api/upstreams', body, { 'idempotency-key': 'key-1' });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const db = dumpDb(s.home);
    const again = await s.api('POST', '/api/clusters/api/upstreams', body, { 'idempotency-key': 'key-1' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(dumpDb(s.home)).toEqual(db);
    await s.restart();
    const afterRestart = await s.api('POST', '/api/clusters/api/upstreams', body, { 'idempotency-key': 'key-1' });
    expect(afterRestart.body).toEqual(first.body);
    expect((await s.api('GET', '/api/clusters/api/upstreams')).body.upstreams).toHaveLength(1);
    // Without a key the same request is a new request: a duplicate upstream → 409.
    expect((await s.api('POST', '/api/clusters/api/upstreams', body)).status).toBe(409);
  });

  test('the same key with a different body → 422', async () => {
    await s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', url: 'https://two.example.net' }, { 'idempotency-key': 'key-2' });
    const r = await s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', url: 'https://three.example.net' }, { 'idempotency-key': 'key-2' });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'invalid', field: 'Idempotency-Key', value: 'key-2' });
    expect((await s.api('GET', '/api/clusters/api/upstreams')).body.upstreams.map((u: { url: string }) => u.url)).not.toContain('https://three.example.net');
  });

  test('concurrent requests with one key apply once', async () => {
    const body = { name: 'green', weight: 0 };
    const all = await Promise.all(Array.from({ length: 5 }, () => s.api('POST', '/api/clusters/api/variants', body, { 'idempotency-key': 'key-3' })));
    expect(all.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(all.map((r) => r.body.result.id)).size).toBe(1);
  });

  test('an invalid key → 400', async () => {
    const r = await s.api('POST', '/api/clusters/api/variants', { name: 'x1' }, { 'idempotency-key': 'has space' });
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('Idempotency-Key');
  });
});

describe('concurrency', () => {
  test('20 concurrent upstream adds: all 20 present, 20 generations, every one in proxy.env', async () => {
    const s = await startTestServer();
    try {
      await s.api('POST', '/api/clusters', { name: 'api', hostnames: ['api.example.com'] });
      await s.api('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 });
      const gen = (await s.api('GET', '/api/clusters/api')).body.cluster.generation;
      const urls = Array.from({ length: 20 }, (_, i) => `https://u${i}.example.net`);
      const results = await Promise.all(urls.map((url) => s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', url })));
      expect(results.map((r) => r.status)).toEqual(urls.map(() => 201));
      const ups = (await s.api('GET', '/api/clusters/api/upstreams')).body.upstreams;
      expect(ups.map((u: { url: string }) => u.url).sort()).toEqual([...urls].sort());
      expect(new Set(ups.map((u: { id: number }) => u.id)).size).toBe(20);
      expect((await s.api('GET', '/api/clusters/api')).body.cluster.generation).toBe(gen + 20);
      const line = s.file('clusters', 'api', 'proxy.env').split('\n').find((l) => l.startsWith('CLUSTER_UPSTREAMS_API_EXAMPLE_COM='))!;
      expect(line.slice(line.indexOf('"') + 1, -1).split(' ').sort()).toEqual([...urls].sort());
    } finally {
      await s.close();
      removeHome(s.home);
    }
  });
});

describe('kill -9', () => {
  const outDir = join(process.cwd(), 'node_modules', '.cache', 'ownstack-cp-test');
  const script = join(outDir, 'child-server.mjs');
  beforeAll(async () => {
    mkdirSync(outDir, { recursive: true });
    await build({
      entryPoints: [join(process.cwd(), 'test', 'control-plane', 'fixtures', 'child-server.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile: script,
      logLevel: 'silent',
    });
    expect(existsSync(script)).toBe(true);
  });

  function spawnServer(home: string): Promise<{ child: ChildProcess; url: string; token: string }> {
    const child = spawn(process.execPath, [script, home], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`child did not start: ${err}`)), 15_000);
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n')[0];
        if (out.includes('\n') && line) {
          clearTimeout(timer);
          resolve({ child, ...(JSON.parse(line) as { url: string; token: string }) });
        }
      });
      child.on('exit', (code) => reject(new Error(`child exited ${code}: ${err}`)));
    });
  }

  test('killed at random moments during switches: the state is the old or the new one, and files match after start', async () => {
    const home = tempHome();
    const HOSTS = 40;
    try {
      // Set up: 40 hostnames, each with a blue and a green upstream.
      const setup = await startTestServer({ home });
      await setup.api('POST', '/api/clusters', { name: 'api', hostnames: Array.from({ length: HOSTS }, (_, i) => `h${i}.example.com`) });
      await setup.api('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 });
      await setup.api('POST', '/api/clusters/api/variants', { name: 'green', weight: 0 });
      for (let i = 0; i < HOSTS; i++) {
        await setup.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', hostname: `h${i}.example.com`, url: `https://blue${i}.example.net` });
        await setup.api('POST', '/api/clusters/api/upstreams', { variant: 'green', hostname: `h${i}.example.com`, url: `https://green${i}.example.net` });
      }
      await setup.close();

      let totalAcknowledged = 0;
      for (let round = 0; round < 4; round++) {
        const { child, url, token } = await spawnServer(home);
        const exited = new Promise((r) => child.on('exit', r));
        let stop = false;
        let acknowledged = 0;
        const loop = (async () => {
          for (let i = 0; !stop && i < 200; i++) {
            try {
              const r = await fetch(`${url}/api/clusters/api/switch`, {
                method: 'POST',
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                body: JSON.stringify({ to: i % 2 === 0 ? 'green' : 'blue' }),
              });
              if (r.status === 200) acknowledged++;
              await r.text();
            } catch {
              return; // the server is gone
            }
          }
        })();
        await new Promise((r) => setTimeout(r, 150 + round * 97));
        child.kill('SIGKILL');
        await exited;
        stop = true;
        await loop;

        // Start again in-process: migrations, then the files are reconciled with the database.
        const s = await startTestServer({ home });
        try {
          const variants = (await s.api('GET', '/api/clusters/api/variants')).body.variants.map((v: { name: string; weight: number }) => [v.name, v.weight]);
          expect([JSON.stringify([['blue', 100], ['green', 0]]), JSON.stringify([['blue', 0], ['green', 100]])]).toContain(JSON.stringify(variants));
          const live = variants.find((v: [string, number]) => v[1] === 100)[0];
          const cfg = (await s.api('GET', '/api/clusters/api/proxy-config')).body;
          for (let i = 0; i < HOSTS; i++) expect(cfg.env[`CLUSTER_UPSTREAMS_H${i}_EXAMPLE_COM`]).toBe(`https://${live}${i}.example.net`);
          const env = s.file('clusters', 'api', 'proxy.env');
          for (const [k, v] of Object.entries(cfg.env as Record<string, string>)) expect(env).toContain(`${k}="${v}"`);
          expect(s.file('clusters', 'api', 'Caddyfile')).toBe(cfg.caddyfile);
          totalAcknowledged += acknowledged;
        } finally {
          await s.close();
        }
      }
      // The kills landed while switches were being applied.
      expect(totalAcknowledged).toBeGreaterThan(0);
    } finally {
      removeHome(home);
    }
  }, 120_000);
});
