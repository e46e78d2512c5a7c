// The proxy tier under load, through the built CLI and its local control plane: two proxies
// (agents with real Caddy on 127.0.0.2 and 127.0.0.3) fronting two hostnames, two small servers per
// variant (blue, green), and a plain keep-alive client that never retries (test/e2e-proxy/load.ts):
// every failed request counts, as an application would see it. Bounded in count and time, loopback
// only. Phases:
// - 20 switches green ↔ blue (net.ipv4.tcp_migrate_req on), then 10 with it off: 0 failed; once a
//   switch returns, every response is the new variant within one refresh of Caddy's answers (1 s);
// - 20 drain/undrain cycles of a member: 0 failed; a drained member gets no new request once the
//   command returns and the answers refreshed; slow requests in flight at it finish with 200;
// - a member killed: 0 failed; status shows it unhealthy within interval + timeout;
// - a proxy's Caddy killed: the edge drops it at once (not at the next edge-loop period) and takes
//   it back once its agent started it again;
// - `local stop`, 30 s down, `local start`: 0 failed; a change made after it reaches every proxy;
// - a config a proxy cannot take: exit 1, the old config keeps serving, status shows why;
// - `local stop --proxies` takes the traffic down.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_MS } from '../../src/proxy/dynamic-caddyfile.js';
import { cleanupHome, e2eHome, pidAlive, serverInfo } from '../helpers/e2e.js';
import { caddyInstalled, get, startVariantServers, waitFor, type VariantServer } from '../proxy-runtime/helpers.js';
import { E2E_BIN, json, must, run } from './cli.js';
import { setMigrateReq, type MigrateReq } from './kernel.js';
import { describeFailures, sentAfter, startLoad, type LoadResult, type LoadTarget } from './load.js';

const PORT = 25_000;
const HOSTS = ['a.test', 'b.test'];
const PROXIES = ['127.0.0.2', '127.0.0.3'];
// The edge loop's period is long on purpose: a dead proxy must leave the edge through the immediate path.
const ENV = { OWNSTACK_PROXY_PORT_BASE: String(PORT), OWNSTACK_EDGE_INTERVAL: '60s' };
const HEALTH = { interval: 1_000, timeout: 500 };
const CONCURRENCY = 40;
const TARGETS: LoadTarget[] = PROXIES.flatMap((address) => HOSTS.map((host) => ({ address, port: PORT, host })));
/** After a command returns, Caddy may answer from its cached SRV lookup for one refresh. */
const SETTLE_MS = REFRESH_MS + 150;

const caddy = caddyInstalled();
const built = existsSync(E2E_BIN.replace(/bin\/ownstack$/, 'dist/main.js'));
const why = !caddy ? 'caddy is not installed' : !built ? 'the CLI is not built (npm run build)' : null;
if (why) console.warn(`skipping the proxy proof: ${why}`);

