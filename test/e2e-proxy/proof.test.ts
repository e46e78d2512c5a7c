// Issue 4, "Proof": the built CLI and its local control plane drive two real Caddy replicas
// (127.0.0.2, 127.0.0.3) fronting two hostnames, with two small servers per variant (blue, green),
// under a steady, bounded load (50 concurrent connections, each phase ≤ 12 s, loopback only):
// - switch --to=green / --to=blue: once the command returns, every new response on both
//   hostnames and both proxies is the new variant; 0 failed requests over the run;
// - member drain: once it returns, no new request reaches the drained member; slow requests
//   already in flight to it complete with 200;
// - kill a member of the routed variant: 0 failed requests; status shows it unhealthy within
//   the health interval + timeout;
// - kill a proxy: the proxy → edge loop drops it from the dns_rr records; its restart restores it;
// - a config a proxy cannot take: exit 1, the old config keeps serving, status shows the error;
// - `ownstack local stop` stops every replica.
// Failed = a non-200 answer or a connection error. Requests whose pooled keep-alive connection
// was closed by a retiring proxy are retried once, as HTTP clients do (RFC 9112 §9.3.1); they are
// counted and printed, not hidden.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupHome, e2eHome, pidAlive, serverInfo } from '../helpers/e2e.js';
import { caddyInstalled, get, startVariantServers, waitFor, type VariantServer } from '../proxy-runtime/helpers.js';
import { E2E_BIN, json, must, run } from './cli.js';
import { enableMigrateReq, type MigrateReq } from './kernel.js';
import { describeFailures, sentAfter, startLoad, type LoadResult, type LoadTarget } from './load.js';

const PORT = 25_000;
const HOSTS = ['a.test', 'b.test'];
const PROXIES = ['127.0.0.2', '127.0.0.3'];
const ENV = { OWNSTACK_PROXY_PORT_BASE: String(PORT), OWNSTACK_EDGE_INTERVAL: '500ms', OWNSTACK_PROXY_RESTART_DELAY: '4s' };
const HEALTH = { interval: 1_000, timeout: 500 };
const CONCURRENCY = 50;
const TARGETS: LoadTarget[] = PROXIES.flatMap((address) => HOSTS.map((host) => ({ address, port: PORT, host })));

const caddy = caddyInstalled();
const built = existsSync(E2E_BIN.replace(/bin\/ownstack$/, 'dist/main.js'));
let migrate: MigrateReq = { on: false, why: 'not checked', restore: () => undefined };
if (caddy) migrate = enableMigrateReq();
const why = !caddy ? 'caddy is not installed' : !built ? 'the CLI is not built (npm run build)' : null;
if (why) console.warn(`skipping the proxy proof: ${why}`);
// Without it the zero-error assertions may fail (connections queued on a retiring proxy's socket are reset).
if (!why && !migrate.on) console.warn(`proxy proof: ${migrate.why}; the zero-error assertions may fail because of it`);
const failureNote = (): string => (migrate.on ? '' : ` — net.ipv4.tcp_migrate_req is off (${migrate.why})`);

