// The proxy runtime: every proxy is an agent (the built bin/ownstack proxy agent) running real Caddy
// with dynamic upstreams, driven by an in-process control plane (loopback only). Skipped when Caddy
// is not installed (CI installs it).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process.js';
import { readPidFile } from '../../src/proxy/runtime-process.js';
import { describeFailures, startLoad } from '../e2e-proxy/load.js';
import { removeHome } from '../control-plane/helpers.js';
import { blueGreenCluster, caddyInstalled, get, startProxyServer, startVariantServers, waitFor, type ProxyTestServer, type VariantServer } from './helpers.js';

const PORT = 22_000;
const PROXIES = ['127.0.0.2', '127.0.0.3'];
const HOSTS = ['a.test', 'b.test'];

let vs: { servers: VariantServer[]; byName: Record<string, VariantServer>; close(): Promise<void> };
let srv: ProxyTestServer | undefined;
let echo: Server;
let echoAddr: string;
let scratch: string;

beforeAll(async () => {
  vs = await startVariantServers(['blue-1', 'blue-2', 'green-1', 'green-2']);
  // Answers with the Host header it got (what a bridge sends).
  echo = createServer((req, res) => res.end(`host=${req.headers.host}\n`));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  echoAddr = `127.0.0.1:${(echo.address() as { port: number }).port}`;
  scratch = mkdtempSync(join(tmpdir(), 'ownstack-runtime-'));
});
afterAll(async () => {
  await vs?.close();
  await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
  rmSync(scratch, { recursive: true, force: true });
});
afterEach(async () => {
  if (srv) {
    await srv.close();
    removeHome(srv.home);
    srv = undefined;
  }
});

async function cluster(opts: { edgeIntervalMs?: number; agentEnv?: NodeJS.ProcessEnv } = {}): Promise<ProxyTestServer> {
  srv = await startProxyServer({ portBase: PORT, edgeIntervalMs: opts.edgeIntervalMs, agentEnv: opts.agentEnv });
  await blueGreenCluster(srv, { name: 'web', hostnames: HOSTS, members: vs.servers });
  return srv;
}

async function status(s: ProxyTestServer): Promise<any> {
  const r = await s.api('GET', '/api/clusters/web/status');
  expect(r.status).toBe(200);
  return r.body;
}

const dir = (s: ProxyTestServer, i: number) => join(s.home, 'local', 'clusters', 'web', `proxy-${i}`);
const caddyPid = (s: ProxyTestServer, i: number) => readPidFile(join(dir(s, i), 'caddy.pid'));
const agentPid = (s: ProxyTestServer, i: number) => readPidFile(join(dir(s, i), 'agent.pid'));