let home: string;
let servers: VariantServer[];
let byName: Record<string, VariantServer>;
let closeServers: () => Promise<void>;
let migrate: MigrateReq | null = null;
const totals = { requests: 0, failed: 0 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function record(phase: string, r: LoadResult): void {
  totals.requests += r.total;
  totals.failed += r.failed.length;
  console.log(`proof ${phase}: ${r.failed.length} failed of ${r.total} requests in ${(r.durationMs / 1000).toFixed(1)} s (no retries)`);
}

/** The cluster status straight from the API (fast polling); `cluster status --json` prints the same document. */
async function apiStatus(): Promise<any> {
  const info = serverInfo(home)!;
  const token = readFileSync(join(home, 'local', 'token'), 'utf8').trim();
  const res = await fetch(`${info.url}/api/clusters/web/status`, { headers: { authorization: `Bearer ${token}` } });
  return res.json();
}

function zone(): string {
  try {
    return readFileSync(join(home, 'local', 'clusters', 'web', 'dns.zone'), 'utf8');
  } catch {
    return '';
  }
}

const zoneHas = (address: string) => HOSTS.every((h) => new RegExp(`^${h.replace('.', '\\.')}\\.\\s.*\\sA\\s${address.replace(/\./g, '\\.')}$`, 'm').test(zone()));

/** `count` switches green ↔ blue under load; every response sent SETTLE_MS after each returns is the new variant. */
async function switches(count: number, phase: string): Promise<void> {
  const load = startLoad({ targets: TARGETS, concurrency: CONCURRENCY, durationMs: 120_000, maxRequests: 400_000 });
  await sleep(500);
  const done: { to: string; endedAt: number; ms: number }[] = [];
  for (let i = 0; i < count; i++) {
    const to = i % 2 === 0 ? 'green' : 'blue';
    const r = await run(home, ['cluster', 'switch', 'web', `--to=${to}`], ENV);
    expect(r.exitCode, r.stderr).toBe(0);
    done.push({ to, endedAt: r.endedAt, ms: r.ms });
    await sleep(SETTLE_MS + 300);
  }
  const r = await load.stop();
  record(phase, r);
  expect(r.failed, describeFailures(r.failed)).toHaveLength(0);
  for (const [i, d] of done.entries()) {
    const until = done[i + 1] ? done[i + 1]!.endedAt - done[i + 1]!.ms : Infinity;
    const settled = sentAfter(r.samples, d.endedAt + SETTLE_MS).filter((s) => s.start < until);
    expect(settled.length).toBeGreaterThan(10);
    expect(settled.filter((s) => s.body !== `${d.to}\n`).length, `switch ${i + 1} to ${d.to}`).toBe(0);
  }
  const ms = done.map((d) => d.ms).sort((a, b) => a - b);
  console.log(`proof ${phase}: the CLI took ${ms[0]}–${ms.at(-1)} ms per switch (median ${ms[Math.floor(ms.length / 2)]})`);
}

describe.skipIf(why !== null)('the proxy tier under load (built CLI, agents with real Caddy, no client retries)', () => {
  beforeAll(async () => {
    home = e2eHome('proxy-proof');
    migrate = setMigrateReq(true);
    ({ servers, byName, close: closeServers } = await startVariantServers(['blue-1', 'blue-2', 'green-1', 'green-2']));
    for (const s of servers) await must(home, ['local', 'app', 'add', s.name, `--addr=${s.addr}`], ENV);
    await must(home, ['cluster', 'create', 'web', '--edge=dns_rr', '--proxy-count=2', ...HOSTS.map((h) => `--hostname=${h}`), '--health-interval=1s', '--health-timeout=500ms'], ENV);
    await must(home, ['cluster', 'variant', 'add', 'web', 'blue', '--weight=100'], ENV);
    await must(home, ['cluster', 'variant', 'add', 'web', 'green', '--weight=0'], ENV);
    for (const s of servers) await must(home, ['cluster', 'upstream', 'add', 'web', `--variant=${s.variant}`, `--app=${s.name}`], ENV);
  }, 120_000);

  afterAll(async () => {
    console.log(`proof total: ${totals.failed} failed of ${totals.requests} requests`);
    if (process.env.OWNSTACK_KEEP_HOME) console.log(`proof home kept: ${home}`);
    else if (home) await cleanupHome(home);
    await closeServers?.();
    migrate?.restore();
  }, 60_000);

  it('runs two proxies on their own loopback addresses, serving both hostnames', async () => {
    const st = await json(home, ['cluster', 'status', 'web'], ENV);
    expect(st.proxies.map((p: any) => [p.address, p.port, p.state, p.healthz, p.generation_applied])).toEqual(PROXIES.map((a) => [a, PORT, 'running', 'ok', st.generation]));
    for (const address of PROXIES) {
      for (const host of HOSTS) expect((await get(address, PORT, host)).body).toBe('blue\n');
      expect((await get(address, PORT, 'unknown.test', '/_cluster/healthz')).status).toBe(200);
      expect((await get(address, PORT, 'unknown.test')).status).toBe(421);
    }
    await waitFor('both proxies in dns.zone', () => PROXIES.every(zoneHas), 5_000);
  }, 60_000);

  it('20 switches with net.ipv4.tcp_migrate_req on: 0 failed requests', async () => {
    if (!migrate?.on) console.warn(`proof: tcp_migrate_req could not be set (${migrate?.why}); the phase runs with the machine's setting`);
    await switches(20, 'switches (tcp_migrate_req on)');
  }, 180_000);

  it('10 switches with net.ipv4.tcp_migrate_req off: 0 failed requests too (a switch moves no listener)', async () => {
    const off = setMigrateReq(false);
    try {
      await switches(10, 'switches (tcp_migrate_req off)');
    } finally {
      off.restore();
    }
  }, 180_000);

  it('20 drain/undrain cycles: 0 failed; a drained member gets no new request; slow requests in flight finish with 200', async () => {
    const load = startLoad({ targets: TARGETS, concurrency: CONCURRENCY, durationMs: 150_000, maxRequests: 400_000 });
    await sleep(500);
    const slow: Promise<{ status: number; body: string; member: string | null }>[] = [];
    const windows: { from: number; to: number }[] = [];
    let stillInFlight = 0;
    for (let i = 0; i < 20; i++) {
      if (i === 0) {
        // Slow requests until at least one is in flight at blue-1.
        await waitFor(
          'a slow request in flight at blue-1',
          () => {
            if (byName['blue-1']!.slowInflight > 0) return true;
            for (let k = 0; k < 4; k++) slow.push(get(PROXIES[k % 2]!, PORT, HOSTS[k % 2]!, '/slow?ms=8000', { timeoutMs: 30_000 }));
            return false;
          },
          10_000,
          { every: 200 },
        );
      }
      const drain = await run(home, ['cluster', 'member', 'drain', 'web', 'blue-1'], ENV);
      expect(drain.exitCode, drain.stderr).toBe(0);
      if (i === 0) stillInFlight = byName['blue-1']!.slowInflight;
      await sleep(SETTLE_MS + 200);
      const undrain = await run(home, ['cluster', 'member', 'undrain', 'web', 'blue-1'], ENV);
      expect(undrain.exitCode, undrain.stderr).toBe(0);
      windows.push({ from: drain.endedAt + SETTLE_MS, to: undrain.endedAt - undrain.ms });
      await sleep(300);
    }
    const r = await load.stop();
    record('drain/undrain', r);
    expect(r.failed, describeFailures(r.failed)).toHaveLength(0);
    const slowDone = await Promise.all(slow);
    console.log(`proof drain: ${stillInFlight} slow request(s) in flight at blue-1 when the first drain returned`);
    expect(stillInFlight).toBeGreaterThan(0);
    expect(slowDone.every((x) => x.status === 200 && x.body === 'blue\n')).toBe(true);
    for (const w of windows) {
      const during = r.samples.filter((s) => s.start >= w.from && s.start < w.to);
      expect(during.filter((s) => s.member === 'blue-1')).toEqual([]);
    }
    // …and it gets traffic again after each undrain.
    expect(r.samples.filter((s) => s.member === 'blue-1').length).toBeGreaterThan(0);
  }, 240_000);

  it('kills a member of the routed variant: 0 failed requests, and status shows it unhealthy within interval + timeout', async () => {
    const load = startLoad({ targets: TARGETS, concurrency: CONCURRENCY, durationMs: 6_000 });
    await sleep(1_000);
    const killedAt = Date.now();
    await byName['blue-2']!.kill();
    const seenAt = await waitFor(
      'blue-2 unhealthy in status',
      async () => {
        const asked = Date.now();
        const st = await apiStatus();
        const u = st.hostnames.flatMap((h: any) => h.variants.flatMap((v: any) => v.upstreams)).filter((x: any) => x.target === 'blue-2');
        return u.length === HOSTS.length && u.every((x: any) => x.health === 'unhealthy') ? asked : false;
      },
      10_000,
      { every: 50 },
    );
    const r = await load.done;
    record('kill member', r);
    expect(r.failed, describeFailures(r.failed)).toHaveLength(0);
    const elapsed = seenAt - killedAt;
    console.log(`proof kill member: status showed blue-2 unhealthy ${elapsed} ms after the kill (interval ${HEALTH.interval} ms + timeout ${HEALTH.timeout} ms)`);
    // interval + timeout, plus the agents' report and slack for a loaded 2-core machine.
    expect(elapsed).toBeLessThanOrEqual(HEALTH.interval + HEALTH.timeout + 1_000);
    const st = await json(home, ['cluster', 'status', 'web'], ENV);
    expect(st.hostnames[0].variants[0].upstreams.find((u: any) => u.target === 'blue-2').addresses[0].health).toBe('unhealthy');
    expect(st.hostnames[0].variants[0].upstreams.find((u: any) => u.target === 'blue-1').health).toBe('healthy');
    await byName['blue-2']!.revive();
    await waitFor('blue-2 healthy again', async () => (await apiStatus()).hostnames[0].variants[0].upstreams.find((u: any) => u.target === 'blue-2').health === 'healthy', 10_000);
  }, 90_000);

  it("kills a proxy's Caddy: the edge drops it at once (the edge loop runs every 60 s here) and takes it back once its agent started it again", async () => {
    expect(PROXIES.every(zoneHas)).toBe(true);
    const st = await apiStatus();
    const victim = st.proxies.find((p: any) => p.address === '127.0.0.3');
    expect(victim.pid).toBeGreaterThan(0);
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    await waitFor('127.0.0.3 out of dns.zone', () => !zoneHas('127.0.0.3') && zoneHas('127.0.0.2'), 5_000, { every: 20 });
    const dropped = Date.now() - killedAt;
    await waitFor('127.0.0.3 back in dns.zone', () => zoneHas('127.0.0.3'), 20_000, { every: 50 });
    const restored = Date.now() - killedAt;
    const after = await apiStatus();
    expect(after.proxies[1].state).toBe('running');
    expect(after.proxies[1].pid).not.toBe(victim.pid);
    for (const host of HOSTS) expect((await get('127.0.0.3', PORT, host)).body).toBe('blue\n');
    console.log(`proof kill proxy: dropped from dns.zone after ${dropped} ms, restored after ${restored} ms`);
  }, 60_000);

  it('stops the control plane for 30 s under load: 0 failed requests; a change made after it returns reaches every proxy', async () => {
    const load = startLoad({ targets: TARGETS, concurrency: CONCURRENCY, durationMs: 60_000, maxRequests: 400_000 });
    await sleep(500);
    const pids = (await apiStatus()).proxies.map((p: any) => p.pid);
    await must(home, ['local', 'stop'], ENV);
    expect(serverInfo(home)).toBeNull();
    await sleep(30_000);
    await must(home, ['local', 'start'], ENV);
    const sw = await must(home, ['cluster', 'switch', 'web', '--to=green'], ENV);
    await sleep(SETTLE_MS + 500);
    const r = await load.stop();
    record('control plane down 30 s', r);
    expect(r.failed, describeFailures(r.failed)).toHaveLength(0);
    const st = await apiStatus();
    expect(st.proxies.map((p: any) => p.pid)).toEqual(pids);
    expect(st.proxies.map((p: any) => p.generation_applied)).toEqual([st.generation, st.generation]);
    expect(sentAfter(r.samples, sw.endedAt + SETTLE_MS).filter((s) => s.body !== 'green\n')).toEqual([]);
    await must(home, ['cluster', 'switch', 'web', '--to=blue'], ENV);
    await sleep(SETTLE_MS);
  }, 120_000);

  it('a config the proxies cannot take fails the command (exit 1), keeps the old config serving and shows the error', async () => {
    // Something else holds the port the new URL upstream's bridge gets on 127.0.0.2 (the agent's
    // third internal port: the first cluster's block starts at port base + 1920).
    const bridgePort = PORT + 1920 + 2;
    const blocker: Server = createServer((_q, s) => s.end('blocker'));
    await new Promise<void>((resolve, reject) => {
      blocker.once('error', reject);
      blocker.listen(bridgePort, '127.0.0.2', () => resolve());
    });
    try {
      const before = (await apiStatus()).generation;
      const add = await run(home, ['cluster', 'upstream', 'add', 'web', '--variant=green', `--url=http://${byName['green-1']!.addr}`], ENV);
      expect(add.exitCode, add.stderr).toBe(1);
      expect(add.stderr).toMatch(/did not take generation/);
      console.log(`proof refused change: exit ${add.exitCode}\n${add.stderr.trim()}`);
      const after = await apiStatus();
      expect(after.generation).toBe(before + 1);
      expect(after.proxies[0].generation_applied).toBe(before);
      expect(after.proxies[0].last_error).toMatch(/not applied/);
      expect(after.proxies[1].generation_applied).toBe(before + 1);
      for (const host of HOSTS) expect((await get('127.0.0.2', PORT, host)).body).toBe('blue\n');
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
    // The next change takes.
    const again = await run(home, ['cluster', 'switch', 'web', '--to=green'], ENV);
    expect(again.exitCode, again.stderr).toBe(0);
    const fixed = await apiStatus();
    expect(fixed.proxies.map((p: any) => p.generation_applied)).toEqual([fixed.generation, fixed.generation]);
    expect(fixed.proxies[0].last_error).toBeNull();
    await must(home, ['cluster', 'switch', 'web', '--to=blue'], ENV);
    await sleep(SETTLE_MS);
  }, 60_000);

  it('`ownstack local stop --proxies` takes the traffic down: every agent and Caddy stops', async () => {
    const st = await apiStatus();
    const pids = st.proxies.map((p: any) => p.pid as number);
    expect(pids.every((p: number) => pidAlive(p))).toBe(true);
    await must(home, ['local', 'stop', '--proxies'], ENV);
    await waitFor('proxies gone', () => pids.every((p: number) => !pidAlive(p)), 25_000);
    await expect(get(PROXIES[0]!, PORT, HOSTS[0]!, '/', { timeoutMs: 2_000 })).rejects.toThrow(/ECONNREFUSED/);
  }, 60_000);
});
