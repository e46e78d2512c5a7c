// `npm run bench:proxy`: cutover cost of the local proxy tier for clusters of 1, 10, 100 and 1,000
// hostnames (2 Caddy replicas, variants blue/green with two app members each, loopback only).
// For each size it prints:
//   - the switch API call's time (POST /api/clusters/:c/switch, which returns once every replica
//     serves the new generation),
//   - the time until every hostname serves the new variant on both proxies: up to 64 (proxy,
//     hostname) pairs are polled continuously from the moment the call is sent (the latest flip
//     among them), and once the call has returned every pair is checked (none may answer with the
//     old variant),
//   - failed requests during the switch under a steady load (20 concurrent connections, bounded
//     in count and time), plus keep-alive retries (RFC 9112 §9.3.1, see test/e2e-proxy/load.ts).
// Options: --sizes=1,10,100,1000  --port-base=31000  --json  --verbose (the runtime's log on stderr)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startControlPlane, type RunningControlPlane } from '../src/control-plane/server.js';
import { createLocalProxyRuntime, migrateReqEnabled } from '../src/proxy/runtime.js';
import { enableMigrateReq } from '../test/e2e-proxy/kernel.js';
import { describeFailures, startLoad, type LoadTarget } from '../test/e2e-proxy/load.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { get } from '../test/proxy-runtime/helpers.js';

