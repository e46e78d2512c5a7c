// `cluster update` through the built CLI against real Caddy replicas (loopback only):
// - the proxy count grows and shrinks while a plain keep-alive client that never retries keeps
//   sending to the replica that stays: zero failed requests, and that replica is never replaced
//   (the proxy count is not part of what a replica runs, so it keeps its process and generation);
// - a new replica joins the dns_rr records once it serves; removed ones leave the records first;
// - a config the proxies refuse (a health path stored before the rules existed, which Caddy's URL
//   parser rejects at load) fails every change with exit 1, and `cluster update --health-path`
//   repairs it: the next generation applies on every replica.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupHome, e2eHome, pidAlive, serverInfo } from '../helpers/e2e.js';
import { caddyInstalled, get, startVariantServers, waitFor, type VariantServer } from '../proxy-runtime/helpers.js';
import { E2E_BIN, json, must, run } from './cli.js';
import { setMigrateReq, type MigrateReq } from './kernel.js';
import { describeFailures, startLoad } from './load.js';

const PORT = 26_000;
const HOST = 'a.test';
const ENV = { OWNSTACK_PROXY_PORT_BASE: String(PORT), OWNSTACK_EDGE_INTERVAL: '500ms' };

const caddy = caddyInstalled();
const built = existsSync(E2E_BIN.replace(/bin\/ownstack$/, 'dist/main.js'));
const why = !caddy ? 'caddy is not installed' : !built ? 'the CLI is not built (npm run build)' : null;
if (why) console.warn(`skipping the cluster update proof: ${why}`);
let migrate: MigrateReq = { on: false, why: 'not checked', restore: () => undefined };

let home: string;
let closeServers: () => Promise<void>;
let servers: VariantServer[];

/** The cluster status straight from the API (polling); `cluster status --json` prints the same document. */
async function apiStatus(): Promise<any> {
  const info = serverInfo(home)!;
  const token = readFileSync(join(home, 'local', 'token'), 'utf8').trim();
  const res = await fetch(`${info.url}/api/clusters/web/status`, { headers: { authorization: `Bearer ${token}` } });
  return res.json();
}

const zone = (): string => {
  try {
    return readFileSync(join(home, 'local', 'clusters', 'web', 'dns.zone'), 'utf8');
  } catch {
    return '';
  }
};
const published = (): string[] => [...zone().matchAll(/\sA\s(127\.0\.0\.\d+)$/gm)].map((m) => m[1]!).sort();

