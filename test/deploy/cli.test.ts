// cluster deploy / deploy:status / deploy:abort against the contract (msw): the plan, progress in
// every mode (TTY, plain lines, NDJSON), exit codes, --detach, --timeout, Ctrl-C, reconnects.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deployEvent, deploy as deploySchema } from '../../src/api/schemas.js';
import { contractServer, http, HttpResponse, apiError } from '../fixtures/contract.js';
import { API } from '../helpers/cli.js';
import { eventLog, finished, job, jobHandlers, run, waitClock } from './cli-harness.js';
import { waitFor } from '../helpers/wait.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

/** A successful rolling deploy of web-1..3. */
function success() {
  const log = eventLog()
    .state('queued', 'rolling deploy of 3 member(s) queued')
    .state('running', 'rolling deploy of 3 member(s) started')
    .member('web-1', ['building web-1'])
    .member('web-2')
    .member('web-3')
    .state('succeeded', 'every member deployed and healthy')
    .result('succeeded', 'deploy 12 succeeded: 3 of 3 members deployed (rolling, 41s)');
  return jobHandlers({ start: job(), final: finished('succeeded', ['done', 'done', 'done']), events: log.events });
}

/** web-2's deploy command fails. */
function failure() {
  const log = eventLog()
    .state('queued', 'queued')
    .state('running', 'started')
    .member('web-1')
    .step('web-2', 'draining', 'draining web-2')
    .step('web-2', 'deploying', 'running the deploy command of web-2')
    .log('web-2', 'npm ERR! missing script: start')
    .step('web-2', 'failed', 'the deploy command exited with code 1')
    .step('web-3', 'skipped', 'not deployed: the job stopped before its turn')
    .state('failed', 'web-2 failed while deploying: the deploy command exited with code 1')
    .result('failed', 'deploy 12 failed: web-2 failed while deploying: the deploy command exited with code 1. 1 of 3 members deployed; web-2 stays drained, web-1, web-3 keep serving', 'web-2');
  return jobHandlers({
    start: job(),
    final: finished('failed', ['done', 'failed', 'skipped'], 'web-2 failed while deploying: the deploy command exited with code 1'),
    events: log.events,
  });
}

