// The product document's "Creating a cluster from the CLI, end-to-end" walkthrough, through the
// built binary, from a cold state with NO profile configured: the first command starts the local
// control plane (one stderr line), and after each step the files on disk (proxy.env, Caddyfile)
// must agree with `cluster proxy-config --json` and hold the expected routing.
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanupHome, e2eHome, localFiles, ok, okJson, ownstack, readEnvFile, serverInfo, startUpstreams, type Upstream } from '../helpers/e2e.js';

const STARTED = /^Started the local control plane on http:\/\/127\.0\.0\.1:\d+ \(state .+\/local, log .+\/local\/server\.log; stop: ownstack local stop\)$/;
const API = 'CLUSTER_UPSTREAMS_API_EXAMPLE_COM';
const APP = 'CLUSTER_UPSTREAMS_APP_EXAMPLE_COM';

let home: string;
let ups: Upstream[];
let closeUpstreams: () => Promise<void>;

beforeAll(async () => {
  assertBuilt();
  home = e2eHome('walkthrough');
  ({ upstreams: ups, close: closeUpstreams } = await startUpstreams(['blue-1', 'blue-2', 'green']));
});
afterAll(async () => {
  await cleanupHome(home);
  await closeUpstreams?.();
});

interface ProxyConfig {
  cluster: string;
  generation: number;
  caddyfile: string;
  env: Record<string, string>;
  files: { caddyfile: string; env: string };
}

/**
 * The files on disk and `cluster proxy-config --json` agree (polled briefly: the server may
 * write the files right after answering); returns the env.
 */