describe.skipIf(why !== null)('cluster update with real Caddy replicas', () => {
  beforeAll(async () => {
    migrate = setMigrateReq(true);
    home = e2eHome('proxy-update');
    ({ servers, close: closeServers } = await startVariantServers(['blue-1', 'blue-2']));
    for (const s of servers) await must(home, ['local', 'app', 'add', s.name, `--addr=${s.addr}`], ENV);
    await must(home, ['cluster', 'create', 'web', '--proxy-count=2', `--hostname=${HOST}`, '--health-interval=1s', '--health-timeout=500ms'], ENV);
    await must(home, ['cluster', 'variant', 'add', 'web', 'blue', '--weight=100'], ENV);
    for (const s of servers) await must(home, ['cluster', 'upstream', 'add', 'web', '--variant=blue', `--app=${s.name}`], ENV);
    await waitFor('both proxies published', () => published().join(' ') === '127.0.0.2 127.0.0.3', 10_000);
  }, 120_000);

  afterAll(async () => {
    if (home) await cleanupHome(home);
    await closeServers?.();
    migrate.restore();
  }, 60_000);

  it('adds and removes replicas with zero failed requests for a non-retrying keep-alive client on the replica that stays', async () => {
    const before = await apiStatus();
    const kept = before.proxies[0];
    expect(kept).toMatchObject({ address: '127.0.0.2', state: 'running', generation_applied: before.generation });

    // --dry-run: the plan, and nothing changes.
    const dry = await run(home, ['cluster', 'update', 'web', '--proxy-count=3', '--dry-run'], ENV);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('Dry run: nothing was changed');
    expect(dry.stdout).toContain('proxy_count: 2 → 3');
    expect(dry.stdout).toContain(`+ ${HOST} A 127.0.0.4`);
    expect((await apiStatus()).proxies).toHaveLength(2);

    // Every worker holds one keep-alive connection to 127.0.0.2 and never retries a failure.
    const load = startLoad({ targets: [{ address: '127.0.0.2', port: PORT, host: HOST }], concurrency: 20, keepAliveShare: 1, durationMs: 60_000 });
    await waitFor('load flowing', () => load.samples.length > 100, 10_000);

    const grow = await run(home, ['cluster', 'update', 'web', '--proxy-count=3'], ENV);
    expect(grow.exitCode, grow.stderr).toBe(0);
    expect(grow.stdout).toContain('Updated cluster web (proxy_count)');
    const grown = await apiStatus();
    expect(grown.generation).toBe(before.generation);
    expect(grown.proxies.map((p: any) => [p.address, p.state, p.generation_applied])).toEqual([
      ['127.0.0.2', 'running', before.generation],
      ['127.0.0.3', 'running', before.generation],
      ['127.0.0.4', expect.stringMatching(/running|starting/), before.generation],
    ]);
    expect((await get('127.0.0.4', PORT, HOST)).body).toBe('blue\n');
    await waitFor('the new proxy in dns.zone', () => published().join(' ') === '127.0.0.2 127.0.0.3 127.0.0.4', 10_000);

    const shrink = await run(home, ['cluster', 'update', 'web', '--proxy-count=1'], ENV);
    expect(shrink.exitCode, shrink.stderr).toBe(0);
    // The removed proxies left the edge before they stopped.
    expect(shrink.stderr).toMatch(/stops 127\.0\.0\.3:26000, 127\.0\.0\.4:26000 after taking them out of the edge/);
    expect(published()).toEqual(['127.0.0.2']);
    const shrunk = await apiStatus();
    expect(shrunk.proxies.map((p: any) => p.address)).toEqual(['127.0.0.2']);
    for (const p of grown.proxies.slice(1)) await waitFor(`replica pid ${p.pid} gone`, () => !pidAlive(p.pid), 10_000);

    // And back to two, still under load.
    const regrow = await run(home, ['cluster', 'update', 'web', '--proxy-count=2'], ENV);
    expect(regrow.exitCode, regrow.stderr).toBe(0);
    await waitFor('127.0.0.3 published again', () => published().join(' ') === '127.0.0.2 127.0.0.3', 10_000);
    const sent = load.samples.length;
    await waitFor('more load after the last change', () => load.samples.length > sent + 500, 20_000);
    const r = await load.stop();
    console.log(`cluster update proxy count 2 → 3 → 1 → 2: ${r.total} requests on the replica that stays, ${r.failed.length} failed (no retries)`);
    expect(r.failed, describeFailures(r.failed)).toHaveLength(0);
    expect(r.total).toBeGreaterThan(1_000);
    // The replica that stayed was never replaced.
    const after = (await apiStatus()).proxies[0];
    expect(after).toMatchObject({ pid: kept.pid, generation_applied: before.generation, state: 'running' });
  }, 120_000);

  it('a stored health path Caddy could not parse wedges nothing (the agents probe, Caddy never sees it); `cluster update --health-path` fixes it', async () => {
    // A database from before health paths were checked: "/h%" passed `caddy adapt`, but Caddy's URL
    // parser refused it when a config loaded. The agents' Caddy has no health checks of its own.
    const db = new Database(join(home, 'local', 'state.db'));
    db.prepare("UPDATE clusters SET health_path = '/h%' WHERE name = 'web'").run();
    db.close();

    const change = await run(home, ['cluster', 'member', 'weight', 'web', 'blue-2', '50'], ENV);
    expect(change.exitCode, change.stderr).toBe(0);
    const st = await apiStatus();
    expect(st.proxies.map((p: any) => [p.generation_applied, p.last_error])).toEqual([
      [st.generation, null],
      [st.generation, null],
    ]);
    expect((await get('127.0.0.2', PORT, HOST)).body).toBe('blue\n');

    // The same value is refused up front now, with the rule and the fix.
    const refused = await run(home, ['cluster', 'update', 'web', '--health-path=/h%'], ENV);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('invalid --health-path "/h%": a health-check path may use % only to start a percent-escape of two hex digits (like %2F); write a literal % as %25 — try --health-path=/h%25');

    const repair = await run(home, ['cluster', 'update', 'web', '--health-path=/healthz'], ENV);
    expect(repair.exitCode, repair.stderr).toBe(0);
    expect(repair.stdout).toContain('Updated cluster web (health.path): health /healthz every 1s, timeout 500ms; 2 proxies');
    const fixed = await apiStatus();
    expect(fixed.cluster.health.path).toBe('/healthz');
    expect(fixed.proxies.map((p: any) => [p.state, p.generation_applied, p.last_error])).toEqual([
      ['running', fixed.generation, null],
      ['running', fixed.generation, null],
    ]);
    for (const address of ['127.0.0.2', '127.0.0.3']) expect((await get(address, PORT, HOST)).body).toBe('blue\n');
    // The contract Caddyfile (for bring-your-own proxies) carries it too.
    const caddyfile = readFileSync(join(home, 'local', 'clusters', 'web', 'Caddyfile'), 'utf8');
    expect(caddyfile).toContain('health_uri /healthz');
  }, 120_000);
});
