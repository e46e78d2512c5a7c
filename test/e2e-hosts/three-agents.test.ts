// Proxies on "other hosts", on one machine: a control plane that serves agents over TLS
// (`local start --listen … --tls-self-signed`), a cluster with no proxy of its own (--proxy-count=0)
// and three `ownstack proxy agent` processes, each with its own loopback address, state folder and
// agent token, as three hosts would run them. A plain keep-alive client that never retries sends a
// bounded load through all three (test/e2e-proxy/load.ts). Proves:
// - 20 switches: 0 failed; when `cluster switch` returns every agent has applied the generation (the
//   bound: the switch waits for every live agent's report, at most the apply timeout, 30 s);
// - kill -9 of one agent and its Caddy: it leaves the dns_rr records within heartbeat timeout + one
//   edge-loop period, traffic through the two others is untouched;
// - the control plane down for 30 s: 0 failed through the agents; a change made after it returns
//   reaches every agent;
// - an agent token cannot read another cluster's config nor call an operator endpoint (403);
// - plain http off loopback is refused (exit 2, nothing listens);
// - switch-to-all-agents time at 10 and 1,000 hostnames.
import { execa, type ResultPromise } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_MS } from '../../src/proxy/dynamic-caddyfile.js';
import { assertBuilt, BIN, cleanEnv, cleanupHome, e2eHome, pidAlive, ROOT } from '../helpers/e2e.js';
import { get } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { caddyInstalled, startVariantServers, type VariantServer } from '../proxy-runtime/helpers.js';
import { json, must, run } from '../e2e-proxy/cli.js';
import { describeFailures, sentAfter, startLoad, type LoadResult, type LoadTarget } from '../e2e-proxy/load.js';

const PORT = 26_080;
const HOSTS = ['a.test', 'b.test'];
const AGENTS = [
  { name: 'host-1', address: '127.0.0.21', ports: '26100-26199' },
  { name: 'host-2', address: '127.0.0.22', ports: '26200-26299' },
  { name: 'host-3', address: '127.0.0.23', ports: '26300-26399' },
];
const CP = { address: '127.0.0.20', port: 26_443 };
const EDGE_PERIOD_MS = 2_000;
const HEARTBEAT_TIMEOUT_MS = 3_000;
const ENV = {
  OWNSTACK_EDGE_INTERVAL: `${EDGE_PERIOD_MS}ms`,
  OWNSTACK_PROXY_HEARTBEAT_TIMEOUT: `${HEARTBEAT_TIMEOUT_MS}ms`,
  OWNSTACK_PROXY_PORT_BASE: '26500',
};
const SETTLE_MS = REFRESH_MS + 150;
const CONCURRENCY = 30;

const caddy = caddyInstalled();
const why = !caddy ? 'caddy is not installed' : null;
if (why) console.warn(`skipping the three-agent proof: ${why}`);

let home: string;
let servers: VariantServer[];
let closeServers: () => Promise<void>;
const agents = new Map<string, ResultPromise>();
const measured: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const targets = (names = AGENTS.map((a) => a.name)): LoadTarget[] =>
  AGENTS.filter((a) => names.includes(a.name)).flatMap((a) => HOSTS.map((host) => ({ address: a.address, port: PORT, host })));

function certFile(): string {
  return join(home, 'local', 'tls', 'cert.pem');
}

function startAgent(a: (typeof AGENTS)[number]): void {
  const proc = execa(
    process.execPath,
    [
      BIN,
      'proxy',
      'agent',
      '--cluster=web',
      `--server=https://${CP.address}:${CP.port}`,
      `--token-file=${join(home, `${a.name}.token`)}`,
      `--listen=${a.address}:${PORT}`,
      `--public-address=${a.address}`,
      `--name=${a.name}`,
      `--state-dir=${join(home, 'agents', a.name)}`,
      `--internal-ports=${a.ports}`,
      '--heartbeat=1s',
    ],
    { env: cleanEnv(join(home, 'agents', a.name), { NODE_EXTRA_CA_CERTS: certFile() }), extendEnv: false, reject: false, stdin: 'ignore', cwd: ROOT, cleanup: true },
  );
  proc.catch(() => undefined);
  agents.set(a.name, proc);
}

