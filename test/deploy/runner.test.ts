// The deploy runner inside a real control plane (HTTP, SQLite, reconcile, rendered files) with
// the outside world faked: the deploy command (exec), the health probe and the clock.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import type { Clock } from '../../src/clock.js';
import type { DeployEvent } from '../../src/api/schemas.js';
import { deploy as deploySchema } from '../../src/api/schemas.js';
import type { ExecFn, ExecRequest, ExecResult } from '../../src/control-plane/service/deploy-exec.js';
import type { ProbeFn } from '../../src/control-plane/service/deploy-health.js';
import { createDeployRunner, type DeployRunnerOptions } from '../../src/control-plane/service/deploy-runner.js';
import { removeHome, startTestServer, type TestServer } from '../control-plane/helpers.js';

/** Sleeps are real but at most 5 ms: health intervals and grace periods pass at once. */
const fastClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(resolve, Math.min(ms, 5));
      signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
    }),
};

const OK: ExecResult = { exitCode: 0, signal: null, timedOut: false, startError: null };

interface Harness {
  s: TestServer;
  calls: ExecRequest[];
  /** The proxy env file as it was while each member's deploy command ran. */
  envDuringDeploy: Record<string, string>;
}

let current: TestServer | undefined;
afterEach(async () => {
  if (current) {
    await current.close().catch(() => undefined);
    removeHome(current.home);
    current = undefined;
  }
});

