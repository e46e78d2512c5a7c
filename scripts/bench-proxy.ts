// `npm run bench:proxy`: cutover cost of the proxy tier for clusters of 1, 10, 100 and 1,000
// hostnames: 2 proxies (agents of the built bin/ownstack, each with its Caddy), variants blue and
// green with two app members each serving every hostname, loopback only. For each size it prints:
//   - the switch API call's time (POST /api/clusters/:c/switch: returns once every proxy reports
//     the new generation),
//   - the time from the call's return until every (proxy, hostname) pair serves the new variant
//     (every pair is polled until it flips; Caddy's cached answers expire within 1 s),
//   - failed requests during the switch, counted as a plain keep-alive client with no retries sees
//     them (20 concurrent connections, bounded in count and time),
//   - each proxy's memory (Caddy's RSS, the agent's RSS) and the time of GET …/status (what
//     `cluster status --json` asks for).
// Options: --sizes=1,10,100,1000  --port-base=31000  --json  --verbose (the control plane's log on stderr)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn, type ChildProcess } from 'node:child_process';
import { AgentRuntime } from '../src/control-plane/runtime/agent-runtime.js';
import { localPaths } from '../src/local/files.js';
import { stopLocalProxies } from '../src/local/stop.js';
import { LocalAgents } from '../src/control-plane/runtime/local-agents.js';
import { startControlPlane, type RunningControlPlane } from '../src/control-plane/server.js';
import { readPidFile } from '../src/proxy/runtime-process.js';
import { describeFailures, startLoad, type LoadTarget } from '../test/e2e-proxy/load.js';
import { get } from '../test/proxy-runtime/helpers.js';

const ROOT = resolve(process.cwd());
const BIN = join(ROOT, 'bin', 'ownstack');

// The members run in a process of their own (like real apps), so the load generator and the
// poller in this process do not slow down their answers to the agents' health probes.
const MEMBERS = `
const http = require('node:http');
const names = process.argv.slice(1);
let left = names.length;
const out = {};
for (const name of names) {
  const variant = name.replace(/-[^-]*$/, '');
  const srv = http.createServer((req, res) => { res.writeHead(200, { 'x-member': name }); res.end(variant + '\\n'); });
  srv.keepAliveTimeout = 30000;
  srv.listen(0, '127.0.0.1', () => { out[name] = '127.0.0.1:' + srv.address().port; if (--left === 0) console.log(JSON.stringify(out)); });
}
`;

async function startMembers(names: string[]): Promise<{ members: { name: string; variant: string; addr: string }[]; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', MEMBERS, ...names], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`member servers exited (${code})`)));
  });
  const addrs = JSON.parse(line) as Record<string, string>;
  return { members: names.map((name) => ({ name, variant: name.replace(/-[^-]*$/, ''), addr: addrs[name]! })), child };
}

interface Row {
  hostnames: number;
  switchMs: number;
  /** The latest old-variant answer after the call returned (0: none). */
  allServingMs: number;
  /** When the poller had seen every pair answer the new variant (bounded by its own pace). */
  lastPollMs: number;
  failed: number;
  requests: number;
  caddyMb: number[];
  agentMb: number[];
  statusMs: number;
  setupMs: number;
}

let verbose = false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(cp: RunningControlPlane, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(cp.url + path, {
    method,
    headers: { authorization: `Bearer ${cp.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as any;
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(json).slice(0, 500)}`);
  return json;
}

/** Runs `fn` over items with at most `limit` in flight. */
async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i]!);
    }),
  );
}

function rssMb(pid: number | null): number {
  if (pid === null) return NaN;
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return NaN;
  }
}

