// The seed's guarantees through the built CLI, its local control plane and agents with real Caddy,
// under a plain keep-alive load that never retries (test/e2e-proxy/load.ts), bounded in count and
// time, loopback only. Each "host" has its own loopback address (127.0.0.10, 127.0.0.11, …).
// - never zero healthy members: the only active member dies while a healthy member is draining;
//   failures are counted up to the detection bound (reported) and must be 0 after it; `cluster
//   status` names the draining member serving, the control-plane log records start and end;
// - the health gate: a switch to a variant whose only upstream is down is refused (exit 5) naming
//   the hostnames, the upstream and its probe error; --dry-run shows the verdict; --force
//   overrides; a variant nobody probed yet is probed before the verdict; member drain, member
//   weight, variant update and upstream remove are gated the same way;
// - host maintenance: a host holding one of two members goes through `maintenance start`, its
//   "upgrade" (its server stops and comes back), and `maintenance end` with 0 failed requests;
//   `maintenance run` does start → command → end; the state survives a restart.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_MS } from '../../src/proxy/dynamic-caddyfile.js';
import { cleanupHome, e2eHome, serverInfo } from '../helpers/e2e.js';
import { caddyInstalled, get, waitFor } from '../proxy-runtime/helpers.js';
import { E2E_BIN, json, must, run } from '../e2e-proxy/cli.js';
import { describeFailures, startLoad, type LoadResult } from '../e2e-proxy/load.js';

const PORT = 40_000;
const PROXY = '127.0.0.2';
const ENV = { OWNSTACK_PROXY_PORT_BASE: String(PORT), OWNSTACK_EDGE_INTERVAL: '60s' };
const HEALTH = { interval: 1_000, timeout: 500 };
const SETTLE_MS = REFRESH_MS + 150;
const CONCURRENCY = 20;