let home: string;
let servers: VariantServer[];
let byName: Record<string, VariantServer>;
let closeServers: () => Promise<void>;
const totals = { requests: 0, failed: 0, retried: 0 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function record(phase: string, r: LoadResult): void {
  totals.requests += r.total;
  totals.failed += r.failed.length;
  totals.retried += r.retried;
  console.log(`proof ${phase}: ${r.total} requests in ${(r.durationMs / 1000).toFixed(1)} s, ${r.failed.length} failed, ${r.retried} keep-alive retries`);
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

describe.skipIf(why !== null)('the proxy tier under load (built CLI, real Caddy)', () => {
  beforeAll(async () => {
    home = e2eHome('proxy-proof');
    ({ servers, byName, close: closeServers } = await startVariantServers(['blue-1', 'blue-2', 'green-1', 'green-2']));
    for (const s of servers) await must(home, ['local', 'app', 'add', s.name, `--addr=${s.addr}`], ENV);
    await must(
      home,
      ['cluster', 'create', 'web', '--edge=dns_rr', '--proxy-count=2', ...HOSTS.map((h) => `--hostname=${h}`), "--health-interval=1s", "--health-timeout=500ms"],
      ENV,
    );
    await must(home, ['cluster', 'variant', 'add', 'web', 'blue', '--weight=100'], ENV);
    await must(home, ['cluster', 'variant', 'add', 'web', 'green', '--weight=0'], ENV);
    for (const s of servers) await must(home, ['cluster', 'upstream', 'add', 'web', `--variant=${s.variant}`, `--app=${s.name}`], ENV);
  }, 120_000);

  afterAll(async () => {
    console.log(`proof total: ${totals.requests} requests, ${totals.failed} failed, ${totals.retried} keep-alive retries`);
    if (process.env.OWNSTACK_KEEP_HOME) console.log(`proof home kept: ${home}`);
    else if (home) await cleanupHome(home);
    await closeServers?.();
    migrate.restore();
  }, 60_000);

  it('runs two Caddy replicas on their own loopback addresses, serving both hostnames', async () => {
    const st = await json(home, ['cluster', 'status', 'web'], ENV);
    expect(st.proxies.map((p: any) => [p.address, p.port, p.state, p.healthz, p.generation_applied])).toEqual(
      PROXIES.map((a) => [a, PORT, 'running', 'ok', st.generation]),
    );
    expect(st.proxy_note).toBeNull();
    for (const address of PROXIES) {
      for (const host of HOSTS) expect((await get(address, PORT, host)).body).toBe('blue\n');
      expect((await get(address, PORT, 'unknown.test', '/_cluster/healthz')).status).toBe(200);
      expect((await get(address, PORT, 'unknown.test')).status).toBe(421);
    }
    // The dns_rr record set maps every hostname to both proxies (what `curl --resolve` emulates).
    await waitFor('both proxies in dns.zone', () => PROXIES.every(zoneHas), 5_000);
  }, 60_000);

  it('switches to green and back with zero failed requests; every response after the command returns is the new variant', async () => {
    // At most 20 s; stopped 2 s after the second switch returns.
    const load = startLoad({ targets: TARGETS, concurrency: CONCURRENCY, durationMs: 20_000 });
    await sleep(2_000);
    const toGreen = await run(home, ['cluster', 'switch', 'web', '--to=green'], ENV);
    expect(toGreen.exitCode, toGreen.stderr).toBe(0);
    await sleep(3_000);
    const backStarted = Date.now();
    const toBlue = await run(home, ['cluster', 'switch', 'web', '--to=blue'], ENV);
    expect(toBlue.exitCode, toBlue.stderr).toBe(0);
    await sleep(2_000);
    const r = await load.stop();
    record('switch', r);
    expect(r.failed, describeFailures(r.failed) + failureNote()).toHaveLength(0);
    const green = sentAfter(r.samples, toGreen.endedAt).filter((s) => s.start < backStarted);
    const blue = sentAfter(r.samples, toBlue.endedAt);
    expect(green.length).toBeGreaterThan(20);
    expect(blue.length).toBeGreaterThan(20);
    // Both proxies and both hostnames were exercised after each switch.
    expect(new Set(green.map((s) => s.target)).size).toBe(TARGETS.length);
    expect(new Set(blue.map((s) => s.target)).size).toBe(TARGETS.length);
    expect(green.filter((s) => s.body !== 'green\n')).toEqual([]);
    expect(blue.filter((s) => s.body !== 'blue\n')).toEqual([]);
    console.log(`proof switch: the CLI took ${toGreen.ms} ms (to green) and ${toBlue.ms} ms (to blue)`);
  }, 90_000);

  it('drains a member: no new request reaches it once the command returns; slow requests in flight finish with 200', async () => {
    const load = startLoad({ targets: TARGETS, concurrency: CONCURRENCY, durationMs: 20_000 });
    await sleep(1_000);
    // Slow requests until at least one is in flight at blue-1.
    const slow: Promise<{ status: number; body: string; member: string | null }>[] = [];
    await waitFor(
      'a slow request in flight at blue-1',
      () => {
        if (byName['blue-1']!.slowInflight > 0) return true;
        for (let i = 0; i < 4; i++) slow.push(get(PROXIES[i % 2]!, PORT, HOSTS[i % 2]!, '/slow?ms=10000', { timeoutMs: 30_000 }));
        return false;
      },
      10_000,
      200,
    );
    const drain = await run(home, ['cluster', 'member', 'drain', 'web', 'blue-1'], ENV);
    expect(drain.exitCode, drain.stderr).toBe(0);
    // The command did not wait for them (they take 10 s).
    const stillInFlight = byName['blue-1']!.slowInflight;
    await sleep(2_000);
    const r = await load.stop();
    await must(home, ['cluster', 'member', 'undrain', 'web', 'blue-1'], ENV);
    const slowDone = await Promise.all(slow);
    console.log(`proof drain: the CLI took ${drain.ms} ms; ${stillInFlight} slow request(s) still in flight at blue-1 when it returned`);
    expect(stillInFlight).toBeGreaterThan(0);
    record('drain', r);
    expect(r.failed, describeFailures(r.failed) + failureNote()).toHaveLength(0);
    expect(slowDone.every((x) => x.status === 200 && x.body === 'blue\n')).toBe(true);
    expect(slowDone.some((x) => x.member === 'blue-1')).toBe(true);
    const after = sentAfter(r.samples, drain.endedAt);
    expect(after.length).toBeGreaterThan(20);
    expect(after.filter((s) => s.member === 'blue-1')).toEqual([]);
    expect(after.every((s) => s.member === 'blue-2')).toBe(true);
  }, 90_000);

  it('kills a member of the routed variant: zero failed requests, and status shows it unhealthy within interval + timeout', async () => {
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
      50,
    );
    const r = await load.done;
    record('kill member', r);
    expect(r.failed, describeFailures(r.failed) + failureNote()).toHaveLength(0);
    const elapsed = seenAt - killedAt;
    console.log(`proof kill member: status showed blue-2 unhealthy ${elapsed} ms after the kill (interval ${HEALTH.interval} ms + timeout ${HEALTH.timeout} ms)`);
    // interval + timeout, plus slack for polling and a loaded 2-core machine.
    expect(elapsed).toBeLessThanOrEqual(HEALTH.interval + HEALTH.timeout + 1_000);
    // The same verdict in the CLI's tree and JSON.
    const st = await json(home, ['cluster', 'status', 'web'], ENV);
    expect(st.hostnames[0].variants[0].upstreams.find((u: any) => u.target === 'blue-2').addresses[0].health).toBe('unhealthy');
    expect(st.hostnames[0].variants[0].upstreams.find((u: any) => u.target === 'blue-1').health).toBe('healthy');
    const tree = await must(home, ['cluster', 'status', 'web'], ENV);
    expect(tree.stdout).toMatch(new RegExp(`${byName['blue-2']!.addr.replace(/\./g, '\\.')}\\s+unhealthy`));
    await byName['blue-2']!.revive();
    await waitFor('blue-2 healthy again', async () => (await apiStatus()).hostnames[0].variants[0].upstreams.find((u: any) => u.target === 'blue-2').health === 'healthy', 10_000);
  }, 90_000);

  it('kills a proxy: the proxy → edge loop drops it from the dns_rr records, and its restart restores it', async () => {
    expect(PROXIES.every(zoneHas)).toBe(true);
    const st = await apiStatus();
    const victim = st.proxies.find((p: any) => p.address === '127.0.0.3');
    expect(victim.pid).toBeGreaterThan(0);
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    await waitFor('127.0.0.3 out of dns.zone', () => !zoneHas('127.0.0.3') && zoneHas('127.0.0.2'), 5_000, 50);
    const dropped = Date.now() - killedAt;
    // (The zone file is written just before the published set is recorded.)
    const during = await waitFor('status warns', async () => {
      const x = await apiStatus();
      return /127\.0\.0\.3:25000 is out of the dns_rr edge/.test(x.warnings.join('\n')) ? x : null;
    }, 2_000, 50);
    expect(during.proxies[1].state).toMatch(/failed|stopped|starting/);
    // Restarted by the supervisor (OWNSTACK_PROXY_RESTART_DELAY=4s), then back after one health interval.
    await waitFor('127.0.0.3 back in dns.zone', () => zoneHas('127.0.0.3'), 20_000, 100);
    const restored = Date.now() - killedAt;
    const after = await apiStatus();
    expect(after.proxies[1].state).toBe('running');
    expect(after.proxies[1].pid).not.toBe(victim.pid);
    expect(after.edge.reconciled_at).not.toBeNull();
    for (const host of HOSTS) expect((await get('127.0.0.3', PORT, host)).body).toBe('blue\n');
    console.log(`proof kill proxy: dropped from dns.zone after ${dropped} ms, restored after ${restored} ms`);
  }, 60_000);

  it('a config the proxies cannot take fails the command (exit 1), keeps the old config serving and shows the error', async () => {
    // Something else holds the port the new URL upstream's bridge needs on 127.0.0.2.
    // The cluster's first bridge port (bridge_base_port: port base + 1920 for the first cluster).
    const bridgePort = PORT + 1920;
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
    // Any later change (even one that changes nothing) retries, and now it takes.
    const again = await run(home, ['cluster', 'switch', 'web', '--to=blue'], ENV);
    expect(again.exitCode, again.stderr).toBe(0);
    const fixed = await apiStatus();
    expect(fixed.proxies.map((p: any) => p.generation_applied)).toEqual([fixed.generation, fixed.generation]);
    expect(fixed.proxies[0].last_error).toBeNull();
  }, 60_000);

  it('`ownstack local stop` stops every replica', async () => {
    const pids = (await apiStatus()).proxies.map((p: any) => p.pid as number);
    expect(pids.every((p: number) => pidAlive(p))).toBe(true);
    await must(home, ['local', 'stop'], ENV);
    await waitFor('replicas gone', () => pids.every((p: number) => !pidAlive(p)), 10_000);
  }, 60_000);
});
