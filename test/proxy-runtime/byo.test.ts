// Bring your own proxy (a proxy app whose command runs per replica with the contract env) and a
// machine without Caddy: neither needs Caddy installed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process.js';
import { CADDY_INSTALL_HINT } from '../../src/control-plane/runtime/agent-runtime.js';
import { removeHome } from '../control-plane/helpers.js';
import { get, startProxyServer, startVariantServers, waitFor, type ProxyTestServer, type VariantServer } from './helpers.js';

const PORT = 28_000;

// A tiny proxy honouring the contract: listens on CLUSTER_PROXY_BIND:CLUSTER_PROXY_PORT, answers
// /_cluster/healthz, and shows what CLUSTER_UPSTREAMS_<HOST> and CLUSTER_UPSTREAMS say.
const PROXY = `
import http from 'node:http';
const envName = (h) => 'CLUSTER_UPSTREAMS_' + h.replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
http.createServer((req, res) => {
  if (req.url === '/_cluster/healthz') return res.end('ok');
  const host = (req.headers.host ?? '').replace(/:\\d+$/, '');
  res.end(JSON.stringify({ host, list: process.env[envName(host)] ?? null, union: process.env.CLUSTER_UPSTREAMS, gen: process.env.CLUSTER_GENERATION, index: process.env.CLUSTER_PROXY_INDEX, hosts: process.env.CLUSTER_HOSTNAMES }));
}).listen(Number(process.env.CLUSTER_PROXY_PORT), process.env.CLUSTER_PROXY_BIND);
`;

let dir: string;
let vs: { servers: VariantServer[]; byName: Record<string, VariantServer>; close(): Promise<void> };
let srv: ProxyTestServer | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ownstack-byo-'));
  writeFileSync(join(dir, 'proxy.mjs'), PROXY);
  vs = await startVariantServers(['blue-1', 'green-1']);
});
afterAll(async () => {
  await vs?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  if (srv) {
    await srv.close();
    removeHome(srv.home);
    srv = undefined;
  }
});

async function ok(r: Promise<{ status: number; body: any }>): Promise<any> {
  const x = await r;
  if (x.status >= 300) throw new Error(`HTTP ${x.status}: ${JSON.stringify(x.body)}`);
  return x.body;
}