function zone(): string {
  try {
    return readFileSync(join(home, 'local', 'clusters', 'web', 'dns.zone'), 'utf8');
  } catch {
    return '';
  }
}
const inZone = (address: string) => HOSTS.every((h) => new RegExp(`^${h.replace('.', '\\.')}\\.\\s.*\\sA\\s${address.replace(/\./g, '\\.')}$`, 'm').test(zone()));

/** A GET over the TLS listener with a bearer token (the agent's view of the API). */
function tlsGet(path: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: CP.address, port: CP.port, path, ca: readFileSync(certFile()), headers: { authorization: `Bearer ${token}` }, servername: 'localhost' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function allApplied(names = AGENTS.map((a) => a.name)): Promise<boolean> {
  const st = await json(home, ['cluster', 'status', 'web'], ENV);
  return names.every((n) => st.proxies.some((p: any) => p.name === n && p.generation_applied === st.generation && p.healthz === 'ok'));
}

function record(phase: string, r: LoadResult): void {
  const line = `${phase}: ${r.failed.length} failed of ${r.total} requests in ${(r.durationMs / 1000).toFixed(1)} s (no retries)`;
  measured.push(line);
  console.log(`three agents ${line}`);
}

/** `count` switches, each checked on every agent once it returns; returns the CLI's time per switch. */
async function switches(count: number, names: string[]): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const to = i % 2 === 0 ? 'green' : 'blue';
    const r = await run(home, ['cluster', 'switch', 'web', `--to=${to}`], ENV);
    expect(r.exitCode, r.stderr).toBe(0);
    ms.push(r.ms);
    // Returned: every live agent reported the new generation applied.
    const st = await json(home, ['cluster', 'status', 'web'], ENV);
    for (const n of names) expect(st.proxies.find((p: any) => p.name === n)?.generation_applied, `${n} after switch ${i + 1}`).toBe(st.generation);
    await sleep(SETTLE_MS);
    for (const a of AGENTS.filter((x) => names.includes(x.name))) expect((await get(a.address, PORT, HOSTS[i % 2]!)).body, `${a.name} after switch ${i + 1}`).toBe(`${to}\n`);
  }
  return ms;
}

const summary = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return `${s[0]}–${s.at(-1)} ms (median ${s[Math.floor(s.length / 2)]})`;
};