async function diskAgrees(cluster = 'api'): Promise<{ env: Record<string, string>; caddyfile: string; config: ProxyConfig }> {
  const files = localFiles(home).cluster(cluster);
  const deadline = Date.now() + 3_000;
  for (;;) {
    const config = await okJson<ProxyConfig>(home, ['cluster', 'proxy-config', cluster]);
    const env = readEnvFile(files.env);
    let caddyfile: string | null = null;
    try {
      caddyfile = readFileSync(files.caddyfile, 'utf8');
    } catch {
      caddyfile = null;
    }
    const agrees = env !== null && caddyfile !== null && JSON.stringify(env) === JSON.stringify(Object.fromEntries(Object.entries(config.env).sort())) && caddyfile.trim() === config.caddyfile.trim();
    if (agrees || Date.now() > deadline) {
      expect(config.files).toEqual({ caddyfile: files.caddyfile, env: files.env });
      expect(env).toEqual(config.env);
      expect(caddyfile?.trim()).toBe(config.caddyfile.trim());
      return { env: env!, caddyfile: caddyfile!, config };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One GET through a proxy replica with a Host header: status and body. */
function get(address: string, port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path: '/', headers: { host, connection: 'close' }, agent: false, timeout: 3_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end();
  });
}

/**
 * Real traffic through every proxy replica (Caddy) for `host`: waits (bounded) until every answer
 * is one of `bodies`. Returns false when the proxies do not run here (no Caddy): nothing to check.
 */
async function proxiesServe(host: string, bodies: string[]): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  let last = '';
  for (;;) {
    const st = await okJson<{ proxies: { address: string; port: number; state: string }[]; proxy_note: string | null }>(home, ['cluster', 'status', 'api']);
    if (st.proxies.some((p) => p.state === 'not_installed')) return false;
    const answers = await Promise.all(st.proxies.flatMap((p) => [1, 2, 3].map(() => get(p.address, p.port, host))));
    if (st.proxies.every((p) => p.state === 'running') && answers.every((a) => a.status === 200 && bodies.includes(a.body))) return true;
    last = JSON.stringify({ proxies: st.proxies, answers });
    if (Date.now() > deadline) throw new Error(`proxies do not serve ${host} from ${bodies.join('|')}: ${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const noStartLine = (stderr: string) => expect(stderr).not.toContain('Started the local control plane');

describe('walkthrough from a cold state, no profile configured', { timeout: 300_000 }, () => {
  it('1. cluster create starts the local control plane with one stderr line', async () => {
    expect(serverInfo(home)).toBeNull();
    const r = await ok(home, ['cluster', 'create', 'api', '--edge=dns_rr', '--proxy-count=2']);
    const started = r.stderr.split('\n').filter((l) => l.includes('local control plane'));
    expect(started).toHaveLength(1);
    expect(started[0]).toMatch(STARTED);
    expect(r.stdout).toContain('Created cluster api');
    const info = serverInfo(home)!;
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(started[0]).toContain(info.url);
    const f = localFiles(home);
    expect(statSync(f.token).mode & 0o777).toBe(0o600);
    expect(statSync(f.serverJson).mode & 0o777).toBe(0o600);
    expect(statSync(f.dir).mode & 0o777).toBe(0o700);
    const { env } = await diskAgrees();
    expect(env.CLUSTER_UPSTREAMS ?? '').toBe('');
  });

  it('2. domain add: each hostname gets an env var and a Caddyfile site', async () => {
    const a = await ok(home, ['cluster', 'domain', 'add', 'api', 'api.example.com']);
    noStartLine(a.stderr);
    let { env, caddyfile } = await diskAgrees();
    expect(env).toHaveProperty(API, '');
    expect(caddyfile).toContain('api.example.com');
    await ok(home, ['cluster', 'domain', 'add', 'api', 'app.example.com']);
    ({ env, caddyfile } = await diskAgrees());
    expect(env).toHaveProperty(APP, '');
    expect(caddyfile).toContain('app.example.com');
    const list = await okJson<{ hostname: string; env_name: string }[]>(home, ['cluster', 'domain', 'list', 'api']);
    expect(list.map((d) => [d.hostname, d.env_name])).toEqual([
      ['api.example.com', API],
      ['app.example.com', APP],
    ]);
  });

  it('3. variant add: blue routed at 100, green standby at 0 (nothing routed yet)', async () => {
    await ok(home, ['cluster', 'variant', 'add', 'api', 'blue', '--weight=100']);
    await ok(home, ['cluster', 'variant', 'add', 'api', 'green', '--weight=0']);
    const variants = await okJson<{ name: string; weight: number; routed: boolean }[]>(home, ['cluster', 'variant', 'list', 'api']);
    expect(variants.map((v) => [v.name, v.weight])).toEqual([
      ['blue', 100],
      ['green', 0],
    ]);
    const { env } = await diskAgrees();
    expect(env[API]).toBe('');
  });

  it('4. upstream add: an app (blue) and a URL (green) for api.example.com', async () => {
    await ok(home, ['local', 'app', 'add', 'my-rails-app', `--addr=${ups[0].addr}`, `--addr=${ups[1].addr}`]);
    await ok(home, ['cluster', 'upstream', 'add', 'api', '--variant=blue', '--hostname=api.example.com', '--app=my-rails-app']);
    let { env, caddyfile } = await diskAgrees();
    expect(env[API]).toBe(`${ups[0].addr} ${ups[1].addr}`);
    expect(env[APP]).toBe('');
    expect(env.CLUSTER_UPSTREAMS).toBe(`${ups[0].addr} ${ups[1].addr}`);
    expect(caddyfile).toContain(`{$${API}}`);

    await ok(home, ['cluster', 'upstream', 'add', 'api', '--variant=green', '--hostname=api.example.com', `--url=${ups[2].url}`]);
    ({ env } = await diskAgrees());
    // green has weight 0: routing is unchanged.
    expect(env[API]).toBe(`${ups[0].addr} ${ups[1].addr}`);
    const upstreams = await okJson<{ variant: string; kind: string }[]>(home, ['cluster', 'upstream', 'list', 'api']);
    expect(upstreams.map((u) => [u.variant, u.kind])).toEqual([
      ['blue', 'app'],
      ['green', 'url'],
    ]);
    // Real requests through both proxy replicas reach the blue app's two addresses.
    // (Health checks reach every upstream, so only the answers tell which one serves.)
    await proxiesServe('api.example.com', ['blue-1', 'blue-2']);
  });

  it('5. cluster status shows the topology', async () => {
    const status = await okJson<{ cluster: { name: string }; hostnames: { hostname: string; env_value: string; variants: { name: string; routed: boolean }[] }[] }>(home, ['cluster', 'status', 'api']);
    expect(status.cluster.name).toBe('api');
    const api = status.hostnames.find((h) => h.hostname === 'api.example.com')!;
    expect(api.env_value).toBe(`${ups[0].addr} ${ups[1].addr}`);
    expect(api.variants.map((v) => [v.name, v.routed])).toEqual([
      ['blue', true],
      ['green', false],
    ]);
    const text = await ok(home, ['cluster', 'status', 'api']);
    expect(text.stdout).toContain('api.example.com');
  });

  it('6. switch to green and back: every hostname flips in one step', async () => {
    const g = await ok(home, ['cluster', 'switch', 'api', '--to=green']);
    noStartLine(g.stderr);
    let { env } = await diskAgrees();
    expect(env[API]).toBe(ups[2].url);
    expect(env.CLUSTER_UPSTREAMS).toBe(ups[2].url);
    const variants = await okJson<{ name: string; weight: number }[]>(home, ['cluster', 'variant', 'list', 'api']);
    expect(variants.map((v) => [v.name, v.weight])).toEqual([
      ['blue', 0],
      ['green', 100],
    ]);
    await proxiesServe('api.example.com', ['green']);

    await ok(home, ['cluster', 'switch', 'api', '--to=blue']);
    ({ env } = await diskAgrees());
    expect(env[API]).toBe(`${ups[0].addr} ${ups[1].addr}`);
    await proxiesServe('api.example.com', ['blue-1', 'blue-2']);
  });

  it('7. deploy across app-based upstreams (rolling)', async () => {
    const r = await ownstack(home, ['cluster', 'deploy', 'api', '--strategy=rolling', '--json']);
    // One app member: a rolling deploy is either started or refused (exit 5) with the reason.
    if (r.exitCode === 0) {
      const d = JSON.parse(r.stdout) as { cluster: string; strategy: string; members: { app: string }[] };
      expect(d).toMatchObject({ cluster: 'api', strategy: 'rolling' });
      expect(d.members.map((m) => m.app)).toEqual(['my-rails-app']);
    } else {
      expect(r.exitCode).toBe(5);
      expect(r.stderr).toMatch(/member|rolling/);
    }
  });

  it('only the first command printed the start line, and one server ran throughout', async () => {
    const status = await okJson<{ running: boolean; pid: number; clusters: number; apps: number }>(home, ['local', 'status']);
    expect(status).toMatchObject({ running: true, clusters: 1, apps: 1 });
    expect(status.pid).toBe(serverInfo(home)!.pid);
  });
});