// The members run in a process of their own (like real apps), so the load generator and the
// poller in this process do not slow down their answers to Caddy's health probes.
const MEMBERS = `
const http = require('node:http');
const names = process.argv.slice(1);
let left = names.length;
const out = {};
for (const name of names) {
  const variant = name.replace(/-[^-]*$/, '');
  const srv = http.createServer((req, res) => { res.writeHead(200, { 'x-member': name }); res.end(variant + '\\n'); });
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
  allServingMs: number;
  failed: number;
  requests: number;
  retried: number;
  setupMs: number;
}

interface Pair {
  address: string;
  port: number;
  host: string;
  lastOld: number;
  firstNew: number;
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
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]!);
  }));
}

async function benchOne(size: number, portBase: number, members: { name: string; variant: string; addr: string }[]): Promise<Row> {
  const home = mkdtempSync(join(tmpdir(), 'ownstack-bench-'));
  const log = verbose ? (l: string) => process.stderr.write(`  ${new Date().toISOString()} ${l}\n`) : undefined;
  const runtime = await createLocalProxyRuntime({ localDir: join(home, 'local'), env: { PATH: process.env.PATH }, log });
  if (!runtime.caddyVersion()) throw new Error('caddy is not installed: the benchmark needs it (apt-get install caddy)');
  const cp = await startControlPlane({ home, port: 0, runtime, proxyPortBase: portBase, reconcileIntervalMs: 0 });
  try {
    const t0 = Date.now();
    const hostnames = Array.from({ length: size }, (_, i) => `h${i}.bench.test`);
    for (const m of members) await api(cp, 'POST', '/api/apps', { name: m.name, addresses: [m.addr] });
    await api(cp, 'POST', '/api/clusters', { name: 'bench', edge: 'none', proxy_count: 2, hostnames });
    await api(cp, 'POST', '/api/clusters/bench/variants', { name: 'blue', weight: 100 });
    await api(cp, 'POST', '/api/clusters/bench/variants', { name: 'green', weight: 0 });
    for (const m of members) await api(cp, 'POST', '/api/clusters/bench/upstreams', { variant: m.variant, app: m.name });
    const st = await api(cp, 'GET', '/api/clusters/bench/status');
    if (!st.proxies.every((p: any) => p.state === 'running' && p.healthz === 'ok')) throw new Error(`proxies not ready: ${JSON.stringify(st.proxies)}`);
    const setupMs = Date.now() - t0;
    const proxies: { address: string; port: number }[] = st.proxies.map((p: any) => ({ address: p.address as string, port: p.port as number }));

    // Steady load on a spread of hostnames through both proxies.
    const sample = hostnames.filter((_, i) => i % Math.max(1, Math.floor(size / 8)) === 0).slice(0, 8);
    const targets: LoadTarget[] = proxies.flatMap((p) => sample.map((host) => ({ ...p, host })));
    const load = startLoad({ targets, concurrency: 20, durationMs: 20_000, maxRequests: 200_000 });
    await sleep(1_000);

    // Watch a sample of (proxy, hostname) pairs closely from the moment the switch is sent (all of
    // them up to 32 hostnames): a pair has flipped at the send time of its first new-variant
    // answer after its last old-variant one.
    const pairs: Pair[] = proxies.flatMap((p) => hostnames.map((host) => ({ ...p, host, lastOld: 0, firstNew: 0 })));
    const step = Math.max(1, Math.floor(pairs.length / 64));
    const watched = pairs.filter((_, i) => i % step === 0 || i === pairs.length - 1);
    let watching = true;
    const started = Date.now();
    const watcher = (async () => {
      while (watching) {
        await eachLimit(watched, 16, async (pair) => {
          const t = Date.now();
          const r = await get(pair.address, pair.port, pair.host, '/', { timeoutMs: 10_000 }).catch(() => null);
          if (r?.body === 'blue\n') {
            pair.lastOld = t;
            pair.firstNew = 0;
          } else if (r?.body === 'green\n' && pair.firstNew === 0) pair.firstNew = t;
        });
      }
    })();
    await api(cp, 'POST', '/api/clusters/bench/switch', { to: 'green' });
    const switchMs = Date.now() - started;
    watching = false;
    await watcher;
    // Then every pair, once: nothing may still answer with the old variant.
    let stale = 0;
    await eachLimit(pairs, 16, async (pair) => {
      const r = await get(pair.address, pair.port, pair.host, '/', { timeoutMs: 10_000 }).catch(() => null);
      if (r?.body !== 'green\n') stale++;
    });
    if (stale > 0) throw new Error(`${stale} of ${pairs.length} (proxy, hostname) pairs did not answer green after the switch returned`);
    // Every answer to a request sent after the call returned is the new variant (checked above), so a
    // pair not yet seen flipping had flipped by then.
    const allServingMs = Math.min(switchMs, Math.max(...watched.map((p) => (p.firstNew ? p.firstNew - started : switchMs))));
    await sleep(1_000);
    const r = await load.stop();
    if (r.failed.length > 0) process.stderr.write(`  ${size} hostnames, failures: ${describeFailures(r.failed, 3)}; at ${r.failed.slice(0, 5).map((f) => `${f.start - started}ms+${f.end - f.start}ms`).join(', ')} after the switch was sent\n`);
    return { hostnames: size, switchMs, allServingMs, failed: r.failed.length, requests: r.total, retried: r.retried, setupMs };
  } finally {
    await cp.close();
    rmSync(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1,10,100,1000' }, 'port-base': { type: 'string', default: '31000' }, json: { type: 'boolean', default: false }, verbose: { type: 'boolean', default: false } } });
  verbose = values.verbose!;
  const sizes = values.sizes!.split(',').map(Number);
  const portBase = Number(values['port-base']);
  const migrate = enableMigrateReq();
  const servers = await startMembers(['blue-1', 'blue-2', 'green-1', 'green-2']);
  const rows: Row[] = [];
  try {
    for (const size of sizes) {
      const row = await benchOne(size, portBase, servers.members);
      rows.push(row);
      if (!values.json) process.stderr.write(`${size} hostnames: switch ${row.switchMs} ms, all serving ${row.allServingMs} ms, ${row.failed} failed of ${row.requests}\n`);
    }
  } finally {
    servers.child.kill('SIGTERM');
    migrate.restore();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ rows, tcp_migrate_req: migrateReqEnabled() ?? null }, null, 2)}\n`);
    return;
  }
  const lines = [
    '| hostnames | switch API call | every hostname on the new variant | failed requests during the switch | requests (keep-alive retries) |',
    '|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.hostnames} | ${r.switchMs} ms | ${r.allServingMs} ms | ${r.failed} | ${r.requests} (${r.retried}) |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`\n2 Caddy replicas, 2 members per variant, 20 concurrent connections, loopback; net.ipv4.tcp_migrate_req=${migrate.on ? 1 : 0}${migrate.why ? ` (${migrate.why})` : ''}.\n`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench:proxy failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