describe('bring your own proxy', () => {
  it('runs the proxy app’s command per replica with the contract env; a change restarts the replicas with the new env', async () => {
    srv = await startProxyServer({ portBase: PORT });
    const s = srv;
    await ok(s.api('POST', '/api/local/apps', { name: 'my-proxy', addresses: [], deploy_cmd: `exec node ${join(dir, 'proxy.mjs')}` }));
    for (const m of vs.servers) await ok(s.api('POST', '/api/local/apps', { name: m.name, addresses: [m.addr] }));
    await ok(s.api('POST', '/api/clusters', { name: 'own', hostnames: ['a.test', 'b.test'], proxy_count: 2, proxy_app: 'my-proxy', edge: 'none' }));
    await ok(s.api('POST', '/api/clusters/own/variants', { name: 'blue', weight: 100 }));
    await ok(s.api('POST', '/api/clusters/own/variants', { name: 'green', weight: 0 }));
    await ok(s.api('POST', '/api/clusters/own/upstreams', { variant: 'blue', app: 'blue-1' }));
    await ok(s.api('POST', '/api/clusters/own/upstreams', { variant: 'green', app: 'green-1', hostname: 'b.test' }));

    const st = await ok(s.api('GET', '/api/clusters/own/status'));
    expect(st.proxy_note).toMatch(/proxy app my-proxy: each proxy agent runs its command/);
    expect(st.proxies.map((p: any) => [p.address, p.state, p.healthz, p.generation_applied])).toEqual([
      ['127.0.0.2', 'running', 'ok', st.generation],
      ['127.0.0.3', 'running', 'ok', st.generation],
    ]);
    const seen = JSON.parse((await get('127.0.0.3', PORT, 'a.test')).body);
    // Started when its env last changed: a generation that changes no variable (a standby upstream) restarts nothing.
    expect(seen).toEqual({ host: 'a.test', list: vs.byName['blue-1']!.addr, union: vs.byName['blue-1']!.addr, gen: String(st.generation - 1), index: '1', hosts: 'a.test b.test' });

    await ok(s.api('POST', '/api/clusters/own/switch', { to: 'green', force: true }));
    const after = await ok(s.api('GET', '/api/clusters/own/status'));
    expect(after.proxies.every((p: any, i: number) => p.pid !== st.proxies[i].pid && p.generation_applied === after.generation)).toBe(true);
    await waitFor('old processes gone', () => st.proxies.every((p: any) => !isAlive(p.pid)), 10_000);
    const b = JSON.parse((await get('127.0.0.2', PORT, 'b.test')).body);
    expect(b).toMatchObject({ host: 'b.test', list: vs.byName['green-1']!.addr, gen: String(after.generation) });
    // a.test has no green upstream: its variable is empty, as the contract says.
    expect(JSON.parse((await get('127.0.0.2', PORT, 'a.test')).body).list).toBe('');
  }, 60_000);

  it('a proxy app without a command is external: only its /_cluster/healthz is probed', async () => {
    srv = await startProxyServer({ portBase: PORT });
    const s = srv;
    await ok(s.api('POST', '/api/local/apps', { name: 'their-proxy', addresses: [] }));
    await ok(s.api('POST', '/api/clusters', { name: 'ext', hostnames: ['a.test'], proxy_count: 1, proxy_app: 'their-proxy', edge: 'none' }));
    const st = await ok(s.api('GET', '/api/clusters/ext/status'));
    expect(st.proxies).toEqual([
      expect.objectContaining({ index: 0, name: 'proxy-0', address: '127.0.0.2', port: PORT, state: 'external', pid: null, healthz: 'failing', generation_applied: null, last_error: null }),
    ]);
    expect(st.proxy_note).toMatch(/proxy app their-proxy has no command: run it yourself on 127\.0\.0\.2:28000 with the env in .*proxy\.env/);
  }, 30_000);
});

describe('without Caddy', () => {
  it('everything else works and status says the proxies are not running and how to install Caddy', async () => {
    srv = await startProxyServer({ portBase: PORT, agentEnv: { OWNSTACK_CADDY_BIN: join(dir, 'no-such-caddy') } });
    const s = srv;
    await ok(s.api('POST', '/api/local/apps', { name: 'blue-1', addresses: [vs.byName['blue-1']!.addr] }));
    await ok(s.api('POST', '/api/clusters', { name: 'web', hostnames: ['a.test'], proxy_count: 2 }));
    await ok(s.api('POST', '/api/clusters/web/variants', { name: 'blue', weight: 100 }));
    const up = await ok(s.api('POST', '/api/clusters/web/upstreams', { variant: 'blue', app: 'blue-1' }));
    expect(up.plan.warnings).toEqual([]);
    const st = await waitFor('both agents report', async () => {
      const x = await ok(s.api('GET', '/api/clusters/web/status'));
      return x.proxies.every((p: any) => p.state === 'not_installed') ? x : null;
    });
    expect(st.proxies.map((p: any) => [p.state, p.healthz, p.pid])).toEqual([
      ['not_installed', 'unknown', null],
      ['not_installed', 'unknown', null],
    ]);
    expect(st.proxy_note).toBe(CADDY_INSTALL_HINT);
    expect(st.proxy_note).toMatch(/apt-get install caddy/);
    // Member health is still probed by the agents.
    await waitFor('member health', async () => (await ok(s.api('GET', '/api/clusters/web/status'))).hostnames[0].variants[0].upstreams[0].health === 'healthy', 10_000);
    // The files are written as usual.
    expect(s.file('clusters', 'web', 'proxy.env')).toContain(`CLUSTER_UPSTREAMS_A_TEST="${vs.byName['blue-1']!.addr}"`);
  }, 30_000);
});