async function setup(
  opts: {
    exec?: (req: ExecRequest, h: Harness) => Promise<ExecResult>;
    probe?: ProbeFn;
    members?: string[];
    runner?: DeployRunnerOptions;
    home?: string;
  } = {},
): Promise<Harness> {
  const h = { calls: [], envDuringDeploy: {} } as unknown as Harness;
  const exec: ExecFn = async (req) => {
    h.calls.push(req);
    h.envDuringDeploy[req.env.OWNSTACK_APP!] = readFileSync(join(h.s.home, 'local', 'clusters', 'api', 'proxy.env'), 'utf8');
    return opts.exec ? opts.exec(req, h) : OK;
  };
  const probe: ProbeFn = opts.probe ?? (async () => ({ ok: true, status: 200, error: null, ms: 1 }));
  h.s = await startTestServer({
    ...(opts.home ? { home: opts.home } : {}),
    deployRunner: (deps) => createDeployRunner(deps, { clock: fastClock, exec, probe, drainGraceMs: 0, healthAttempts: 3, env: { PATH: '/usr/bin:/bin' }, ...opts.runner }),
  });
  current = h.s;
  if (!opts.home) {
    const members = opts.members ?? ['a', 'b', 'c'];
    await h.s.api('POST', '/api/clusters', { name: 'api', hostnames: ['api.example.com'], edge: 'none', health: { path: '/up', interval: '1s', timeout: '500ms' } });
    await h.s.api('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 });
    for (const [i, app] of members.entries()) {
      await h.s.api('POST', '/api/local/apps', { name: app, addresses: [`127.0.0.1:${4001 + i}`], deploy_cmd: `deploy-${app}` });
      await h.s.api('POST', '/api/clusters/api/members', { app });
    }
  }
  return h;
}

async function startDeploy(h: Harness, body: Record<string, unknown> = { strategy: 'rolling' }) {
  const r = await h.s.api('POST', '/api/clusters/api/deploys', body);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return deploySchema.parse(r.body);
}

/** Reads the event stream to its end (the server closes it once the job finished). */
async function events(h: Harness, id: number, after = 0): Promise<DeployEvent[]> {
  const res = await fetch(`${h.s.cp.url}/api/clusters/api/deploys/${id}/events?after=${after}`, { headers: { authorization: `Bearer ${h.s.cp.token}` } });
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((b) => b.includes('data: '))
    .map((b) => JSON.parse(b.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as DeployEvent);
}

async function show(h: Harness, id: number) {
  return deploySchema.parse((await h.s.api('GET', `/api/clusters/api/deploys/${id}`)).body);
}

async function memberStatus(h: Harness): Promise<Record<string, string>> {
  const r = await h.s.api('GET', '/api/clusters/api/members');
  return Object.fromEntries(r.body.members.map((m: { app: string; status: string }) => [m.app, m.status]));
}

const steps = (evs: DeployEvent[]) => evs.filter((e) => e.type === 'step').map((e) => `${e.app}:${e.step}`);

describe('rolling', () => {
  test('one member at a time; each is out of the proxy env while its command runs; every event recorded', async () => {
    const h = await setup();
    const d = await startDeploy(h);
    expect(d.state).toBe('queued');
    const evs = await events(h, d.id);
    expect(steps(evs)).toEqual([
      'a:draining', 'a:deploying', 'a:health-checking', 'a:undraining', 'a:done',
      'b:draining', 'b:deploying', 'b:health-checking', 'b:undraining', 'b:done',
      'c:draining', 'c:deploying', 'c:health-checking', 'c:undraining', 'c:done',
    ]);
    expect(evs.map((e) => e.seq)).toEqual(evs.map((_, i) => i + 1));
    expect(evs.filter((e) => e.type === 'state').map((e) => e.state)).toEqual(['queued', 'running', 'succeeded']);
    const result = evs.at(-1)!;
    expect(result).toMatchObject({ type: 'result', state: 'succeeded' });
    expect(result.message).toMatch(/^deploy \d+ succeeded: 3 of 3 members deployed \(rolling, /);

    // While a member's command ran, the proxies did not route to it, and routed to the others.
    expect(h.envDuringDeploy.a).not.toContain('127.0.0.1:4001');
    expect(h.envDuringDeploy.a).toContain('127.0.0.1:4002 127.0.0.1:4003');
    expect(h.envDuringDeploy.b).toContain('127.0.0.1:4001 127.0.0.1:4003');
    expect(h.envDuringDeploy.b).not.toContain('4002');

    // The command's environment names the cluster, app, addresses and job.
    expect(h.calls.map((c) => c.command)).toEqual(['deploy-a', 'deploy-b', 'deploy-c']);
    expect(h.calls[1]!.env).toMatchObject({
      OWNSTACK_CLUSTER: 'api',
      OWNSTACK_APP: 'b',
      OWNSTACK_MEMBER_ADDRESSES: '127.0.0.1:4002',
      OWNSTACK_MEMBER_ADDRESS: '127.0.0.1:4002',
      OWNSTACK_DEPLOY_ID: String(d.id),
      PATH: '/usr/bin:/bin',
    });

    const final = await show(h, d.id);
    expect(final).toMatchObject({ state: 'succeeded', error: null });
    expect(final.members.every((m) => m.step === 'done' && m.started_at && m.finished_at)).toBe(true);
    expect(await memberStatus(h)).toEqual({ a: 'active', b: 'active', c: 'active' });
  });

  test('the command output becomes the job log, line by line', async () => {
    const h = await setup({
      members: ['a', 'b'],
      exec: async (req) => {
        req.onLine('stdout', `building ${req.env.OWNSTACK_APP}`);
        req.onLine('stderr', 'warning: slow disk');
        return OK;
      },
    });
    const d = await startDeploy(h);
    const logs = (await events(h, d.id)).filter((e) => e.type === 'log' && e.app === 'a').map((e) => e.message);
    expect(logs).toContain('building a');
    expect(logs).toContain('warning: slow disk');
  });

  test('the command fails on member 2: job failed, member 2 stays drained and is named, 1 and 3 serve, 3 is not reached', async () => {
    const h = await setup({ exec: async (req) => (req.env.OWNSTACK_APP === 'b' ? { ...OK, exitCode: 3 } : OK) });
    const d = await startDeploy(h);
    const evs = await events(h, d.id);
    expect(steps(evs).slice(-3)).toEqual(['b:deploying', 'b:failed', 'c:skipped']);
    const final = await show(h, d.id);
    expect(final.state).toBe('failed');
    expect(final.error).toBe('b failed while deploying: the deploy command exited with code 3');
    expect(final.members.map((m) => m.step)).toEqual(['done', 'failed', 'skipped']);
    expect(evs.at(-1)!.message).toContain('b stays drained, a, c keep serving');
    expect(await memberStatus(h)).toEqual({ a: 'active', b: 'draining', c: 'active' });
    expect(h.calls.map((c) => c.command)).toEqual(['deploy-a', 'deploy-b']);
  });

  test('unhealthy after the deploy: bounded attempts, then failed and drained', async () => {
    const probed: string[] = [];
    const h = await setup({
      members: ['a', 'b'],
      probe: async (o) => {
        probed.push(`${o.origin}${o.path} host=${o.host}`);
        return o.origin.endsWith(':4001') ? { ok: false, status: 503, error: 'HTTP 503', ms: 1 } : { ok: true, status: 200, error: null, ms: 1 };
      },
      runner: { healthAttempts: 4 },
    });
    const d = await startDeploy(h, { strategy: 'rolling' });
    const evs = await events(h, d.id);
    const final = await show(h, d.id);
    expect(final.error).toBe('a failed while health-checking: 127.0.0.1:4001 (HTTP 503) did not pass GET /up in 4 attempts');
    expect(evs.filter((e) => e.type === 'log' && /^attempt \d\/4/.test(e.message))).toHaveLength(4);
    // Probed with the cluster's path and the first hostname as Host, like the proxies.
    expect(probed.filter((p) => p.includes(':4001'))).toEqual(Array(4).fill('http://127.0.0.1:4001/up host=api.example.com'));
    expect(await memberStatus(h)).toEqual({ a: 'draining', b: 'active' });
  });

  test('never zero routable members: the drain is refused when no other member passes its check', async () => {
    const h = await setup({
      members: ['a', 'b'],
      probe: async (o) => (o.origin.endsWith(':4002') ? { ok: false, status: null, error: 'ECONNREFUSED', ms: 1 } : { ok: true, status: 200, error: null, ms: 1 }),
    });
    const d = await startDeploy(h);
    await events(h, d.id);
    const final = await show(h, d.id);
    expect(final.state).toBe('failed');
    expect(final.error).toMatch(/^not draining a: no other member is routable \(no other member passes its health check: b: 127\.0\.0\.1:4002 \(connection refused\)\)/);
    expect(final.members.map((m) => m.step)).toEqual(['skipped', 'skipped']);
    expect(h.calls).toHaveLength(0);
    expect(await memberStatus(h)).toEqual({ a: 'active', b: 'active' });
  });

  test('--force drains a member even when no other member passes its check', async () => {
    const h = await setup({
      members: ['a', 'b'],
      probe: async (o) => (o.origin.endsWith(':4002') ? { ok: false, status: null, error: 'ECONNREFUSED', ms: 1 } : { ok: true, status: 200, error: null, ms: 1 }),
      runner: { healthAttempts: 2 },
    });
    const d = await startDeploy(h, { strategy: 'rolling', force: true });
    const evs = await events(h, d.id);
    expect(steps(evs)).toEqual(['a:draining', 'a:deploying', 'a:health-checking', 'a:undraining', 'a:done', 'b:draining', 'b:deploying', 'b:health-checking', 'b:failed']);
    const final = await show(h, d.id);
    expect(final.error ?? '').not.toMatch(/no other member is routable/);
  });

  test('a member drained by the operator before the deploy is deployed and left drained', async () => {
    const h = await setup();
    await h.s.api('POST', '/api/clusters/api/members/c/drain', {});
    const d = await startDeploy(h);
    const evs = await events(h, d.id);
    expect(steps(evs).filter((x) => x.startsWith('c:'))).toEqual(['c:draining', 'c:deploying', 'c:health-checking', 'c:done']);
    expect(evs.find((e) => e.app === 'c' && e.step === 'done')!.message).toContain('stays drained');
    expect(await memberStatus(h)).toEqual({ a: 'active', b: 'active', c: 'draining' });
  });

  test('a member left drained by a failed deploy is undrained by the next successful one', async () => {
    let fail = true;
    const h = await setup({ exec: async (req) => (req.env.OWNSTACK_APP === 'b' && fail ? { ...OK, exitCode: 1 } : OK) });
    const d1 = await startDeploy(h);
    await events(h, d1.id);
    expect((await memberStatus(h)).b).toBe('draining');
    fail = false;
    const d2 = await startDeploy(h);
    const evs = await events(h, d2.id);
    expect(evs.find((e) => e.app === 'b' && e.step === 'draining')!.message).toContain(`left drained by deploy ${d1.id}`);
    expect((await show(h, d2.id)).state).toBe('succeeded');
    expect(await memberStatus(h)).toEqual({ a: 'active', b: 'active', c: 'active' });
  });
});

describe('refusals before a job exists', () => {
  test('rolling with one active member: it runs, with a warning event saying requests may fail; --force is still accepted', async () => {
    const h = await setup({ members: ['a'] });
    const d = await startDeploy(h, { strategy: 'rolling' });
    const evs = await events(h, d.id);
    expect((await show(h, d.id)).state).toBe('succeeded');
    const warning = evs.find((e) => e.type === 'warning');
    expect(warning?.message).toMatch(/one active member \(a\): requests may fail while it restarts/);
    expect(await memberStatus(h)).toEqual({ a: 'active' });
    const forced = await startDeploy(h, { strategy: 'rolling', force: true });
    await events(h, forced.id);
    expect((await show(h, forced.id)).state).toBe('succeeded');
  });

  test('a member without a deploy command: 409 naming it, nothing created', async () => {
    const h = await setup({ members: ['a', 'b'] });
    await h.s.api('PATCH', '/api/local/apps/b', { deploy_cmd: null });
    const r = await h.s.api('POST', '/api/clusters/api/deploys', { strategy: 'parallel' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ message: 'cannot deploy cluster api: member app b has no deploy command', field: 'deploy_cmd' });
  });

  test('a second deploy while one runs: 409 naming the running job', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = await setup({ exec: async () => (await gate, OK) });
    const d = await startDeploy(h);
    const again = await h.s.api('POST', '/api/clusters/api/deploys', { strategy: 'parallel' });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(new RegExp(`already has deploy ${d.id} \\((queued|running)\\)`));
    release();
    await events(h, d.id);
  });
});

describe('parallel', () => {
  test('every member at once, no drain', async () => {
    let started = 0;
    let release!: () => void;
    const all = new Promise<void>((r) => (release = r));
    const h = await setup({
      exec: async () => {
        if (++started === 3) release();
        await all;
        return OK;
      },
    });
    const d = await startDeploy(h, { strategy: 'parallel' });
    const evs = await events(h, d.id);
    expect(steps(evs).filter((x) => x.endsWith(':draining'))).toEqual([]);
    expect((await show(h, d.id)).state).toBe('succeeded');
    // Nothing was drained: the proxies kept every member.
    for (const env of Object.values(h.envDuringDeploy)) expect(env).toContain('127.0.0.1:4001 127.0.0.1:4002 127.0.0.1:4003');
  });
});

describe('abort', () => {
  test('while a member deploys: the command finishes, the member is checked and undrained, the rest skipped', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let deploying!: () => void;
    const reached = new Promise<void>((r) => (deploying = r));
    const h = await setup({
      exec: async (req) => {
        if (req.env.OWNSTACK_APP === 'b') {
          deploying();
          await gate;
        }
        return OK;
      },
    });
    const d = await startDeploy(h);
    await reached;
    const a = await h.s.api('POST', `/api/clusters/api/deploys/${d.id}/abort`, {});
    expect(a.status).toBe(202);
    expect(a.body.state).toBe('running');
    release();
    const evs = await events(h, d.id);
    expect(evs.some((e) => e.type === 'log' && e.message.startsWith('abort requested'))).toBe(true);
    const final = await show(h, d.id);
    expect(final.state).toBe('aborted');
    expect(final.members.map((m) => m.step)).toEqual(['done', 'done', 'skipped']);
    expect(evs.at(-1)!.message).toContain('no member is left drained');
    expect(await memberStatus(h)).toEqual({ a: 'active', b: 'active', c: 'active' });
  });
});

describe('restarts', () => {
  test('a graceful shutdown mid-deploy interrupts the job and undrains its member', async () => {
    let deploying!: () => void;
    const reached = new Promise<void>((r) => (deploying = r));
    const h = await setup({
      exec: (req) =>
        new Promise((resolve) => {
          deploying();
          req.signal?.addEventListener('abort', () => resolve({ ...OK, exitCode: null, signal: 'SIGTERM' }));
        }),
    });
    const d = await startDeploy(h);
    await reached;
    expect((await memberStatus(h)).a).toBe('draining');
    await h.s.restart({ deployRunner: undefined });
    const final = await show(h, d.id);
    expect(final.state).toBe('interrupted');
    expect(final.members.map((m) => m.step)).toEqual(['failed', 'skipped', 'skipped']);
    expect(final.members[0]!.error).toMatch(/^interrupted while deploying/);
    expect(final.error).toBe('the control plane shut down while this job was running');
    expect(await memberStatus(h)).toEqual({ a: 'active', b: 'active', c: 'active' });
    expect(h.s.file('clusters', 'api', 'proxy.env')).toContain('127.0.0.1:4001 127.0.0.1:4002 127.0.0.1:4003');
  });

  test('after a crash (the job still says running): the next start marks it interrupted and undrains what it drained', async () => {
    {
      const h = await setup();
      await h.s.close();
      current = undefined;
      // Rebuild the state a kill -9 during b's deploy leaves behind, in h's home.
      const db = new Database(join(h.s.home, 'local', 'state.db'));
      const cluster = db.prepare("SELECT id FROM clusters WHERE name = 'api'").get() as { id: number };
      const t = new Date().toISOString();
      const id = Number(db.prepare("INSERT INTO deploys (cluster_id, strategy, state, created_at) VALUES (?, 'rolling', 'running', ?)").run(cluster.id, t).lastInsertRowid);
      const ins = db.prepare('INSERT INTO deploy_members (deploy_id, position, app, addresses, step, drained) VALUES (?, ?, ?, ?, ?, ?)');
      ins.run(id, 0, 'a', '[]', 'done', 0);
      ins.run(id, 1, 'b', '[]', 'deploying', 1);
      ins.run(id, 2, 'c', '[]', 'pending', 0);
      db.prepare("UPDATE upstreams SET status = 'draining' WHERE app_id = (SELECT id FROM apps WHERE name = 'b')").run();
      // An operator-drained member the job did not drain stays drained.
      db.prepare("UPDATE upstreams SET status = 'draining' WHERE app_id = (SELECT id FROM apps WHERE name = 'c')").run();
      db.close();
      const again = await setup({ home: h.s.home });
      const final = await show(again, id);
      expect(final.state).toBe('interrupted');
      expect(final.members.map((m) => m.step)).toEqual(['done', 'failed', 'skipped']);
      expect(await memberStatus(again)).toEqual({ a: 'active', b: 'active', c: 'draining' });
      const evs = await events(again, id);
      expect(evs.at(-1)).toMatchObject({ type: 'result', state: 'interrupted' });
      expect(evs.at(-1)!.message).toContain('undrained b');
      expect(again.s.logs.some((l) => l.includes('interrupted'))).toBe(true);
    }
  });
});