async function benchOne(size: number, portBase: number, members: { name: string; variant: string; addr: string }[]): Promise<Row> {
  const home = mkdtempSync(join(tmpdir(), 'ownstack-bench-'));
  const paths = localPaths(home);
  const log = verbose ? (l: string) => process.stderr.write(`  ${new Date().toISOString()} ${l}\n`) : () => undefined;
  const cp = await startControlPlane({
    home,
    port: 0,
    proxyPortBase: portBase,
    reconcileIntervalMs: 0,
    log,
    runtime: (deps) =>
      new AgentRuntime({
        store: deps.store,
        fleet: deps.fleet,
        log,
        local: new LocalAgents({ localDir: paths.dir, command: [process.execPath, BIN], env: { PATH: process.env.PATH, HOME: process.env.HOME, OWNSTACK_HOME: home }, log, onChange: deps.proxiesChanged }),
      }),
  });
  writeFileSync(paths.serverJson, `${JSON.stringify({ pid: process.pid, url: cp.url, port: cp.port })}\n`, { mode: 0o600 });
  try {
    const t0 = Date.now();
    const hostnames = Array.from({ length: size }, (_, i) => `h${i}.bench.test`);
    for (const m of members) await api(cp, 'POST', '/api/local/apps', { name: m.name, addresses: [m.addr] });
    await api(cp, 'POST', '/api/clusters', { name: 'bench', edge: 'none', proxy_count: 2, hostnames });
    await api(cp, 'POST', '/api/clusters/bench/variants', { name: 'blue', weight: 100 });
    await api(cp, 'POST', '/api/clusters/bench/variants', { name: 'green', weight: 0 });
    for (const m of members) await api(cp, 'POST', '/api/clusters/bench/upstreams', { variant: m.variant, app: m.name });
    const st = await api(cp, 'GET', '/api/clusters/bench/status');
    if (!st.proxies.every((p: any) => p.state === 'running' && p.healthz === 'ok')) throw new Error(`proxies not ready: ${JSON.stringify(st.proxies)}`);
    const setupMs = Date.now() - t0;
    const proxies: { address: string; port: number }[] = st.proxies.map((p: any) => ({ address: p.address as string, port: p.port as number }));
    // Let the first health round settle before measuring.
    await sleep(1_500);

    // Steady load on a spread of hostnames through both proxies.
    const sample = hostnames.filter((_, i) => i % Math.max(1, Math.floor(size / 8)) === 0).slice(0, 8);
    const targets: LoadTarget[] = proxies.flatMap((p) => sample.map((host) => ({ ...p, host })));
    const load = startLoad({ targets, concurrency: 20, durationMs: 30_000, maxRequests: 200_000 });
    await sleep(1_000);

    const sent = Date.now();
    await api(cp, 'POST', '/api/clusters/bench/switch', { to: 'green' });
    const returned = Date.now();
    // Every (proxy, hostname) pair, polled until it answers green. A pair flipped after its last
    // blue answer and before its first green one; the number is the latest last-blue answer (when
    // a pair answered blue the request started at that time), and the poll's own pace bounds the rest.
    const pairs = proxies.flatMap((p) => hostnames.map((host) => ({ ...p, host, lastBlue: 0, firstGreen: 0 })));
    let left = pairs.length;
    const deadline = returned + 20_000;
    while (left > 0 && Date.now() < deadline) {
      await eachLimit(
        pairs.filter((p) => p.firstGreen === 0),
        48,
        async (pair) => {
          const t = Date.now();
          const r = await get(pair.address, pair.port, pair.host, '/', { timeoutMs: 10_000 }).catch(() => null);
          if (r?.body === 'blue\n') pair.lastBlue = Math.max(pair.lastBlue, t);
          else if (r?.body === 'green\n' && pair.firstGreen === 0) {
            pair.firstGreen = t;
            left--;
          }
        },
      );
    }
    if (left > 0) throw new Error(`${left} of ${pairs.length} (proxy, hostname) pairs did not answer green within 20 s of the switch`);
    const allServingMs = Math.max(0, Math.max(...pairs.map((p) => p.lastBlue)) - returned);
    const lastPollMs = Math.max(0, Math.max(...pairs.map((p) => p.firstGreen)) - returned);
    await sleep(1_000);
    const r = await load.stop();
    if (r.failed.length > 0) process.stderr.write(`  ${size} hostnames, failures: ${describeFailures(r.failed, 3)}\n`);
    const s0 = Date.now();
    await api(cp, 'GET', '/api/clusters/bench/status');
    const statusMs = Date.now() - s0;
    const dir = (i: number) => join(paths.dir, 'clusters', 'bench', `proxy-${i}`);
    const caddyMb = [0, 1].map((i) => rssMb(readPidFile(join(dir(i), 'caddy.pid'))));
    const agentMb = [0, 1].map((i) => rssMb(readPidFile(join(dir(i), 'agent.pid'))));
    return { hostnames: size, switchMs: returned - sent, allServingMs, lastPollMs, failed: r.failed.length, requests: r.total, caddyMb, agentMb, statusMs, setupMs };
  } finally {
    await cp.close();
    await stopLocalProxies(paths);
    rmSync(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { sizes: { type: 'string', default: '1,10,100,1000' }, 'port-base': { type: 'string', default: '31000' }, json: { type: 'boolean', default: false }, verbose: { type: 'boolean', default: false } },
  });
  verbose = values.verbose!;
  const sizes = values.sizes!.split(',').map(Number);
  const portBase = Number(values['port-base']);
  const servers = await startMembers(['blue-1', 'blue-2', 'green-1', 'green-2']);
  const rows: Row[] = [];
  try {
    for (const size of sizes) {
      const row = await benchOne(size, portBase, servers.members);
      rows.push(row);
      if (!values.json) process.stderr.write(`${size} hostnames: switch ${row.switchMs} ms, last old answer ${row.allServingMs} ms after, every pair new by ${row.lastPollMs} ms, ${row.failed} failed of ${row.requests}\n`);
    }
  } finally {
    servers.child.kill('SIGTERM');
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ rows }, null, 2)}\n`);
    return;
  }
  const mb = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' / ');
  const lines = [
    '| hostnames | switch API call | last old-variant answer after it returned | every pair seen on the new variant | failed / total (no retries) | Caddy RSS per proxy (MB) | agent RSS per proxy (MB) | GET status |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.hostnames} | ${r.switchMs} ms | ${r.allServingMs} ms | ${r.lastPollMs} ms | ${r.failed} / ${r.requests} | ${mb(r.caddyMb)} | ${mb(r.agentMb)} | ${r.statusMs} ms |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write('\n2 proxies (agent + Caddy each), 2 members per variant serving every hostname, 20 concurrent connections, loopback.\n');
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench:proxy failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