describe('cluster deploy (waits by default)', () => {
  it('not a TTY: the plan, then one plain line per event on stderr; `<id>\\t<state>` on stdout; exit 0', async () => {
    const { handlers } = success();
    api.use(...handlers);
    const r = await run(['cluster', 'deploy', 'api', '--strategy=rolling']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('12\tsucceeded\n');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'Deploy 12 on api: rolling, 3 members, one at a time in this order: drain → deploy → health check → undrain',
      '  1. web-1 (127.0.0.1:4001)',
      '  2. web-2 (127.0.0.1:4002)',
      '  3. web-3 (127.0.0.1:4003)',
      'Waiting for deploy 12 (up to 30m). Ctrl-C stops waiting, the deploy goes on; to stop it: ownstack cluster deploy:abort api',
    ]);
    expect(lines.slice(5, 10)).toEqual([
      'deploy 12: queued - rolling deploy of 3 member(s) queued',
      'deploy 12: running - rolling deploy of 3 member(s) started',
      'web-1: draining - draining web-1',
      'web-1: deploying - running the deploy command of web-1',
      'web-1 | building web-1',
    ]);
    expect(lines.at(-1)).toBe('deploy 12 succeeded: 3 of 3 members deployed (rolling, 41s)');
    expect(r.stderr).not.toMatch(/\x1b\[/);
  });

  it('TTY: one line per member redrawn in place, then the success line on stdout', async () => {
    const { handlers } = success();
    api.use(...handlers);
    const r = await run(['cluster', 'deploy', 'api', '--strategy=rolling'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✓ Deploy 12 succeeded: 3 of 3 members deployed (rolling, 41s)\n');
    // The cursor moves up over the block (3 members + the job line) to redraw it in place.
    expect(r.stderr).toMatch(/\x1b\[4A/);
    expect(r.stderr).not.toContain('\x1b[?25l');
    // The last frame: every member done with its time, then the job line (no Ctrl-C hint any more).
    const frames = r.stderr.split(/\x1b\[4A/);
    const last = frames.at(-1)!.replace(/\r\x1b\[2K/g, '').trimEnd().split('\n');
    expect(last).toEqual([
      '✓ 1/3 web-1  done                 4s',
      '✓ 2/3 web-2  done                 4s',
      '✓ 3/3 web-3  done                 4s',
      'deploy 12 succeeded · 1m00s',
    ]);
  });

  it('--json: NDJSON on stdout — the plan, every event, and last the result carrying the final Deploy', async () => {
    const { handlers } = success();
    api.use(...handlers);
    const r = await run(['cluster', 'deploy', 'api', '--strategy=rolling', '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].type).toBe('plan');
    expect(deploySchema.parse(lines[0].deploy).id).toBe(12);
    for (const e of lines.slice(1, -1)) deployEvent.parse(e);
    const last = lines.at(-1);
    expect(last).toMatchObject({ type: 'result', state: 'succeeded' });
    expect(deploySchema.parse(last.deploy).state).toBe('succeeded');
    expect(lines.map((l) => l.seq).filter(Boolean)).toEqual(Array.from({ length: lines.length - 1 }, (_, i) => i + 1));
    expect(r.stderr).not.toContain('web-1:');
  });

  it('a failed member: exit 1, the member named, its last output, and what to do next', async () => {
    const { handlers } = failure();
    api.use(...handlers);
    const r = await run(['cluster', 'deploy', 'api', '--strategy=rolling']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('12\tfailed\n');
    expect(r.stderr).toContain('web-2: failed - the deploy command exited with code 1');
    expect(r.stderr).toContain('last output of web-2:\n  npm ERR! missing script: start');
    expect(r.stderr).toContain('error: deploy 12 failed: web-2 failed while deploying: the deploy command exited with code 1. 1 of 3 members deployed; web-2 stays drained, web-1, web-3 keep serving');
    expect(r.stderr).toContain('hint: fix web-2 and deploy again (a new deploy takes over the drained member), or give it traffic back by hand: ownstack cluster member undrain api web-2');
  });

  it('a failed member, TTY: the frame marks it ✗ with its error', async () => {
    const { handlers } = failure();
    api.use(...handlers);
    const r = await run(['cluster', 'deploy', 'api', '--strategy=rolling'], { tty: true });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('✗ 2/3 web-2  failed');
    expect(r.stderr).toContain('- 3/3 web-3  skipped');
  });

  it('a failed member with --json: the last line is the failed result; exit 1', async () => {
    const { handlers } = failure();
    api.use(...handlers);
    const r = await run(['cluster', 'deploy', 'api', '--json']);
    expect(r.code).toBe(1);
    const last = JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!);
    expect(last).toMatchObject({ type: 'result', state: 'failed', app: 'web-2' });
    expect(last.deploy.members[1].step).toBe('failed');
  });

  it('--detach: returns once queued with the id (nothing followed)', async () => {
    const { handlers, served } = success();
    api.use(...handlers);
    const r = await run(['cluster', 'deploy', 'api', '--detach']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('12\n');
    expect(served.afters).toEqual([]);
    const t = await run(['cluster', 'deploy', 'api', '--detach'], { tty: true });
    expect(t.stdout).toBe('✓ Deploy 12 started on api (rolling)\n');
    expect(t.stderr).toContain('follow it: ownstack cluster deploy:status api 12 --wait');
  });

  it('a dropped event stream is resumed after the last event: nothing lost, nothing repeated', async () => {
    const log = eventLog().state('queued').state('running').member('web-1').member('web-2').member('web-3').state('succeeded').result('succeeded', 'deploy 12 succeeded: 3 of 3 members deployed (rolling, 41s)');
    const { handlers, served } = jobHandlers({ start: job(), final: finished('succeeded', ['done', 'done', 'done']), events: log.events, cutAt: [4, 9] });
    api.use(...handlers);
    // The snapshot between connections still says running.
    api.use(http.get(`${API}/api/clusters/:cluster/deploys/:id`, () => HttpResponse.json(job({ state: 'running' })), { once: true }));
    api.use(http.get(`${API}/api/clusters/:cluster/deploys/:id`, () => HttpResponse.json(job({ state: 'running' })), { once: true }));
    const r = await run(['cluster', 'deploy', 'api', '--json']);
    expect(r.code).toBe(0);
    expect(served.afters).toEqual([0, 4, 9]);
    const seqs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).seq).filter(Boolean);
    expect(seqs).toEqual(log.events.map((e) => e.seq));
  });

  it('--timeout: exit 6 with the command that re-attaches; the deploy is not aborted', async () => {
    const log = eventLog().state('queued').state('running').step('web-1', 'draining');
    const { handlers, served } = jobHandlers({ start: job(), final: job({ state: 'running' }), events: log.events, hang: true });
    api.use(...handlers);
    const clock = waitClock();
    const pending = run(['cluster', 'deploy', 'api', '--timeout=10m'], { clock });
    await waitFor('the long sleep and the event stream', () => clock.longSleeps.length > 0 && served.afters.length > 0, 10_000, { every: 10 });
    expect(clock.longSleeps).toEqual([600_000]);
    clock.fireLong();
    const r = await pending;
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('web-1: draining');
    expect(r.stderr).toContain('error: deploy 12 is still running after 10m of waiting: it goes on on the control plane');
    expect(r.stderr).toContain('hint: re-attach: ownstack cluster deploy:status api 12 --wait   abort: ownstack cluster deploy:abort api');
    expect(served.aborts).toBe(0);
  });

  it('Ctrl-C while waiting: stops watching (exit 130), prints how to re-attach and abort, does not abort', async () => {
    const log = eventLog().state('queued').state('running').step('web-1', 'draining');
    const { handlers, served } = jobHandlers({ start: job(), final: job({ state: 'running' }), events: log.events, hang: true });
    api.use(...handlers);
    const ac = new AbortController();
    const pending = run(['cluster', 'deploy', 'api', '--strategy=rolling'], { signal: ac.signal, tty: true });
    await waitFor('the event stream', () => served.afters.length > 0, 10_000, { every: 10 });
    ac.abort();
    const r = await pending;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('Ctrl-C stops waiting, the deploy goes on; to stop it: ownstack cluster deploy:abort api');
    expect(r.stderr).toContain('error: stopped waiting for deploy 12: it goes on on the control plane');
    expect(r.stderr).toContain('re-attach: ownstack cluster deploy:status api 12 --wait');
    expect(r.stderr).toContain('abort: ownstack cluster deploy:abort api');
    expect(served.aborts).toBe(0);
  });

  it('--json with Ctrl-C: the last line says it detached', async () => {
    const log = eventLog().state('queued').state('running');
    const { handlers, served } = jobHandlers({ start: job(), final: job({ state: 'running' }), events: log.events, hang: true });
    api.use(...handlers);
    const ac = new AbortController();
    const pending = run(['cluster', 'deploy', 'api', '--json'], { signal: ac.signal });
    await waitFor('the event stream', () => served.afters.length > 0, 10_000, { every: 10 });
    ac.abort();
    const r = await pending;
    expect(r.code).toBe(130);
    expect(JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!)).toEqual({
      type: 'detached',
      reason: 'interrupt',
      deploy_id: 12,
      state: 'running',
      reattach: 'ownstack cluster deploy:status api 12 --wait',
      abort: 'ownstack cluster deploy:abort api',
    });
  });

  it('409 (another deploy runs) → exit 5 naming it; bad --timeout → exit 2, nothing sent', async () => {
    api.use(http.post(`${API}/api/clusters/api/deploys`, () => apiError(409, 'conflict', 'cluster api already has deploy 11 (running)', { hint: 'follow it (cluster deploy:status api 11) or abort it first' })));
    const c = await run(['cluster', 'deploy', 'api']);
    expect(c.code).toBe(5);
    expect(c.stderr).toContain('already has deploy 11 (running)');
    api.server.resetHandlers();
    api.seen.length = 0;
    const bad = await run(['cluster', 'deploy', 'api', '--timeout=5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid --timeout "5": a wait timeout is a whole number followed by s, m or h, from 1s to 24h (e.g. 90s, 30m, 2h) — try --timeout=5s');
    expect(api.seen).toHaveLength(0);
    const long = await run(['cluster', 'deploy', 'api', '--timeout=48h']);
    expect(long.stderr).toContain('try --timeout=24h');
  });
});

describe('cluster deploy:status', () => {
  it('exit codes: 0 succeeded, 1 failed, 6 running (the snapshot is printed either way)', async () => {
    for (const [state, steps, code] of [
      ['succeeded', ['done', 'done', 'done'], 0],
      ['failed', ['done', 'failed', 'skipped'], 1],
      ['aborted', ['done', 'skipped', 'skipped'], 1],
      ['interrupted', ['done', 'failed', 'skipped'], 1],
    ] as const) {
      api.use(http.get(`${API}/api/clusters/api/deploys/12`, () => HttpResponse.json(finished(state, [...steps]))));
      const r = await run(['cluster', 'deploy:status', 'api', '12']);
      expect(r.code, state).toBe(code);
      expect(r.stdout.split('\n')[0]).toBe(`deploy\t12\tapi\trolling\t${state}\t`);
      api.server.resetHandlers();
    }
    api.use(http.get(`${API}/api/clusters/api/deploys/12`, () => HttpResponse.json(job({ state: 'running' }))));
    const running = await run(['cluster', 'deploy:status', 'api', '12']);
    expect(running.code).toBe(6);
    expect(running.stderr).toContain('still running: follow it with ownstack cluster deploy:status api 12 --wait');
  });

  it('without an id: the most recent job; a TTY table; --json: the Deploy', async () => {
    api.use(http.get(`${API}/api/clusters/api/deploys`, () => HttpResponse.json({ deploys: [finished('failed', ['done', 'failed', 'skipped'], 'web-2 failed while deploying: the deploy command exited with code 1'), job({ id: 11, state: 'succeeded' })] })));
    const t = await run(['cluster', 'deploy:status', 'api'], { tty: true });
    expect(t.code).toBe(1);
    expect(t.stdout).toContain('Deploy 12 on api: rolling, failed (took 1m00s)');
    expect(t.stdout).toContain('  web-2 failed while deploying: the deploy command exited with code 1');
    expect(t.stdout).toMatch(/MEMBER\s+STEP\s+TIME\s+ADDRESSES\s+ERROR/);
    expect(t.stdout).toMatch(/web-2\s+failed\s+4s\s+127\.0\.0\.1:4002\s+the deploy command exited with code 1/);
    const j = await run(['cluster', 'deploy:status', 'api', '--json']);
    expect(j.code).toBe(1);
    expect(deploySchema.parse(JSON.parse(j.stdout)).id).toBe(12);
  });

  it('a cluster without deploys → exit 3; a bad id → exit 2, nothing sent', async () => {
    api.use(http.get(`${API}/api/clusters/api/deploys`, () => HttpResponse.json({ deploys: [] })));
    const r = await run(['cluster', 'deploy:status', 'api']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('error: cluster api has no deploys yet');
    api.seen.length = 0;
    const bad = await run(['cluster', 'deploy:status', 'api', 'latest']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid <id> "latest": a deploy id is a positive whole number');
    expect(api.seen).toHaveLength(0);
  });

  it('--wait re-attaches: the progress from the start, then the exit code of the result', async () => {
    const { handlers } = failure();
    api.use(...handlers);
    api.use(http.get(`${API}/api/clusters/api/deploys/12`, () => HttpResponse.json(job({ state: 'running' })), { once: true }));
    const r = await run(['cluster', 'deploy:status', 'api', '12', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('web-1: done');
    expect(r.stderr).toContain('error: deploy 12 failed');
  });
});

describe('cluster deploy:abort', () => {
  it('finds the running job, asks to abort, waits until it stopped: exit 0 when aborted', async () => {
    const log = eventLog()
      .state('queued')
      .state('running')
      .member('web-1')
      .log(null, 'abort requested: finishing the current step, then undraining and stopping')
      .step('web-2', 'skipped', 'aborted before its turn')
      .step('web-3', 'skipped', 'aborted before its turn')
      .state('aborted', 'aborted by request')
      .result('aborted', 'deploy 12 aborted: aborted by request. 1 of 3 members deployed; no member is left drained');
    const { handlers, served } = jobHandlers({
      start: job({ state: 'running' }),
      final: finished('aborted', ['done', 'skipped', 'skipped'], 'aborted by request'),
      events: log.events,
      list: [job({ state: 'running' }), job({ id: 11, state: 'succeeded' })],
    });
    api.use(...handlers);
    const r = await run(['cluster', 'deploy:abort', 'api'], { tty: true });
    expect(r.code).toBe(0);
    expect(served.aborts).toBe(1);
    expect(r.stdout).toBe('✓ Deploy 12 aborted: aborted by request. 1 of 3 members deployed; no member is left drained\n');
    expect(r.stderr).toContain('Abort requested for deploy 12 on api');
  });

  it('nothing in progress → exit 5 naming the last job', async () => {
    api.use(http.get(`${API}/api/clusters/api/deploys`, () => HttpResponse.json({ deploys: [job({ id: 11, state: 'succeeded' })] })));
    const r = await run(['cluster', 'deploy:abort', 'api']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('error: cluster api has no deploy in progress (the last one, 11, succeeded): nothing to abort');
  });
});

describe('help and argv', () => {
  it.each(['cluster deploy', 'cluster deploy:status', 'cluster deploy:abort'])('%s --help: description, examples, exit codes; nothing sent', async (argv) => {
    const r = await run([...argv.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: ownstack /);
    expect(r.stdout).toContain('Examples:\n  $ ownstack ');
    if (argv !== 'cluster deploy:abort') expect(r.stdout).toContain('Exit codes:');
    expect(api.seen).toHaveLength(0);
  });

  it.each([
    ['cluster deploy:status Api', /invalid <cluster> "Api"/],
    ['cluster deploy:status api 0', /invalid <id> "0": a deploy id is a positive whole number/],
    ['cluster deploy:status api 12 --wait --timeout=soon', /invalid --timeout "soon"/],
    ['cluster deploy:abort api x1', /invalid <id> "x1"/],
    ['cluster deploy:abort', /missing required argument 'cluster'/],
    ['cluster deploy api --detach --timeout=0s', /invalid --timeout "0s".*try --timeout=1s/],
  ])('%s → exit 2, nothing sent', async (argv, message) => {
    const r = await run(argv.split(' '));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(api.seen).toHaveLength(0);
  });
});
