// The local proxy runtime with real Caddy replicas, driven by an in-process control plane
// (loopback only). Skipped when Caddy is not installed (CI installs it).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderRow } from '../../src/control-plane/render.js';
import { caddyReplicaEnv } from '../../src/proxy/runtime-caddy.js';
import { isAlive } from '../../src/proxy/runtime-process.js';
import { stopLeftoverProxies } from '../../src/proxy/runtime.js';
import { validateCaddyfile } from '../../src/proxy/validate.js';
import { removeHome } from '../control-plane/helpers.js';
import { blueGreenCluster, caddyInstalled, get, startProxyServer, startVariantServers, waitFor, type ProxyTestServer, type VariantServer } from './helpers.js';

const PORT = 22_000;
const PROXIES = ['127.0.0.2', '127.0.0.3'];
const HOSTS = ['a.test', 'b.test'];

let vs: { servers: VariantServer[]; byName: Record<string, VariantServer>; close(): Promise<void> };
let srv: ProxyTestServer | undefined;

beforeAll(async () => {
  vs = await startVariantServers(['blue-1', 'blue-2', 'green-1', 'green-2']);
});
afterAll(async () => {
  await vs?.close();
});
afterEach(async () => {
  if (srv) {
    await srv.close();
    removeHome(srv.home);
    srv = undefined;
  }
});

async function cluster(opts: { edgeIntervalMs?: number; restartDelayMs?: number } = {}): Promise<ProxyTestServer> {
  srv = await startProxyServer({ portBase: PORT, edgeIntervalMs: opts.edgeIntervalMs, runtime: opts.restartDelayMs ? { restartDelayMs: opts.restartDelayMs } : {} });
  await blueGreenCluster(srv, { name: 'web', hostnames: HOSTS, members: vs.servers });
  return srv;
}

async function status(s: ProxyTestServer): Promise<any> {
  const r = await s.api('GET', '/api/clusters/web/status');
  expect(r.status).toBe(200);
  return r.body;
}

const clusterDir = (s: ProxyTestServer) => join(s.home, 'local', 'clusters', 'web');

