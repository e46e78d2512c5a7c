// The deploy proofs' world: a local control plane (the built binary) with real Caddy proxies,
// members that are real processes (test/e2e-deploy/fixtures/member.mjs, started detached with
// pid files) and a deploy command that replaces a member's process (deploy-member.sh).
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { ok, okJson, pidAlive, processesWhere, waitGone } from '../helpers/e2e.js';
import { freePort } from '../helpers/net.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));

export const HOST = 'api.example.test';

export interface Members {
  dir: string;
  names: string[];
  ports: Record<string, number>;
  /** The pid a member's pid file names now (null while none). */
  pid(name: string): number | null;
  /** Waits until every member has a live pid. */
  ready(ms?: number): Promise<Record<string, number>>;
  /** Stops every member process this harness (or a deploy) started: by pid, found by our state folder. */
  stop(): Promise<void>;
}

/** Starts `names` as member processes (own session, output to a log file). */
export async function startMembers(dir: string, names: string[]): Promise<Members> {
  mkdirSync(dir, { recursive: true });
  const ports: Record<string, number> = {};
  for (const name of names) {
    ports[name] = await freePort();
    const log = openSync(join(dir, `${name}.log`), 'a');
    const child = spawn(process.execPath, [join(FIXTURES, 'member.mjs'), name, String(ports[name]), dir], { detached: true, stdio: ['ignore', log, log] });
    child.unref();
    closeSync(log);
  }
  const pid = (name: string): number | null => {
    try {
      const n = Number(readFileSync(join(dir, `${name}.pid`), 'utf8'));
      return Number.isInteger(n) && n > 0 ? n : null;
    } catch {
      return null;
    }
  };
  const members: Members = {
    dir,
    names,
    ports,
    pid,
    async ready(ms = 10_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const pids = Object.fromEntries(names.map((n) => [n, pid(n)]));
        if (Object.values(pids).every((p) => p !== null && pidAlive(p))) return pids as Record<string, number>;
        if (Date.now() > deadline) throw new Error(`members not ready: ${JSON.stringify(pids)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      // Every process running member.mjs with our (unique, temporary) state folder.
      for (const member of processesWhere((argv) => argv.some((a) => a.endsWith('member.mjs')) && argv.includes(dir))) {
        try {
          process.kill(member, 'SIGTERM');
        } catch {
          /* gone */
        }
        await waitGone(member, 3_000);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await members.ready();
  return members;
}

export interface ProxyAddr {
  address: string;
  port: number;
}

/** Creates cluster `api` (HOST, 2 proxies, health GET /healthz every 500ms) with the members, and waits until the proxies serve. */
export async function createCluster(home: string, env: NodeJS.ProcessEnv, members: Members): Promise<ProxyAddr[]> {
  const o = { env, timeoutMs: 60_000 };
  await ok(home, ['cluster', 'create', 'api', '--edge=none', '--proxy-count=2', `--hostname=${HOST}`, '--health-path=/healthz', '--health-interval=500ms', '--health-timeout=250ms'], o);
  await ok(home, ['cluster', 'variant', 'add', 'api', 'blue', '--weight=100'], o);
  for (const name of members.names) {
    const cmd = `${join(FIXTURES, 'deploy-member.sh')} ${FIXTURES} ${members.dir} ${name}`;
    await ok(home, ['local', 'app', 'add', name, `--addr=127.0.0.1:${members.ports[name]}`, `--deploy-cmd=${cmd}`], o);
    await ok(home, ['cluster', 'member', 'add', 'api', name], o);
  }
  const deadline = Date.now() + 45_000;
  for (;;) {
    const st = await okJson(home, ['cluster', 'status', 'api'], o);
    const proxies = st.proxies as { address: string; port: number; state: string; healthz: string; generation_applied: number | null }[];
    if (proxies.length === 2 && proxies.every((p) => p.state === 'running' && p.healthz === 'ok' && p.generation_applied === st.generation)) {
      return proxies.map((p) => ({ address: p.address, port: p.port }));
    }
    if (Date.now() > deadline) throw new Error(`the proxies did not come up: ${JSON.stringify(proxies)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One GET through a proxy with the cluster's Host header: the member's body (`<name> <pid>`). */
export function through(p: ProxyAddr, path = '/'): Promise<{ status: number; body: string }> {
  // node:http, not fetch: fetch does not send a Host header of our choosing.
  return new Promise((resolve, reject) => {
    const req = request({ host: p.address, port: p.port, path, headers: { host: HOST }, agent: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Which members answer through the proxies now (a few dozen requests). */
export async function serving(proxies: ProxyAddr[], n = 60): Promise<Set<string>> {
  const names = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await through(proxies[i % proxies.length]!);
    expect(r.status).toBe(200);
    names.add(r.body.split(' ')[0]!);
  }
  return names;
}

export interface StepEvent {
  seq: number;
  at: string;
  type: string;
  app: string | null;
  step: string | null;
  state: string | null;
  message: string;
}

/** [start, end] of each member's active steps (draining … undraining) from the event log. */
export function memberWindows(events: StepEvent[]): Record<string, { start: number; deploying: number; undraining: number; end: number }> {
  const w: Record<string, { start: number; deploying: number; undraining: number; end: number }> = {};
  for (const e of events) {
    if (e.type !== 'step' || !e.app) continue;
    const t = Date.parse(e.at);
    const cur = (w[e.app] ??= { start: NaN, deploying: NaN, undraining: NaN, end: NaN });
    if (e.step === 'draining') cur.start = t;
    if (e.step === 'deploying') cur.deploying = t;
    if (e.step === 'undraining') cur.undraining = t;
    if (e.step === 'done' || e.step === 'failed') cur.end = t;
  }
  return w;
}