const caddy = caddyInstalled();
const built = existsSync(E2E_BIN.replace(/bin\/ownstack$/, 'dist/main.js'));
const why = !caddy ? 'caddy is not installed' : !built ? 'the CLI is not built (npm run build)' : null;
if (why) console.warn(`skipping the guarantees proof: ${why}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A member on its own loopback "host": answers `<name>\n`; GET /slow?ms=N waits first. */
interface Member {
  name: string;
  host: string;
  port: number;
  addr: string;
  slowInflight: number;
  kill(): Promise<void>;
  revive(): Promise<void>;
}

async function member(name: string, host: string, port = 0): Promise<Member> {
  const sockets = new Set<Socket>();
  let server: Server;
  const m = { name, host, slowInflight: 0 } as Member;
  const listen = async (p: number) => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const slow = url.pathname === '/slow';
      if (slow) m.slowInflight++;
      setTimeout(() => {
        if (slow) m.slowInflight--;
        res.writeHead(200, { 'content-type': 'text/plain', 'x-member': name });
        res.end(`${name}\n`);
      }, slow ? Number(url.searchParams.get('ms') ?? '2000') : 0);
    });
    server.keepAliveTimeout = 30_000;
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(p, host, () => r()));
    m.port = (server.address() as AddressInfo).port;
    m.addr = `${host}:${m.port}`;
  };
  await listen(port);
  m.kill = async () => {
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  m.revive = () => listen(m.port);
  return m;
}

let home: string;
const members: Member[] = [];
const proofs: string[] = [];

function record(phase: string, r: LoadResult, extra = ''): void {
  const line = `proof ${phase}: ${r.failed.length} failed of ${r.total} requests in ${(r.durationMs / 1000).toFixed(1)} s (no retries)${extra}`;
  proofs.push(line);
  console.log(line);
}

async function apiStatus(cluster: string): Promise<any> {
  const info = serverInfo(home)!;
  const token = readFileSync(join(home, 'local', 'token'), 'utf8').trim();
  const res = await fetch(`${info.url}/api/clusters/${cluster}/status`, { headers: { authorization: `Bearer ${token}` } });
  return res.json();
}

const serverLog = () => readFileSync(join(home, 'local', 'server.log'), 'utf8');

describe.skipIf(why !== null)('the seed guarantees under load (built CLI, agents with real Caddy, no client retries)', () => {
  beforeAll(async () => {
    home = e2eHome('guarantees');
  }, 60_000);

  afterAll(async () => {
    for (const p of proofs) console.log(p);
    if (home) await run(home, ['local', 'stop', '--proxies'], ENV).catch(() => undefined);
    if (process.env.OWNSTACK_KEEP_HOME) console.log(`guarantees home kept: ${home}`);
    else if (home) await cleanupHome(home);
    await Promise.all(members.map((m) => m.kill().catch(() => undefined)));
  }, 60_000);

  it('serves through a healthy draining member while every active member is down: 0 failed after the detection bound; status and the log say so', async () => {
    const a = await member('fb-active', '127.0.0.10');
    const d = await member('fb-draining', '127.0.0.11');
    members.push(a, d);
    for (const m of [a, d]) await must(home, ['local', 'app', 'add', m.name, `--addr=${m.addr}`], ENV);
    await must(home, ['cluster', 'create', 'fb', '--proxy-count=1', '--hostname=fb.test', '--health-interval=1s', '--health-timeout=500ms'], ENV);
    for (const m of [a, d]) await must(home, ['cluster', 'member', 'add', 'fb', m.name], ENV);
    await must(home, ['cluster', 'member', 'drain', 'fb', d.name], ENV);
    const port: number = (await apiStatus('fb')).proxies[0].port;
    await waitFor('fb-active serving', async () => (await get(PROXY, port, 'fb.test')).body === 'fb-active\n', 15_000);

    const load = startLoad({ targets: [{ address: PROXY, port, host: 'fb.test' }], concurrency: CONCURRENCY, durationMs: 12_000 });
    await sleep(1_000);
    const killedAt = Date.now();
    await a.kill();
    // Detection: the agent's probe fails within interval + timeout, its answer changes at once, and
    // Caddy's cached answer expires within one refresh; plus 1 s for a loaded 2-core machine.
    const bound = killedAt + HEALTH.interval + HEALTH.timeout + REFRESH_MS + 1_000;
    const shown = await waitFor(
      'status naming the draining member',
      async () => {
        const st = await apiStatus('fb');
        return (st.warnings as string[]).find((w) => /serving through draining member .*fb-draining.*every active member is down/.test(w));
      },
      10_000,
      { every: 100 },
    );
    const r = await load.done;
    const early = r.failed.filter((s) => s.start < bound);
    const late = r.failed.filter((s) => s.start >= bound);
    record('never zero healthy members', r, `; ${early.length} failed before the detection bound of ${bound - killedAt} ms after the kill, ${late.length} after it`);
    expect(late, describeFailures(late)).toHaveLength(0);
    expect(r.samples.filter((s) => s.start >= bound && s.member !== 'fb-draining')).toEqual([]);
    expect(shown).toMatch(/^fb\.test: serving through draining member/);
    // The text view shows it too.
    const text = await must(home, ['cluster', 'status', 'fb'], ENV);
    expect(text.stdout + text.stderr).toMatch(/serving through draining member .*fb-draining/);
    await waitFor('the log records the start', () => /cluster fb: proxy .*: fb\.test: serving through draining member/.test(serverLog()), 5_000);

    await a.revive();
    await waitFor('the active member serves again', async () => (await get(PROXY, port, 'fb.test')).body === 'fb-active\n', 10_000);
    await waitFor('the log records the end', () => /cluster fb: proxy .*: fb\.test: health fallback ended/.test(serverLog()), 10_000);
    expect((await apiStatus('fb')).warnings.some((w: string) => /serving through draining/.test(w))).toBe(false);
  }, 120_000);

  it('refuses a switch to a variant that cannot serve (exit 5, naming hostnames, upstreams and probe errors); --dry-run shows it; --force overrides', async () => {
    const blue = await member('gate-blue', '127.0.0.12');
    const green = await member('gate-green', '127.0.0.13');
    members.push(blue, green);
    for (const m of [blue, green]) await must(home, ['local', 'app', 'add', m.name, `--addr=${m.addr}`], ENV);
    await must(home, ['cluster', 'create', 'gate', '--proxy-count=1', '--hostname=g1.test', '--hostname=g2.test', '--health-interval=1s', '--health-timeout=500ms'], ENV);
    await must(home, ['cluster', 'variant', 'add', 'gate', 'blue', '--weight=100'], ENV);
    await must(home, ['cluster', 'variant', 'add', 'gate', 'green', '--weight=0'], ENV);
    await must(home, ['cluster', 'upstream', 'add', 'gate', '--variant=blue', `--app=${blue.name}`], ENV);
    await must(home, ['cluster', 'upstream', 'add', 'gate', '--variant=green', `--app=${green.name}`], ENV);
    await green.kill();
    await waitFor('green unhealthy and blue healthy', async () => {
      const ups = (await apiStatus('gate')).hostnames.flatMap((h: any) => h.variants.flatMap((v: any) => v.upstreams));
      return ups.filter((u: any) => u.target === 'gate-green').every((u: any) => u.health === 'unhealthy') && ups.filter((u: any) => u.target === 'gate-blue').every((u: any) => u.health === 'healthy');
    }, 10_000);
    const before = (await apiStatus('gate')).generation;

    const refused = await run(home, ['cluster', 'switch', 'gate', '--to=green'], ENV);
    expect(refused.exitCode, refused.stderr).toBe(5);
    expect(refused.stderr).toMatch(/served now with no healthy upstream/);
    for (const h of ['g1.test', 'g2.test']) expect(refused.stderr).toContain(h);
    expect(refused.stderr).toMatch(new RegExp(`upstream \\d+ \\(app gate-green\\) ${green.addr.replace(/\./g, '\\.')} unhealthy \\(.+\\)`));
    const dry = await run(home, ['cluster', 'switch', 'gate', '--to=green', '--dry-run'], ENV);
    expect(dry.exitCode).toBe(5);
    expect(dry.stderr).toMatch(/served now with no healthy upstream/);
    const forcedDry = await run(home, ['cluster', 'switch', 'gate', '--to=green', '--dry-run', '--force'], ENV);
    expect(forcedDry.exitCode, forcedDry.stderr).toBe(0);
    expect(forcedDry.stdout).toMatch(/forced: g1\.test, g2\.test would have no healthy upstream/);
    expect((await apiStatus('gate')).generation).toBe(before);
    console.log(`proof gate: refused switch (exit 5)\n${refused.stderr.trim()}`);

    // The other gated changes: draining, zero weight, a variant update and removing the last upstream.
    const drain = await run(home, ['cluster', 'member', 'drain', 'gate', blue.name], ENV);
    expect(drain.exitCode).toBe(0); // blue, drained, still serves: the draining fallback keeps it
    await must(home, ['cluster', 'member', 'undrain', 'gate', blue.name], ENV);
    const weight = await run(home, ['cluster', 'variant', 'update', 'gate', 'blue', '--weight=0'], ENV);
    expect(weight.exitCode, weight.stderr).toBe(5);
    expect(weight.stderr).toMatch(/no healthy upstream/);
    const blueId = (await apiStatus('gate')).hostnames[0].variants.find((v: any) => v.name === 'blue').upstreams[0].id;
    // Without blue's upstream nothing is routed (green has weight 0).
    const remove = await run(home, ['cluster', 'upstream', 'remove', 'gate', String(blueId), '--yes'], ENV);
    expect(remove.exitCode, remove.stderr).toBe(5);

    const forced = await run(home, ['cluster', 'switch', 'gate', '--to=green', '--force'], ENV);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(forced.stdout.indexOf('Switched')).toBeLessThan(forced.stdout.length);
    expect(forced.stderr).toMatch(/forced: g1\.test, g2\.test now has no healthy upstream/);
    await must(home, ['cluster', 'switch', 'gate', '--to=blue', '--force'], ENV);

    // A variant nobody has probed yet is probed first: a dead one is refused, a live one passes.
    const red = await member('gate-red', '127.0.0.14');
    members.push(red);
    await must(home, ['local', 'app', 'add', red.name, `--addr=${red.addr}`], ENV);
    await must(home, ['local', 'app', 'add', 'gate-void', '--addr=127.0.0.15:9'], ENV);
    await must(home, ['cluster', 'variant', 'add', 'gate', 'void', '--weight=0'], ENV);
    await must(home, ['cluster', 'upstream', 'add', 'gate', '--variant=void', '--app=gate-void'], ENV);
    const fresh = await run(home, ['cluster', 'switch', 'gate', '--to=void'], ENV);
    expect(fresh.exitCode, fresh.stderr).toBe(5);
    expect(fresh.stderr).toMatch(/127\.0\.0\.15:9 (unhealthy|unknown)/);
    await must(home, ['cluster', 'variant', 'add', 'gate', 'red', '--weight=0'], ENV);
    await must(home, ['cluster', 'upstream', 'add', 'gate', '--variant=red', `--app=${red.name}`], ENV);
    const live = await run(home, ['cluster', 'switch', 'gate', '--to=red'], ENV);
    expect(live.exitCode, live.stderr).toBe(0);
    await must(home, ['cluster', 'switch', 'gate', '--to=blue'], ENV);
  }, 240_000);

  it('a host holding one of two members goes through maintenance under load: 0 failed requests; in-flight requests finish first; end undrains exactly that', async () => {
    const m1 = await member('mt-1', '127.0.0.20');
    const m2 = await member('mt-2', '127.0.0.21');
    // An app with an address on the maintained host and one elsewhere: only that address drains.
    const m3a = await member('mt-3', '127.0.0.20');
    const m3b = await member('mt-3', '127.0.0.22');
    members.push(m1, m2, m3a, m3b);
    await must(home, ['local', 'app', 'add', 'mt-1', `--addr=${m1.addr}`], ENV);
    await must(home, ['local', 'app', 'add', 'mt-2', `--addr=${m2.addr}`], ENV);
    await must(home, ['local', 'app', 'add', 'mt-3', `--addr=${m3a.addr}`, `--addr=${m3b.addr}`], ENV);
    await must(home, ['cluster', 'create', 'mt', '--proxy-count=2', '--hostname=mt.test', '--hostname=mt3.test', '--health-interval=1s', '--health-timeout=500ms'], ENV);
    await must(home, ['cluster', 'variant', 'add', 'mt', 'main', '--weight=100'], ENV);
    await must(home, ['cluster', 'upstream', 'add', 'mt', '--variant=main', '--hostname=mt.test', '--app=mt-1'], ENV);
    await must(home, ['cluster', 'upstream', 'add', 'mt', '--variant=main', '--hostname=mt.test', '--app=mt-2'], ENV);
    await must(home, ['cluster', 'upstream', 'add', 'mt', '--variant=main', '--hostname=mt3.test', '--app=mt-3'], ENV);
    const st = await apiStatus('mt');
    const targets = st.proxies.flatMap((p: any) => ['mt.test', 'mt3.test'].map((host) => ({ address: p.address, port: p.port, host })));
    await waitFor('every member healthy', async () => (await apiStatus('mt')).hostnames.every((h: any) => h.variants[0].upstreams.every((u: any) => u.health === 'healthy')), 15_000);

    // Refused without --force when it would take the last routable address: a host with the only member of a hostname.
    const only = await run(home, ['maintenance', 'start', '127.0.0.22', '--dry-run'], ENV);
    expect(only.exitCode, only.stderr).toBe(0); // mt3 keeps 127.0.0.20: nothing is refused

    const load = startLoad({ targets, concurrency: CONCURRENCY, durationMs: 120_000, maxRequests: 400_000 });
    await sleep(1_000);
    // A slow request in flight at the host: `start` returns only after it finished.
    const slow = get(targets[0].address, targets[0].port, 'mt.test', '/slow?ms=3000', { timeoutMs: 20_000 });
    const slowAtM1 = await waitFor('a slow request in flight somewhere', () => m1.slowInflight + m2.slowInflight > 0, 5_000, { every: 20 }).then(() => m1.slowInflight > 0);
    const start = await run(home, ['maintenance', 'start', '127.0.0.20', '--json'], ENV);
    expect(start.exitCode, start.stderr).toBe(0);
    const started = JSON.parse(start.stdout);
    expect(started.addresses.map((a: any) => a.address).sort()).toEqual([m1.addr, m3a.addr].sort());
    expect(started.wait.outcome).toBe('drained');
    if (slowAtM1) expect(m1.slowInflight).toBe(0);
    const drainedAt = Date.now();
    // The "upgrade": the host's servers go away and come back.
    await m1.kill();
    await m3a.kill();
    await sleep(3_000);
    await m1.revive();
    await m3a.revive();
    const status = await json(home, ['maintenance', 'status'], ENV);
    expect(status.hosts.map((h: any) => h.host)).toEqual(['127.0.0.20']);
    const end = await run(home, ['maintenance', 'end', '127.0.0.20'], ENV);
    expect(end.exitCode, end.stderr).toBe(0);
    await waitFor('mt-1 healthy again', async () => (await apiStatus('mt')).hostnames[0].variants[0].upstreams.every((u: any) => u.health === 'healthy'), 10_000);
    await sleep(SETTLE_MS + 1_000);
    const r = await load.stop();
    record('host maintenance (start, host down 3 s, end)', r, slowAtM1 ? '; a slow request in flight at the host finished before start returned' : '');
    expect(r.failed, describeFailures(r.failed)).toHaveLength(0);
    expect((await slow).status).toBe(200);
    // While drained, 127.0.0.20 got no new request; afterwards it gets traffic again.
    const during = r.samples.filter((s) => s.start >= drainedAt && s.start < drainedAt + 3_000);
    expect(during.filter((s) => s.member === 'mt-1')).toEqual([]);
    expect(r.samples.filter((s) => s.start > drainedAt + 3_000 && s.member === 'mt-1').length).toBeGreaterThan(0);
    expect((await json(home, ['maintenance', 'status'], ENV)).hosts).toEqual([]);
  }, 240_000);

  it('maintenance run does start → command → end; a host alone serving a hostname is refused without --force; the state survives a restart', async () => {
    const ran = await run(home, ['maintenance', 'run', '127.0.0.21', '--', process.execPath, '-e', 'console.log("upgrading 127.0.0.21")'], ENV);
    expect(ran.exitCode, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/upgrading 127\.0\.0\.21[\s\S]*Maintenance of 127\.0\.0\.21 ended/);
    expect(ran.stderr + ran.stdout).toMatch(/Host 127\.0\.0\.21 is under maintenance/);
    // 127.0.0.22 and .20 hold mt-3's two addresses: draining .20 then .22 leaves mt3.test nothing active.
    await must(home, ['maintenance', 'start', '127.0.0.20'], ENV);
    const refused = await run(home, ['maintenance', 'start', '127.0.0.22'], ENV);
    expect(refused.exitCode, refused.stderr).toBe(5);
    expect(refused.stderr).toMatch(/mt3\.test \(cluster mt\)/);
    expect((await json(home, ['maintenance', 'status'], ENV)).hosts.map((h: any) => h.host)).toEqual(['127.0.0.20']);
    // .20 and .21 together hold both members of mt.test: only --force drains the second.
    const second = await run(home, ['maintenance', 'run', '127.0.0.21', '--', 'false'], ENV);
    expect(second.exitCode, second.stderr).toBe(5);
    expect(second.stderr).toMatch(/mt\.test \(cluster mt\)/);
    const failed = await run(home, ['maintenance', 'run', '127.0.0.21', '--force', '--', 'false'], ENV);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toMatch(/127\.0\.0\.21 stays under maintenance/);
    await must(home, ['local', 'stop'], ENV);
    await must(home, ['local', 'start'], ENV);
    const after = await json(home, ['maintenance', 'status'], ENV);
    expect(after.hosts.map((h: any) => h.host).sort()).toEqual(['127.0.0.20', '127.0.0.21']);
    await must(home, ['maintenance', 'end', '127.0.0.20'], ENV);
    await must(home, ['maintenance', 'end', '127.0.0.21'], ENV);
    expect((await json(home, ['maintenance', 'status'], ENV)).hosts).toEqual([]);
    const bad = await run(home, ['maintenance', 'start', '127.0.0.20:80'], ENV);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/<host>.*no port|no port/);
  }, 120_000);
});
