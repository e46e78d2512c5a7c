// `npm run bench:apply`: a whole cluster in one call, timed through the built CLI (bin/ownstack)
// against its local control plane with real agents and Caddy (loopback only; build first). For
// clusters of 10, 100 and 1,000 hostnames with two app upstreams each (variants blue and green):
//   - create: `cluster apply -f` of the whole file for a cluster that does not exist (its two
//     agents and their Caddy start inside the call);
//   - apply: the whole file into a running cluster created empty just before;
//   - no-op: the same file again (JSON), and the cluster's YAML export piped back (`export | apply -f -`);
//   - switch: the file with green at 100;
// each the CLI's wall time, with the control plane's own time for the request (server.log) in
// brackets. After each change every (proxy, hostname) pair is checked through both proxies with
// its Host header; a pair that does not answer as the file says fails the benchmark.
// Options: --sizes=10,100,1000  --port-base=32000  --json
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REFRESH_MS } from '../src/proxy/dynamic-caddyfile.js';
import { get, startVariantServers } from '../test/proxy-runtime/helpers.js';

// Run by `npm run bench:apply` from the repository root (the bundle of this file lives elsewhere).
const BIN = resolve('bin', 'ownstack');
const PROXIES = ['127.0.0.2', '127.0.0.3'];

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(home: string, portBase: number, argv: string[], input?: string): Promise<Ran> {
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = execFile(
      process.execPath,
      [BIN, ...argv],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, OWNSTACK_HOME: home, OWNSTACK_PROXY_PORT_BASE: String(portBase), NO_PROXY: '127.0.0.1,localhost' }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        if (typeof code !== 'number') return fail(err);
        done({ code, stdout, stderr, ms: Math.round(performance.now() - started) });
      },
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function must(home: string, portBase: number, argv: string[], input?: string): Promise<Ran> {
  const r = await cli(home, portBase, argv, input);
  if (r.code !== 0) throw new Error(`ownstack ${argv.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

function documentOf(name: string, size: number, live: 'blue' | 'green', withHostnames = true) {
  const hostnames = withHostnames ? Array.from({ length: size }, (_, i) => `h${i}.${name}.bench`) : [];
  return {
    name,
    edge: 'dns_rr',
    proxy_count: 2,
    health: { path: '/', interval: '1s', timeout: '500ms' },
    hostnames,
    variants: [
      { name: 'blue', weight: live === 'blue' ? 100 : 0 },
      { name: 'green', weight: live === 'green' ? 100 : 0 },
    ],
    upstreams: hostnames.flatMap((h, i) => [
      { variant: 'blue', hostname: h, app: `blue-${(i % 2) + 1}` },
      { variant: 'green', hostname: h, app: `green-${(i % 2) + 1}` },
    ]),
  };
}

/** Every (proxy, hostname) pair must answer `body` (a bounded wait for Caddy's cached answers). */
async function checkServed(port: number, hostnames: string[], body: string): Promise<void> {
  let pending = PROXIES.flatMap((address) => hostnames.map((host) => ({ address, host })));
  const deadline = Date.now() + 15_000;
  while (pending.length > 0) {
    const still: typeof pending = [];
    for (let i = 0; i < pending.length; i += 32) {
      const batch = pending.slice(i, i + 32);
      const got = await Promise.all(batch.map((p) => get(p.address, port, p.host, '/', { timeoutMs: 5_000 }).catch(() => null)));
      batch.forEach((p, j) => got[j]?.body !== body && still.push(p));
    }
    pending = still;
    if (pending.length > 0 && Date.now() > deadline) throw new Error(`${pending.length} (proxy, hostname) pairs do not answer ${JSON.stringify(body)}, e.g. ${pending[0]!.host} via ${pending[0]!.address}`);
    if (pending.length > 0) await new Promise((r) => setTimeout(r, 200));
  }
}

interface Row {
  hostnames: number;
  upstreams: number;
  create: string;
  apply: string;
  noop: string;
  noopYaml: string;
  switch: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10,100,1000' }, 'port-base': { type: 'string', default: '32000' }, json: { type: 'boolean', default: false } } });
  const sizes = values.sizes!.split(',').map(Number);
  const portBase = Number(values['port-base']);
  if (!existsSync(BIN) || !existsSync(resolve('dist', 'ownstack.bundle.js'))) throw new Error('run it from the repository root after `npm run build` (it runs bin/ownstack)');
  const home = mkdtempSync(join(tmpdir(), 'ownstack-bench-apply-'));
  const servers = await startVariantServers(['blue-1', 'blue-2', 'green-1', 'green-2']);
  const rows: Row[] = [];
  const serverMs = () => {
    const lines = readFileSync(join(home, 'local', 'server.log'), 'utf8').split('\n').filter((l) => l.includes('POST /api/clusters/:cluster/apply'));
    return / 200 (\d+)ms$/.exec(lines.at(-1) ?? '')?.[1] ?? '?';
  };
  const timed = (r: Ran) => `${r.ms} ms (${serverMs()})`;
  try {
    for (const s of servers.servers) await must(home, portBase, ['local', 'app', 'add', s.name, `--addr=${s.addr}`]);
    let slot = 0;
    for (const size of sizes) {
      const write = (tag: string, doc: unknown) => {
        const path = join(home, `${tag}.json`);
        writeFileSync(path, JSON.stringify(doc, null, 1));
        return path;
      };
      // Created by the file, agents included.
      const fresh = `c${size}`;
      const create = await must(home, portBase, ['cluster', 'apply', '-f', write(fresh, documentOf(fresh, size, 'blue'))]);
      const createTime = timed(create);
      await checkServed(portBase + slot++, documentOf(fresh, size, 'blue').hostnames, 'blue\n');
      // Into a running cluster.
      const name = `a${size}`;
      const port = portBase + slot++;
      await must(home, portBase, ['cluster', 'apply', '-f', write(`${name}-empty`, documentOf(name, size, 'blue', false))]);
      const full = documentOf(name, size, 'blue');
      const apply = await must(home, portBase, ['cluster', 'apply', '-f', write(`${name}-blue`, full)]);
      const applyTime = timed(apply);
      await checkServed(port, full.hostnames, 'blue\n');
      const noop = await must(home, portBase, ['cluster', 'apply', '-f', join(home, `${name}-blue.json`)]);
      if (!noop.stdout.includes('already matches')) throw new Error(`the re-apply changed something: ${noop.stdout}`);
      const noopTime = timed(noop);
      const yaml = await must(home, portBase, ['cluster', 'export', name]);
      const noopYaml = await must(home, portBase, ['cluster', 'apply', '-f', '-'], yaml.stdout);
      if (!noopYaml.stdout.includes('already matches')) throw new Error(`export | apply changed something: ${noopYaml.stdout}`);
      const noopYamlTime = timed(noopYaml);
      const sw = await must(home, portBase, ['cluster', 'apply', '-f', write(`${name}-green`, documentOf(name, size, 'green'))]);
      const switchTime = timed(sw);
      await new Promise((r) => setTimeout(r, REFRESH_MS + 150));
      await checkServed(port, full.hostnames, 'green\n');
      const row = { hostnames: size, upstreams: size * 2, create: createTime, apply: applyTime, noop: noopTime, noopYaml: noopYamlTime, switch: switchTime };
      rows.push(row);
      if (!values.json) process.stderr.write(`${size} hostnames: ${JSON.stringify(row)}\n`);
    }
  } finally {
    await cli(home, portBase, ['local', 'stop', '--proxies']).catch(() => undefined);
    await servers.close();
    rmSync(home, { recursive: true, force: true });
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ rows }, null, 2)}\n`);
    return;
  }
  const lines = [
    '| hostnames | upstreams | create from the file | apply into a running cluster | no-op re-apply (JSON) | no-op `export \\| apply -f -` (YAML) | switch by file |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.hostnames} | ${r.upstreams} | ${r.create} | ${r.apply} | ${r.noop} | ${r.noopYaml} | ${r.switch} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write('\nThe CLI\'s wall time (the control plane\'s own time for the request in brackets); 2 proxies (agents with Caddy), loopback. Every (proxy, hostname) pair answered as the file says after each change.\n');
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench:apply failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
