// The deploy proofs, with the built binary, the local control plane and real Caddy proxies:
// 1. a rolling deploy of three members under load through a pseudo-terminal: 0 failed requests,
//    every member's process replaced, one member at a time, and the TTY view as the user sees it;
// 2. the same with --json: the NDJSON stream;
// 3. Ctrl-C during the wait: the CLI exits 130 with the re-attach command, the job completes;
// 4. the deploy command fails on the second member, under load, plain (non-TTY) progress lines:
//    exit 1, member 2 drained and named, members 1 and 3 serving, 0 failed requests.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailures, startLoad, type LoadResult } from '../e2e-proxy/load.js';
import { assertBuilt, BIN, cleanEnv, cleanupHome, e2eHome, localFiles, ok, okJson, ownstack, pidAlive, ROOT, serverInfo } from '../helpers/e2e.js';
import { caddyInstalled } from '../proxy-runtime/helpers.js';
import { createCluster, HOST, memberWindows, serving, startMembers, through, type Members, type ProxyAddr, type StepEvent } from './harness.js';
import { waitFor } from '../helpers/wait.js';

const HAVE_CADDY = caddyInstalled();
const HAVE_SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

// Proxy ports of this file (see PORT_BASES in test/helpers/e2e.ts: other files use 10000–10360).
const ENV: NodeJS.ProcessEnv = { OWNSTACK_PROXY_PORT_BASE: '10480', OWNSTACK_DEPLOY_DRAIN_GRACE: '500ms' };
/** Where the captured TTY session is kept for people to look at (not asserted on). */
export const TTY_SESSION_FILE = join(tmpdir(), 'ownstack-rolling-deploy-tty-session.txt');

let home: string;
let members: Members;
let proxies: ProxyAddr[];
const loads: { name: string; result: LoadResult }[] = [];

// The load runs until the test stops it; the duration only bounds it (a slow CI machine takes well over 90 s per deploy).
const LOAD = { concurrency: 30, durationMs: 240_000 };

function load() {
  return startLoad({ targets: proxies.map((p) => ({ ...p, host: HOST })), ...LOAD, timeoutMs: 5_000 });
}

/** Waits until `n` more requests of the load have finished (traffic before a change, or after it). */
async function moreRequests(traffic: ReturnType<typeof load>, n: number): Promise<void> {
  const from = traffic.samples.length;
  await waitFor(`${n} more requests of the load`, () => traffic.samples.length >= from + n, 30_000, { every: 20 });
}