describe.skipIf(!caddyInstalled())('the Caddy runtime', () => {
  it('runs one Caddy per replica on its own loopback address, serving every hostname; status shows address, process, healthz and generation', async () => {
    const s = await cluster();
    const st = await status(s);
    expect(st.proxy_note === null || /tcp_migrate_req/.test(st.proxy_note)).toBe(true);
    expect(st.proxies).toHaveLength(2);
    for (const [i, p] of st.proxies.entries()) {
      expect(p).toMatchObject({ index: i, address: PROXIES[i], port: PORT, state: 'running', healthz: 'ok', generation_applied: st.generation, last_error: null });
      expect(isAlive(p.pid)).toBe(true);
      expect(readFileSync(join(clusterDir(s), `proxy-${i}.pid`), 'utf8').trim()).toBe(String(p.pid));
      expect(existsSync(join(clusterDir(s), `proxy-${i}.g${st.generation}.json`))).toBe(true);
    }
    for (const address of PROXIES) {
      for (const host of HOSTS) expect(await get(address, PORT, host)).toMatchObject({ status: 200, body: 'blue\n' });
      expect(await get(address, PORT, 'elsewhere.test', '/_cluster/healthz')).toMatchObject({ status: 200, body: 'ok' });
      expect((await get(address, PORT, 'elsewhere.test')).status).toBe(421);
    }
    // Only the current generation's config files are kept.
    expect(readdirSync(clusterDir(s)).filter((f) => /^proxy-\d+\.g\d+\.json$/.test(f)).sort()).toEqual([`proxy-0.g${st.generation}.json`, `proxy-1.g${st.generation}.json`]);
  }, 60_000);

  it('every config it runs passes `caddy validate` with the replica env', async () => {
    const s = await cluster();
    // A URL upstream (bridge) and a --host-header upstream too, so bridges are rendered.
    await s.api('POST', '/api/clusters/web/upstreams', { variant: 'green', url: `http://${vs.byName['green-1']!.addr}` });
    await s.api('POST', '/api/clusters/web/upstreams', { variant: 'green', app: 'web-green-2', hostname: 'a.test', host_header: 'internal.test' });
    const { Store } = await import('../../src/control-plane/store.js');
    const { openDatabase } = await import('../../src/control-plane/db.js');
    const db = openDatabase(join(s.home, 'local', 'state.db'));
    try {
      const store = new Store(db);
      const row = store.clusterByName('web')!;
      const rendered = renderRow(store, row);
      expect(rendered.caddyfile).toMatch(/# bridge for upstream/);
      const rc = { id: row.id, name: 'web', port: row.port, bridgeBasePort: row.bridge_base_port, proxyCount: 2, generation: row.generation, dir: clusterDir(s) };
      for (const address of PROXIES) {
        const v = await validateCaddyfile(rendered.caddyfile, caddyReplicaEnv({ rc, rendered }, { address }));
        expect(v.ok, v.output).toBe(true);
      }
    } finally {
      db.close();
    }
    // And the replicas run that generation.
    const st = await status(s);
    expect(st.proxies.map((p: any) => p.generation_applied)).toEqual([st.generation, st.generation]);
  }, 60_000);

  it('a change starts a new process with the new env and retires the old one once the new one serves', async () => {
    const s = await cluster();
    const before = await status(s);
    const sw = await s.api('POST', '/api/clusters/web/switch', { to: 'green' });
    expect(sw.status).toBe(200);
    const after = await status(s);
    expect(after.generation).toBe(before.generation + 1);
    for (const [i, p] of after.proxies.entries()) {
      expect(p.pid).not.toBe(before.proxies[i].pid);
      expect(p.generation_applied).toBe(after.generation);
      // The old process stopped listening before the API answered; it exits once idle.
      await waitFor(`old pid ${before.proxies[i].pid} gone`, () => !isAlive(before.proxies[i].pid), 10_000);
    }
    for (const address of PROXIES) for (const host of HOSTS) expect((await get(address, PORT, host)).body).toBe('green\n');
    // The replica env carried the new values (not Caddy's "config is unchanged").
    const json = readFileSync(join(clusterDir(s), `proxy-0.g${after.generation}.json`), 'utf8');
    expect(json).toContain(vs.byName['green-1']!.addr);
    expect(json).not.toContain(vs.byName['blue-1']!.addr);
    expect(json).toContain('"disabled":true'); // admin API off
  }, 60_000);

  it('a config a replica cannot start with keeps the old one serving: the API answers 500 failed, status shows the error, the next change retries', async () => {
    const s = await cluster();
    const before = await status(s);
    const bridgePort = PORT + 1920;
    const blocker: Server = createServer((_q, r) => r.end('blocker'));
    await new Promise<void>((resolve) => blocker.listen(bridgePort, '127.0.0.2', () => resolve()));
    try {
      const add = await s.api('POST', '/api/clusters/web/upstreams', { variant: 'blue', url: `http://${vs.byName['blue-2']!.addr}` });
      expect(add.status).toBe(500);
      expect(add.body.error.code).toBe('failed');
      expect(add.body.error.message).toMatch(/the change was saved, but the proxies did not apply it: .*proxy 127\.0\.0\.2:22000 did not take generation \d+: .*address already in use/);
      expect(add.body.error.details).toMatchObject({ saved: true });
      const st = await status(s);
      expect(st.generation).toBe(before.generation + 1);
      expect(st.proxies[0]).toMatchObject({ state: 'running', pid: before.proxies[0].pid, generation_applied: before.generation });
      expect(st.proxies[0].last_error).toMatch(/not applied.*still serving generation/);
      expect(st.proxies[1]).toMatchObject({ generation_applied: st.generation, last_error: null });
      expect((await get('127.0.0.2', PORT, 'a.test')).body).toBe('blue\n');
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
    const retry = await s.api('POST', '/api/clusters/web/switch', { to: 'blue' });
    expect(retry.status).toBe(200);
    const fixed = await status(s);
    expect(fixed.proxies.map((p: any) => [p.generation_applied, p.last_error])).toEqual([
      [fixed.generation, null],
      [fixed.generation, null],
    ]);
  }, 60_000);

  it('a replica that dies is noticed and restarted; it stays `starting` for one health interval', async () => {
    const s = await cluster();
    const before = await status(s);
    process.kill(before.proxies[1].pid, 'SIGKILL');
    const down = await waitFor('replica 1 noticed dead', async () => {
      const st = await status(s);
      return st.proxies[1].state === 'failed' ? st : null;
    });
    expect(down.proxies[1]).toMatchObject({ pid: null, healthz: 'failing' });
    // Either detector may see the death first: the exit handler (signal known) or the liveness check.
    expect(down.proxies[1].last_error).toMatch(/(exited unexpectedly \(killed by SIGKILL\)|is gone \(the process ended\)).*restarting in/);
    const back = await waitFor('replica 1 restarted', async () => {
      const st = await status(s);
      return st.proxies[1].pid && st.proxies[1].pid !== before.proxies[1].pid ? st : null;
    });
    expect(back.proxies[1].state).toBe('starting');
    expect(back.proxies[1].generation_applied).toBe(back.generation);
    await waitFor('replica 1 running', async () => (await status(s)).proxies[1].state === 'running', 5_000);
    expect((await get('127.0.0.3', PORT, 'b.test')).body).toBe('blue\n');
  }, 60_000);

  it('replicas outlive a control plane that dies: the next one adopts them, keeps their generation and traffic never stops', async () => {
    const s = await cluster();
    const before = await status(s);
    let failures = 0;
    let requests = 0;
    let stop = false;
    const trickle = (async () => {
      while (!stop) {
        requests++;
        const r = await get(PROXIES[requests % 2]!, PORT, HOSTS[requests % 2]!).catch(() => ({ status: 0, body: '' }));
        if (r.status !== 200) failures++;
        await new Promise((x) => setTimeout(x, 20));
      }
    })();
    await new Promise((x) => setTimeout(x, 300));
    // A crash: supervision ends, nothing is stopped.
    await s.runtime.close({ stopProxies: false });
    await s.restartFresh();
    const after = await status(s);
    await new Promise((x) => setTimeout(x, 500));
    stop = true;
    await trickle;
    expect(after.proxies.map((p: any) => p.pid)).toEqual(before.proxies.map((p: any) => p.pid));
    expect(after.proxies.map((p: any) => [p.state, p.generation_applied])).toEqual([
      ['running', after.generation],
      ['running', after.generation],
    ]);
    expect(s.runtimeLogs.join('\n')).toMatch(/adopted running replica pid/);
    expect(requests).toBeGreaterThan(5);
    expect(failures).toBe(0);
  }, 60_000);

  it('stopLeftoverProxies stops replicas a dead control plane left; destroying a cluster stops its replicas', async () => {
    const s = await cluster();
    const st = await status(s);
    const pids = st.proxies.map((p: any) => p.pid as number);
    await s.runtime.close({ stopProxies: false });
    expect(pids.every(isAlive)).toBe(true);
    expect(await stopLeftoverProxies(join(s.home, 'local'))).toBe(2);
    expect(pids.some(isAlive)).toBe(false);
    expect(readdirSync(clusterDir(s)).filter((f) => f.endsWith('.pid'))).toEqual([]);

    await s.restartFresh();
    const again = await status(s);
    expect(again.proxies.map((p: any) => p.state)).toEqual(['running', 'running']);
    const destroy = await s.api('DELETE', '/api/clusters/web');
    expect(destroy.status).toBe(200);
    await waitFor('replicas stopped', () => again.proxies.every((p: any) => !isAlive(p.pid)), 10_000);
  }, 60_000);

  it('refuses an address someone else listens on instead of sharing it: the change fails like a refused config (500 failed, saved), and the next one applies', async () => {
    const squatter: Server = createServer((_q, r) => r.end('squatter'));
    await new Promise<void>((resolve) => squatter.listen(PORT, '127.0.0.3', () => resolve()));
    let closed = false;
    try {
      srv = await startProxyServer({ portBase: PORT, runtime: { restartDelayMs: 60_000 } });
      const s = srv;
      // A replica that cannot start with the committed generation is "not applied", exactly like a
      // running one that refuses it: one answer (500 failed, details.saved) for both, so one exit code (1).
      const create = await s.api('POST', '/api/clusters', { name: 'web', hostnames: HOSTS, proxy_count: 2 });
      expect(create.status).toBe(500);
      expect(create.body.error).toMatchObject({ code: 'failed', details: { saved: true, response: { name: 'web' } } });
      expect(create.body.error.message).toMatch(/proxy 127\.0\.0\.3:22000 is not running: 127\.0\.0\.3:22000 is already in use by another process/);
      const st = await status(s);
      expect(st.proxies[0]).toMatchObject({ state: 'running', healthz: 'ok' });
      expect(st.proxies[1]).toMatchObject({ state: 'failed', pid: null, healthz: 'failing' });
      expect(st.proxies[1].last_error).toMatch(/127\.0\.0\.3:22000 is already in use by another process/);
      expect((await get('127.0.0.3', PORT, 'a.test')).body).toBe('squatter');
      // Still taken: every change says so.
      expect((await s.api('POST', '/api/clusters/web/variants', { name: 'blue', weight: 100 })).status).toBe(500);
      await new Promise<void>((r) => squatter.close(() => r()));
      closed = true;
      // Freed: the next change starts the replica with the current generation.
      const next = await s.api('POST', '/api/clusters/web/variants', { name: 'green', weight: 0 });
      expect(next.status, JSON.stringify(next.body)).toBe(201);
      const fixed = await status(s);
      expect(fixed.proxies.map((p: any) => [p.state, p.generation_applied])).toEqual([
        ['running', fixed.generation],
        ['running', fixed.generation],
      ]);
    } finally {
      if (!closed) await new Promise<void>((r) => squatter.close(() => r()));
    }
  }, 60_000);

  it('shows each upstream address healthy or unhealthy as the proxies’ checks see it', async () => {
    const s = await cluster();
    await waitFor('all healthy', async () => (await status(s)).hostnames.every((h: any) => h.variants.every((v: any) => v.upstreams.every((u: any) => u.health === 'healthy'))), 5_000);
    const victim = vs.byName['green-1']!;
    await victim.kill();
    try {
      const st = await waitFor('green-1 unhealthy', async () => {
        const x = await status(s);
        return x.hostnames[0].variants[1].upstreams.find((u: any) => u.target === 'web-green-1').health === 'unhealthy' ? x : null;
      }, 5_000);
      // Standby variants are probed too: health is known before a switch.
      const green = st.hostnames[1].variants.find((v: any) => v.name === 'green');
      expect(green.routed).toBe(false);
      expect(green.upstreams.map((u: any) => [u.target, u.addresses[0].health, u.health])).toEqual([
        ['web-green-1', 'unhealthy', 'unhealthy'],
        ['web-green-2', 'healthy', 'healthy'],
      ]);
    } finally {
      await victim.revive();
    }
  }, 60_000);
});

describe.skipIf(!caddyInstalled())('the proxy → edge loop', () => {
  it('drops a dead proxy from the dns_rr records, restores it when it is back, and never drops the last one', async () => {
    const s = await cluster({ edgeIntervalMs: 200, restartDelayMs: 60_000 });
    const zone = () => readFileSync(join(clusterDir(s), 'dns.zone'), 'utf8');
    const has = (address: string) => HOSTS.every((h) => zone().includes(`${h}.\t60\tIN\tA\t${address}`));
    await waitFor('both published', () => PROXIES.every(has), 5_000);
    const st = await status(s);
    process.kill(st.proxies[1].pid, 'SIGKILL');
    await waitFor('127.0.0.3 dropped', () => !has('127.0.0.3') && has('127.0.0.2'), 5_000, 50);
    // (The zone file is written just before the published set is recorded.)
    await waitFor('status warns', async () => /127\.0\.0\.3:22000 is out of the dns_rr edge/.test((await status(s)).warnings.join('\n')), 2_000, 50);
    // The last one stays even when it dies too.
    process.kill(st.proxies[0].pid, 'SIGKILL');
    await waitFor('replica 0 noticed dead', async () => (await status(s)).proxies[0].state === 'failed', 5_000);
    await new Promise((r) => setTimeout(r, 600));
    expect(has('127.0.0.2')).toBe(true);
    expect(s.logs.join('\n')).toMatch(/edge loop: cluster web \(dns_rr\) now publishes 127\.0\.0\.2:22000; dropped 127\.0\.0\.3:22000/);
    // A change starts them again (the restart delay is a minute here); both come back.
    expect((await s.api('POST', '/api/clusters/web/switch', { to: 'blue' })).status).toBe(200);
    await waitFor('both back', () => PROXIES.every(has), 5_000, 50);
    expect((await status(s)).edge.reconciled_at).not.toBeNull();
  }, 60_000);
});