describe.skipIf(!caddyInstalled())('proxies are agents with Caddy', () => {
  it('runs one agent and one Caddy per proxy on its own loopback address; status shows what each serves', async () => {
    const s = await cluster();
    const st = await status(s);
    expect(st.proxy_note).toBeNull();
    expect(st.proxies).toHaveLength(2);
    for (const [i, p] of st.proxies.entries()) {
      expect(p).toMatchObject({ index: i, name: `proxy-${i}`, address: PROXIES[i], port: PORT, listen: `${PROXIES[i]}:${PORT}`, state: 'running', healthz: 'ok', generation_applied: st.generation, last_error: null, lagging: false });
      expect(p.caddy_version).toMatch(/^2\./);
      expect(p.agent_version).toMatch(/^\d+\.\d+\.\d+/);
      expect(Date.parse(p.last_seen)).toBeGreaterThan(Date.now() - 10_000);
      expect(p.pid).toBe(caddyPid(s, i));
      expect(isAlive(agentPid(s, i)!)).toBe(true);
      // The last applied config is on the agent's own disk.
      expect(JSON.parse(readFileSync(join(dir(s, i), 'applied.json'), 'utf8')).config.generation).toBe(st.generation);
    }
    for (const address of PROXIES) {
      for (const host of HOSTS) expect(await get(address, PORT, host)).toMatchObject({ status: 200, body: 'blue\n' });
      expect(await get(address, PORT, 'elsewhere.test', '/_cluster/healthz')).toMatchObject({ status: 200, body: 'ok' });
      expect(await get(address, PORT, 'elsewhere.test')).toMatchObject({ status: 421 });
    }
    // A hostname added later is served at once, with no reload.
    const before = caddyPid(s, 0);
    expect((await s.api('POST', '/api/clusters/web/domains', { hostname: 'c.test' })).status).toBe(201);
    expect(await get(PROXIES[0]!, PORT, 'c.test')).toMatchObject({ status: 200, body: 'blue\n' });
    expect(caddyPid(s, 0)).toBe(before);
  }, 60_000);

  it('a switch, a drain and a weight change only change the answers: the same Caddy, the same config, no connection closed', async () => {
    const s = await cluster();
    const pids = [caddyPid(s, 0), caddyPid(s, 1)];
    const configs = [0, 1].map((i) => readFileSync(join(dir(s, i), 'caddy.json'), 'utf8'));
    const load = startLoad({ targets: PROXIES.flatMap((address) => HOSTS.map((host) => ({ address, port: PORT, host }))), concurrency: 8, keepAliveShare: 1, durationMs: 20_000 });
    const sent = Date.now();
    expect((await s.api('POST', '/api/clusters/web/switch', { to: 'green' })).status).toBe(200);
    await waitFor('green everywhere', async () => (await Promise.all(PROXIES.flatMap((a) => HOSTS.map((h) => get(a, PORT, h))))).every((r) => r.body === 'green\n'), 3_000, { every: 50 });
    const flipMs = Date.now() - sent;
    expect((await s.api('POST', '/api/clusters/web/members/web-green-1/drain', {})).status).toBe(200);
    expect((await s.api('PUT', '/api/clusters/web/members/web-green-2/weight', { weight: 50 })).status).toBe(200);
    expect((await s.api('POST', '/api/clusters/web/members/web-green-1/undrain', {})).status).toBe(200);
    expect((await s.api('POST', '/api/clusters/web/switch', { to: 'blue' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_500));
    const r = await load.stop();
    console.log(`runtime: switch visible after ${flipMs} ms; ${r.total} requests, ${r.failed.length} failed`);
    expect(r.failed, describeFailures(r.failed)).toHaveLength(0);
    expect(flipMs).toBeLessThan(3_000);
    expect([caddyPid(s, 0), caddyPid(s, 1)]).toEqual(pids);
    expect([0, 1].map((i) => readFileSync(join(dir(s, i), 'caddy.json'), 'utf8'))).toEqual(configs);
  }, 60_000);

  it('URL and Host-override upstreams go through bridges that send the right Host; adding one reloads Caddy in place', async () => {
    const s = await cluster();
    const before = caddyPid(s, 0);
    expect((await s.api('POST', '/api/clusters/web/variants', { name: 'ext', weight: 0 })).status).toBe(201);
    expect((await s.api('POST', '/api/clusters/web/upstreams', { variant: 'ext', hostname: 'a.test', url: `http://${echoAddr}` })).status).toBe(201);
    expect((await s.api('POST', '/api/local/apps', { name: 'echo', addresses: [echoAddr] })).status).toBe(201);
    expect((await s.api('POST', '/api/clusters/web/upstreams', { variant: 'ext', hostname: 'b.test', app: 'echo', host_header: 'internal.test' })).status).toBe(201);
    expect((await s.api('POST', '/api/clusters/web/switch', { to: 'ext' })).status).toBe(200);
    await waitFor('the bridges answer', async () => (await get(PROXIES[1]!, PORT, 'a.test')).body.startsWith('host='), 3_000, { every: 50 });
    for (const address of PROXIES) {
      expect((await get(address, PORT, 'a.test')).body).toBe(`host=${echoAddr}\n`);
      expect((await get(address, PORT, 'b.test')).body).toBe('host=internal.test\n');
    }
    // In place: the same process.
    expect(caddyPid(s, 0)).toBe(before);
  }, 60_000);

  it('a config a proxy refuses: the change fails, the old config keeps serving, status says why; the next change applies', async () => {
    // A `caddy` that refuses to adapt while a marker file exists.
    const marker = join(scratch, 'refuse');
    const wrapper = join(scratch, 'caddy');
    writeFileSync(wrapper, `#!/bin/sh\nif [ "$1" = adapt ] && [ -e "${marker}" ]; then echo "Error: refused by the test" >&2; exit 1; fi\nexec caddy "$@"\n`);
    chmodSync(wrapper, 0o755);
    const s = await cluster({ agentEnv: { OWNSTACK_CADDY_BIN: wrapper } });
    const gen = (await status(s)).generation;
    writeFileSync(marker, '');
    const r = await s.api('POST', '/api/clusters/web/upstreams', { variant: 'green', hostname: 'a.test', url: `http://${echoAddr}` });
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('failed');
    expect(r.body.error.message).toMatch(/did not take generation \d+: caddy adapt refused the config: .*refused by the test.*it keeps serving generation/);
    const st = await status(s);
    expect(st.proxies.map((p: any) => p.generation_applied)).toEqual([gen, gen]);
    expect(st.proxies[0].last_error).toMatch(/not applied: caddy adapt refused the config/);
    expect(st.proxies[0].lagging).toBe(true);
    expect((await get(PROXIES[0]!, PORT, 'a.test')).body).toBe('blue\n');
    rmSync(marker);
    expect((await s.api('POST', '/api/clusters/web/switch', { to: 'green' })).status).toBe(200);
    const after = await status(s);
    expect(after.proxies.map((p: any) => [p.generation_applied, p.last_error, p.lagging])).toEqual([
      [after.generation, null, false],
      [after.generation, null, false],
    ]);
  }, 60_000);

  it('a proxy outlives its agent and its control plane: a killed agent is started again and adopts its Caddy; a restarted control plane adopts both', async () => {
    const s = await cluster();
    const caddy0 = caddyPid(s, 0)!;
    const agent0 = agentPid(s, 0)!;
    const load = startLoad({ targets: HOSTS.map((host) => ({ address: PROXIES[0]!, port: PORT, host })), concurrency: 4, keepAliveShare: 1, durationMs: 20_000 });
    process.kill(agent0, 'SIGKILL');
    await waitFor('a new agent', () => agentPid(s, 0) !== agent0 && isAlive(agentPid(s, 0)!), 10_000);
    await waitFor('proxy-0 reports again', async () => (await status(s)).proxies[0].state === 'running', 10_000);
    expect(caddyPid(s, 0)).toBe(caddy0);
    const agents = [agentPid(s, 0), agentPid(s, 1)];
    await s.restartFresh();
    await waitFor('both report to the new control plane', async () => (await status(s)).proxies.every((p: any) => p.state === 'running' && p.healthz === 'ok'), 10_000);
    expect([agentPid(s, 0), agentPid(s, 1)]).toEqual(agents);
    expect(caddyPid(s, 0)).toBe(caddy0);
    expect((await s.api('POST', '/api/clusters/web/switch', { to: 'green' })).status).toBe(200);
    await waitFor('green', async () => (await get(PROXIES[0]!, PORT, 'a.test')).body === 'green\n', 3_000, { every: 50 });
    const r = await load.stop();
    console.log(`runtime: agent killed and control plane restarted: ${r.total} requests, ${r.failed.length} failed`);
    // GETs wait out the agent's absence (Caddy retries a failed lookup for lb_try_duration).
    expect(r.failed, describeFailures(r.failed)).toHaveLength(0);
  }, 90_000);

  it('a Caddy that dies is started again by its agent; the edge drops the proxy meanwhile and takes it back', async () => {
    const s = await cluster({ edgeIntervalMs: 60_000 });
    const zone = () => {
      try {
        return readFileSync(join(s.home, 'local', 'clusters', 'web', 'dns.zone'), 'utf8');
      } catch {
        return '';
      }
    };
    await waitFor('both proxies published', () => zone().includes('127.0.0.2') && zone().includes('127.0.0.3'), 10_000);
    const old = caddyPid(s, 1)!;
    process.kill(old, 'SIGKILL');
    // Heard at once, not at the next edge-loop period (60 s here).
    await waitFor('proxy-1 leaves the zone', () => !zone().includes('127.0.0.3'), 5_000, { every: 50 });
    await waitFor('Caddy started again', () => caddyPid(s, 1) !== old && isAlive(caddyPid(s, 1)!), 10_000);
    await waitFor('proxy-1 back in the zone', () => zone().includes('127.0.0.3'), 10_000, { every: 50 });
    expect(await get(PROXIES[1]!, PORT, 'a.test')).toMatchObject({ status: 200, body: 'blue\n' });
  }, 60_000);

  it('an agent started on the state folder of a running one takes over without a gap (an upgrade): 0 failed requests, the same Caddy', async () => {
    const s = await cluster();
    const load = startLoad({ targets: HOSTS.map((host) => ({ address: PROXIES[0]!, port: PORT, host })), concurrency: 8, keepAliveShare: 0.5, durationMs: 20_000 });
    await new Promise((r) => setTimeout(r, 500));
    const old = agentPid(s, 0)!;
    const caddy0 = caddyPid(s, 0);
    const argv = readFileSync(`/proc/${old}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const { spawn } = await import('node:child_process');
    const successor = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: true, env: { PATH: process.env.PATH, HOME: process.env.HOME, OWNSTACK_HOME: s.home } });
    successor.unref();
    await waitFor('the old agent leaves', () => !isAlive(old), 15_000);
    expect(agentPid(s, 0)).toBe(successor.pid);
    await waitFor('the new agent reports', async () => (await status(s)).proxies[0].state === 'running', 10_000);
    expect((await s.api('POST', '/api/clusters/web/switch', { to: 'green' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_500));
    const r = await load.stop();
    console.log(`runtime: agent handover: ${r.failed.length} failed of ${r.total}`);
    expect(r.failed, describeFailures(r.failed)).toHaveLength(0);
    expect(caddyPid(s, 0)).toBe(caddy0);
    expect((await get(PROXIES[0]!, PORT, 'a.test')).body).toBe('green\n');
  }, 60_000);

  it('a restarted agent serves its last config from disk before it reaches a control plane', async () => {
    const s = await cluster();
    const load = startLoad({ targets: HOSTS.map((host) => ({ address: PROXIES[0]!, port: PORT, host })), concurrency: 4, keepAliveShare: 1, durationMs: 20_000 });
    // The control plane goes away; the proxies keep serving.
    await s.close({ stopProxies: false });
    const caddy0 = caddyPid(s, 0)!;
    // Kill both the agent and its Caddy: a host reboot.
    process.kill(agentPid(s, 0)!, 'SIGKILL');
    process.kill(caddy0, 'SIGKILL');
    await waitFor('caddy gone', () => !isAlive(caddy0), 5_000);
    const argv = readFileSync(`/proc/${agentPid(s, 1)}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const { spawn } = await import('node:child_process');
    const again = spawn(argv[0]!, argv.slice(1).map((a) => a.replace('proxy-1', 'proxy-0').replace('127.0.0.3', '127.0.0.2').replace(/^1$/, '0')), { stdio: 'ignore', detached: true, env: { PATH: process.env.PATH, HOME: process.env.HOME, OWNSTACK_HOME: s.home } });
    again.unref();
    await waitFor('proxy-0 serves from disk with no control plane', async () => (await get(PROXIES[0]!, PORT, 'a.test').catch(() => null))?.body === 'blue\n', 15_000, { every: 100 });
    const r = await load.stop();
    console.log(`runtime: agent + Caddy killed with no control plane: ${r.total} requests (${r.failed.length} failed while nothing ran on 127.0.0.2)`);
    expect(existsSync(join(dir(s, 0), 'applied.json'))).toBe(true);
    srv = undefined;
    await s.close();
    removeHome(s.home);
  }, 90_000);

  it('an address someone else listens on is refused, never shared: the change fails like a refused config (500 failed, saved), and the next one applies', async () => {
    const squatter: Server = createServer((_q, r) => r.end('squatter'));
    await new Promise<void>((resolve) => squatter.listen(PORT, '127.0.0.3', () => resolve()));
    let closed = false;
    try {
      srv = await startProxyServer({ portBase: PORT });
      const s = srv;
      const create = await s.api('POST', '/api/clusters', { name: 'web', hostnames: HOSTS, proxy_count: 2 });
      expect(create.status).toBe(500);
      expect(create.body.error).toMatchObject({ code: 'failed', details: { saved: true, response: { name: 'web' } } });
      expect(create.body.error.message).toMatch(/proxy proxy-1 did not take generation \d+: 127\.0\.0\.3:22000 is already in use by another process/);
      const st = await status(s);
      expect(st.proxies[0]).toMatchObject({ state: 'running', healthz: 'ok' });
      expect(st.proxies[1], JSON.stringify(st.proxies[1])).toMatchObject({ state: 'failed', pid: null, healthz: 'failing' });
      expect(st.proxies[1].last_error).toMatch(/127\.0\.0\.3:22000 is already in use by another process/);
      expect((await get('127.0.0.3', PORT, 'a.test')).body).toBe('squatter');
      await new Promise<void>((r) => squatter.close(() => r()));
      closed = true;
      // Freed: the next change starts that proxy with the current generation.
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

  it('destroy stops the agents and their Caddy and removes the folder', async () => {
    const s = await cluster();
    const pids = [agentPid(s, 0)!, agentPid(s, 1)!, caddyPid(s, 0)!, caddyPid(s, 1)!];
    expect((await s.api('DELETE', '/api/clusters/web')).status).toBe(200);
    await waitFor('all gone', () => pids.every((p) => !isAlive(p)), 25_000);
    expect(existsSync(join(s.home, 'local', 'clusters', 'web'))).toBe(false);
  }, 60_000);
});