/** Every event of a finished job, read from the control plane's event stream. */
async function jobEvents(id: number): Promise<StepEvent[]> {
  const info = serverInfo(home)!;
  const token = readFileSync(localFiles(home).token, 'utf8').trim();
  const res = await fetch(`${info.url}/api/clusters/api/deploys/${id}/events`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((b) => b.includes('data: '))
    .map((b) => JSON.parse(b.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as StepEvent);
}

/** The rolling proof's checks on a job's events: one member at a time, in order, and no traffic to a member while its process was replaced. */
function assertOneAtATime(events: StepEvent[], result: LoadResult) {
  const w = memberWindows(events);
  const order = members.names;
  // The load ran from before the first drain until the last member had traffic back.
  const starts = result.samples.map((s) => s.start);
  expect(Math.min(...starts), 'load started before the first drain').toBeLessThan(w[order[0]!]!.start);
  expect(Math.max(...starts), 'load still running when the last member was undrained').toBeGreaterThan(w[order.at(-1)!]!.undraining);
  for (let i = 0; i < order.length; i++) {
    const cur = w[order[i]!]!;
    expect(cur.start, `${order[i]} window`).toBeLessThanOrEqual(cur.end);
    if (i > 0) expect(w[order[i - 1]!]!.end, `${order[i - 1]} ended before ${order[i]} was drained`).toBeLessThanOrEqual(cur.start);
    // While its process was being replaced (deploying … undraining), the proxies sent it nothing.
    const during = result.samples.filter((s) => s.start > cur.deploying && s.end < cur.undraining);
    expect(during.filter((s) => s.body.startsWith(`${order[i]} `)), `${order[i]} got requests while drained`).toEqual([]);
  }
}

beforeAll(async () => {
  if (!HAVE_CADDY) return;
  assertBuilt();
  home = e2eHome('deploy-rolling');
  members = await startMembers(join(home, 'members'), ['web-1', 'web-2', 'web-3']);
  proxies = await createCluster(home, ENV, members);
}, 120_000);

afterAll(async () => {
  if (!HAVE_CADDY) return;
  await cleanupHome(home);
  await members?.stop();
  for (const l of loads) {
    // The numbers the report quotes.
    console.log(`[deploy proof] ${l.name}: ${l.result.total} requests, ${l.result.failed.length} failed (no retries), ${l.result.durationMs} ms`);
  }
}, 60_000);

describe.skipIf(!HAVE_CADDY)('deploy proofs with real Caddy', { timeout: 300_000 }, () => {
  it.skipIf(!HAVE_SCRIPT)('1. rolling deploy under load, in a pseudo-terminal: 0 failed requests, every process replaced, one member at a time', async () => {
    const before = await members.ready();
    expect(await serving(proxies)).toEqual(new Set(members.names));
    const traffic = load();
    await moreRequests(traffic, 50);
    // `script` gives the CLI a real terminal (stdout and stderr are the pty).
    const cmd = `stty cols 110 rows 30; exec ${process.execPath} ${BIN} cluster deploy api --strategy=rolling`;
    const tty = await execa('script', ['-qfec', cmd, '/dev/null'], {
      env: cleanEnv(home, { ...ENV, TERM: 'xterm-256color' }),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 120_000,
      cwd: ROOT,
    });
    await moreRequests(traffic, 50);
    const result = await traffic.stop();
    loads.push({ name: 'rolling deploy (TTY)', result });
    const screen = String(tty.stdout);
    writeFileSync(TTY_SESSION_FILE, screen);
    expect(tty.exitCode, screen.slice(-2000)).toBe(0);

    // 0 failed requests, and the load really ran through the whole deploy.
    expect(result.failed.length, describeFailures(result.failed)).toBe(0);
    expect(result.total).toBeGreaterThan(200);

    // Every member's process was replaced: a new pid answers, the old one is gone.
    const after = await members.ready();
    for (const name of members.names) {
      expect(after[name], name).not.toBe(before[name]);
      expect(pidAlive(before[name]!), `old ${name} process still alive`).toBe(false);
    }
    const bodies = new Set<string>();
    for (let i = 0; i < 30; i++) bodies.add((await through(proxies[i % 2]!)).body);
    for (const name of members.names) expect(bodies).toContain(`${name} ${after[name]}`);

    // One member at a time (from the job's own event log), and no traffic while drained.
    const status = await okJson(home, ['cluster', 'deploy:status', 'api'], { env: ENV });
    expect(status.state).toBe('succeeded');
    const events = await jobEvents(status.id);
    assertOneAtATime(events, result);

    // The TTY view: the plan, the Ctrl-C notice, members redrawn in place with spinners, the summary.
    expect(screen).toContain(`Deploy ${status.id} on api: rolling, 3 members, one at a time in this order: drain → deploy → health check → undrain`);
    expect(screen).toContain('Ctrl-C stops waiting, the deploy goes on; to stop it: ownstack cluster deploy:abort api');
    expect(screen).toMatch(/\x1b\[4A/); // cursor up over the 3 member lines + the job line
    expect(screen).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\x1b\[39m \x1b\[2m1\/3 \x1b\[22mweb-1  (draining|deploying|health-checking|undraining)/);
    const plain = screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    for (const step of ['draining', 'deploying', 'health-checking', 'undraining']) expect(plain).toContain(`web-2  ${step}`);
    expect(plain).toMatch(/✓ 1\/3 web-1 {2}done/);
    expect(plain).toMatch(/✓ 3\/3 web-3 {2}done/);
    expect(plain).toMatch(new RegExp(`✓ Deploy ${status.id} succeeded: 3 of 3 members deployed \\(rolling, `));
    // Nothing of the non-TTY view (one line per event) on a terminal.
    expect(plain).not.toContain('web-1: draining -');
  });

  it('2. --json: NDJSON on stdout — the plan, every event, the result with the final Deploy', async () => {
    const before = await members.ready();
    const traffic = load();
    await moreRequests(traffic, 50);
    const r = await ownstack(home, ['cluster', 'deploy', 'api', '--strategy=rolling', '--json'], { env: ENV, timeoutMs: 120_000 });
    await moreRequests(traffic, 50);
    const result = await traffic.stop();
    loads.push({ name: 'rolling deploy (--json)', result });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(result.failed.length, describeFailures(result.failed)).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'plan', deploy: { strategy: 'rolling', members: [{ app: 'web-1' }, { app: 'web-2' }, { app: 'web-3' }] } });
    const events = lines.slice(1, -1) as StepEvent[];
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.some((e) => e.type === 'log' && e.app === 'web-2' && e.message.startsWith('deploy '))).toBe(true);
    const last = lines.at(-1);
    expect(last).toMatchObject({ type: 'result', state: 'succeeded', deploy: { state: 'succeeded' } });
    expect(last.deploy.members.map((m: { step: string }) => m.step)).toEqual(['done', 'done', 'done']);
    assertOneAtATime([...events, last], result);
    const after = await members.ready();
    for (const name of members.names) expect(after[name]).not.toBe(before[name]);
  });

  it('3. Ctrl-C during the wait: exit 130 with the re-attach command; the job goes on and completes', async () => {
    const sub = execa(process.execPath, [BIN, 'cluster', 'deploy', 'api', '--strategy=rolling'], {
      env: cleanEnv(home, ENV),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 120_000,
      cwd: ROOT,
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no deploying line: ${stderr}`)), 60_000);
      sub.stderr!.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('web-1: deploying')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    sub.kill('SIGINT');
    const r = await sub;
    expect(r.exitCode).toBe(130);
    const all = stderr + String(r.stderr ?? '');
    const id = /deploy:status api (\d+) --wait/.exec(all)?.[1];
    expect(id, all).toBeDefined();
    expect(all).toContain(`error: stopped waiting for deploy ${id}: it goes on on the control plane`);
    expect(all).toContain(`re-attach: ownstack cluster deploy:status api ${id} --wait`);
    expect(all).toContain('abort: ownstack cluster deploy:abort api');
    // Re-attach: it finishes by itself.
    const again = await ownstack(home, ['cluster', 'deploy:status', 'api', id!, '--wait'], { env: ENV, timeoutMs: 120_000 });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe(`${id}\tsucceeded\n`);
    const final = await okJson(home, ['cluster', 'deploy:status', 'api', id!], { env: ENV });
    expect(final.members.map((m: { step: string }) => m.step)).toEqual(['done', 'done', 'done']);
  });

  it('4. the deploy command fails on the second member: exit 1, web-2 drained and named, web-1 and web-3 serving, 0 failed requests', async () => {
    writeFileSync(join(members.dir, 'fail-web-2'), '');
    const traffic = load();
    await moreRequests(traffic, 50);
    const r = await ownstack(home, ['cluster', 'deploy', 'api', '--strategy=rolling'], { env: ENV, timeoutMs: 120_000 });
    await moreRequests(traffic, 100);
    const result = await traffic.stop();
    loads.push({ name: 'rolling deploy failing on member 2', result });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(result.failed.length, describeFailures(result.failed)).toBe(0);

    // Plain progress lines on stderr (not a TTY), the failure named, the next steps.
    expect(r.stderr).not.toMatch(/\x1b\[/);
    const lines = r.stderr.split('\n');
    expect(lines.some((l) => /^web-1: done - web-1 deployed in /.test(l))).toBe(true);
    expect(lines).toContain('web-2 | error: the build of web-2 failed');
    expect(lines).toContain('web-2: failed - the deploy command exited with code 1');
    expect(lines.some((l) => l.startsWith('web-3: skipped'))).toBe(true);
    expect(r.stderr).toMatch(/error: deploy \d+ failed: web-2 failed while deploying: the deploy command exited with code 1\. 1 of 3 members deployed; web-2 stays drained, web-1, web-3 keep serving/);
    expect(r.stderr).toContain('hint: fix web-2 and deploy again');
    expect(r.stdout).toMatch(/^\d+\tfailed\n$/);

    // web-2 is drained (and down); web-1 and web-3 serve every request.
    const list = await okJson(home, ['cluster', 'member', 'list', 'api'], { env: ENV });
    const status = Object.fromEntries((Array.isArray(list) ? list : list.members).map((m: { app: string; status: string }) => [m.app, m.status]));
    expect(status).toEqual({ 'web-1': 'active', 'web-2': 'draining', 'web-3': 'active' });
    expect(await serving(proxies)).toEqual(new Set(['web-1', 'web-3']));
    const deployExit = await ownstack(home, ['cluster', 'deploy:status', 'api'], { env: ENV });
    expect(deployExit.exitCode).toBe(1);
  });
});