describe.skipIf(why !== null)('three proxy agents on their own addresses, a control plane over TLS (no client retries)', () => {
  beforeAll(async () => {
    assertBuilt();
    home = e2eHome('three-agents');
    ({ servers, close: closeServers } = await startVariantServers(['blue-1', 'blue-2', 'green-1', 'green-2']));
    await must(home, ['local', 'start', `--listen=${CP.address}:${CP.port}`, '--tls-self-signed'], ENV);
    for (const s of servers) await must(home, ['local', 'app', 'add', s.name, `--addr=${s.addr}`], ENV);
    await must(home, ['cluster', 'create', 'web', '--edge=dns_rr', '--proxy-count=0', ...HOSTS.map((h) => `--hostname=${h}`), '--health-interval=1s', '--health-timeout=500ms'], ENV);
    await must(home, ['cluster', 'create', 'other', '--edge=none', '--proxy-count=0', '--hostname=other.test'], ENV);
    await must(home, ['cluster', 'variant', 'add', 'web', 'blue', '--weight=100'], ENV);
    await must(home, ['cluster', 'variant', 'add', 'web', 'green', '--weight=0'], ENV);
    for (const s of servers) await must(home, ['cluster', 'upstream', 'add', 'web', `--variant=${s.variant}`, `--app=${s.name}`], ENV);
    for (const a of AGENTS) await must(home, ['token', 'create', a.name, '--cluster=web', `--output-file=${join(home, `${a.name}.token`)}`], ENV);
    for (const a of AGENTS) startAgent(a);
    await waitFor('three agents applied and healthy', () => allApplied(), 60_000, { every: 250 });
  }, 180_000);

  afterAll(async () => {
    for (const line of measured) console.log(`three agents: ${line}`);
    for (const p of agents.values()) p.kill('SIGTERM');
    await Promise.all([...agents.values()].map((p) => Promise.race([p, sleep(10_000)])));
    for (const p of agents.values()) p.kill('SIGKILL');
    if (home) await cleanupHome(home);
    await closeServers?.();
  }, 60_000);

  it('plain http off loopback is refused: exit 2 naming --listen, nothing starts', async () => {
    const other = e2eHome('three-agents-plain');
    try {
      const r = await run(other, ['local', 'start', '--listen=0.0.0.0:26444'], ENV);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('--listen "0.0.0.0:26444"');
      expect(r.stderr).toContain('HTTPS only');
      const s = await json(other, ['local', 'status'], ENV);
      expect(s.running).toBe(false);
    } finally {
      await cleanupHome(other);
    }
  });

  it('status lists the three agents with host, public address, version, generation and health; dns_rr publishes their addresses', async () => {
    const st = await json(home, ['cluster', 'status', 'web'], ENV);
    const rows = st.proxies.map((p: any) => [p.name, p.address, p.state, p.healthz, p.generation_applied === st.generation, typeof p.agent_version, typeof p.last_seen]);
    expect(rows).toEqual(AGENTS.map((a) => [a.name, a.address, 'running', 'ok', true, 'string', 'string']));
    await waitFor('the three addresses in dns.zone', () => AGENTS.every((a) => inZone(a.address)), 10_000);
    const local = await json(home, ['local', 'status'], ENV);
    expect(local.network_url).toBe(`https://${CP.address}:${CP.port}`);
  }, 60_000);

  it('an agent token reads only its own cluster and calls no operator endpoint (403)', async () => {
    const token = readFileSync(join(home, 'host-1.token'), 'utf8').trim();
    expect((await tlsGet('/api/clusters/web/agent/config', token)).status).toBe(200);
    const other = await tlsGet('/api/clusters/other/agent/config', token);
    expect(other.status).toBe(403);
    expect(JSON.parse(other.body).error.message).toContain('not for cluster other');
    for (const path of ['/api/clusters', '/api/clusters/web/status', '/api/tokens']) {
      const r = await tlsGet(path, token);
      expect(r.status, path).toBe(403);
    }
    // A revoked token is refused from the next request on.
    const extra = join(home, 'revoked.token');
    const made = await json(home, ['token', 'create', 'short-lived', '--cluster=web', `--output-file=${extra}`], ENV);
    const secret = readFileSync(extra, 'utf8').trim();
    expect((await tlsGet('/api/clusters/web/agent/config', secret)).status).toBe(200);
    await must(home, ['token', 'revoke', String(made.id), '--yes'], ENV);
    expect((await tlsGet('/api/clusters/web/agent/config', secret)).status).toBe(401);
  }, 60_000);

  it('20 switches under load through the three agents: 0 failed; each returns once every agent applied it', async () => {
    const load = startLoad({ targets: targets(), concurrency: CONCURRENCY, durationMs: 240_000, maxRequests: 400_000 });
    await sleep(500);
    const ms = await switches(20, AGENTS.map((a) => a.name));
    const r = await load.stop();
    record('20 switches', r);
    expect(r.failed, describeFailures(r.failed)).toHaveLength(0);
    expect(r.total).toBeGreaterThan(500);
    measured.push(`switch to all 3 agents applied (2 hostnames): ${summary(ms)}`);
  }, 300_000);

  it('kill -9 of one agent and its Caddy: it leaves the edge within heartbeat timeout + one period; the others serve untouched', async () => {
    const survivors = ['host-1', 'host-2'];
    const load = startLoad({ targets: targets(survivors), concurrency: CONCURRENCY, durationMs: 60_000 });
    await sleep(500);
    const st = await json(home, ['cluster', 'status', 'web'], ENV);
    const caddyPid = st.proxies.find((p: any) => p.name === 'host-3').pid as number;
    const agent = agents.get('host-3')!;
    const killedAt = Date.now();
    agent.kill('SIGKILL');
    process.kill(caddyPid, 'SIGKILL');
    await waitFor('host-3 gone from dns.zone', () => !inZone('127.0.0.23'), HEARTBEAT_TIMEOUT_MS + EDGE_PERIOD_MS + 5_000, { every: 100 });
    const leftAfter = Date.now() - killedAt;
    expect(inZone('127.0.0.21') && inZone('127.0.0.22')).toBe(true);
    await sleep(1_000);
    const r = await load.stop();
    record('one agent killed (traffic through the two others)', r);
    expect(r.failed, describeFailures(r.failed)).toHaveLength(0);
    expect(pidAlive(caddyPid)).toBe(false);
    measured.push(`killed agent left dns.zone after ${leftAfter} ms (bound: heartbeat timeout ${HEARTBEAT_TIMEOUT_MS} ms + edge period ${EDGE_PERIOD_MS} ms)`);
    const after = await json(home, ['cluster', 'status', 'web'], ENV);
    expect(after.proxies.find((p: any) => p.name === 'host-3').state).toBe('lost');
    // Back: a restarted agent restores its last config and rejoins the edge.
    startAgent(AGENTS[2]!);
    await waitFor('host-3 back in dns.zone', () => inZone('127.0.0.23'), 30_000, { every: 200 });
    await waitFor('host-3 applied again', () => allApplied(), 30_000, { every: 250 });
  }, 120_000);

  it('control plane down for 30 s: 0 failed through the agents; a change after it returns reaches every agent', async () => {
    const load = startLoad({ targets: targets(), concurrency: CONCURRENCY, durationMs: 120_000, maxRequests: 400_000 });
    await sleep(500);
    await must(home, ['local', 'stop'], ENV);
    await sleep(30_000);
    // The network listener comes back with it (network.json), so the agents reconnect by themselves.
    await must(home, ['local', 'start'], ENV);
    const ms = await switches(1, AGENTS.map((a) => a.name));
    await sleep(SETTLE_MS);
    const r = await load.stop();
    record('control plane down 30 s', r);
    expect(r.failed, describeFailures(r.failed)).toHaveLength(0);
    measured.push(`first switch after the control plane returned reached all 3 agents in ${ms[0]} ms`);
    const after = sentAfter(r.samples, Date.now() - 100);
    expect(after.every((s) => s.error === null)).toBe(true);
  }, 180_000);

  it('switch-to-all-agents time with 10 and 1,000 hostnames', async () => {
    for (const count of [10, 1_000]) {
      const doc = await json(home, ['cluster', 'export', 'web', '--format=json'], ENV);
      doc.hostnames = Array.from({ length: count }, (_, i) => (i < HOSTS.length ? HOSTS[i]! : `h${i}.test`));
      const file = join(home, `web-${count}.json`);
      writeFileSync(file, JSON.stringify(doc));
      await must(home, ['cluster', 'apply', '-f', file], ENV);
      await waitFor(`agents applied ${count} hostnames`, () => allApplied(), 60_000, { every: 250 });
      const ms = await switches(5, AGENTS.map((a) => a.name));
      measured.push(`switch to all 3 agents applied (${count} hostnames): ${summary(ms)}`);
    }
  }, 300_000);
});
