// The deploy state machine on its own: the order of operations per strategy, failures, aborts,
// and (property-based) the safety invariants under any sequence of outcomes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { begin, initialState, nextActions, reduce, type Action, type MachineState, type Op, type Result } from '../../src/control-plane/service/deploy-machine.js';

type Outcome = 'ok' | 'fail' | 'refuse' | 'already-draining';

/** Drives the machine to the end, answering each operation with `answer`; returns the trace. */
function drive(state: MachineState, answer: (op: Op, app: string, i: number) => Outcome, opts: { abortAt?: number } = {}) {
  const trace: string[] = [];
  let st = state;
  let i = 0;
  const pending: { op: Op; app: string }[] = [];
  for (let guard = 0; guard < 200; guard++) {
    if (opts.abortAt === i && !st.abortRequested) st = reduce(st, { kind: 'abort' });
    const actions: Action[] = nextActions(st);
    for (const a of actions) {
      if (a.kind === 'finish') {
        trace.push(`finish ${a.state}`);
        return { st, trace, finish: a };
      }
      if (a.kind === 'skip') {
        trace.push(`skip ${a.app}`);
        st = reduce(st, { kind: 'skipped', app: a.app, reason: a.reason });
        continue;
      }
      trace.push(`${a.op} ${a.app}`);
      st = begin(st, a.app, a.op);
      pending.push({ op: a.op, app: a.app });
    }
    // Rolling never has two members in flight.
    if (st.strategy === 'rolling') expect(st.members.filter((m) => m.busy).length).toBeLessThanOrEqual(1);
    const job = pending.shift();
    if (!job) continue;
    const out = answer(job.op, job.app, i++);
    let r: Result;
    if (out === 'fail') r = { kind: 'failed', app: job.app, error: `${job.op} broke` };
    else if (out === 'refuse' && job.op === 'drain') r = { kind: 'refused', app: job.app, error: 'no other member is routable' };
    else if (job.op === 'drain') r = { kind: 'drained', app: job.app, byJob: out !== 'already-draining' };
    else if (job.op === 'deploy') r = { kind: 'deployed', app: job.app };
    else if (job.op === 'health') r = { kind: 'healthy', app: job.app };
    else r = { kind: 'undrained', app: job.app };
    st = reduce(st, r);
  }
  throw new Error(`no finish after 200 steps: ${trace.join(', ')}`);
}

const ok = () => 'ok' as const;

describe('rolling', () => {
  it('one member at a time: drain, deploy, health, undrain, next', () => {
    const { trace, st } = drive(initialState('rolling', ['a', 'b', 'c']), ok);
    expect(trace).toEqual([
      'drain a', 'deploy a', 'health a', 'undrain a',
      'drain b', 'deploy b', 'health b', 'undrain b',
      'drain c', 'deploy c', 'health c', 'undrain c',
      'finish succeeded',
    ]);
    expect(st.members.map((m) => [m.step, m.drained])).toEqual([['done', false], ['done', false], ['done', false]]);
  });

  it('a failure stops the job: the failed member stays drained, the rest are not reached', () => {
    const { trace, st, finish } = drive(initialState('rolling', ['a', 'b', 'c']), (op, app) => (op === 'deploy' && app === 'b' ? 'fail' : 'ok'));
    expect(trace).toEqual(['drain a', 'deploy a', 'health a', 'undrain a', 'drain b', 'deploy b', 'finish failed']);
    expect(finish).toMatchObject({ state: 'failed', error: 'b failed while deploying: deploy broke' });
    expect(st.members.map((m) => [m.app, m.step, m.drained])).toEqual([
      ['a', 'done', false],
      ['b', 'failed', true],
      ['c', 'pending', false],
    ]);
  });

  it('an unhealthy member fails at health-checking and stays drained', () => {
    const { st, finish } = drive(initialState('rolling', ['a', 'b']), (op, app) => (op === 'health' && app === 'a' ? 'fail' : 'ok'));
    expect(finish).toMatchObject({ state: 'failed', error: 'a failed while health-checking: health broke' });
    expect(st.members[0]).toMatchObject({ step: 'failed', drained: true });
  });

  it('abort while deploying: the deploy finishes, the member is checked and undrained, then the job stops', () => {
    // i counts answered operations (0 drain a … 4 drain b, 5 deploy b): the abort is seen once deploy b returned.
    const { trace, st, finish } = drive(initialState('rolling', ['a', 'b', 'c']), ok, { abortAt: 6 });
    expect(trace).toEqual(['drain a', 'deploy a', 'health a', 'undrain a', 'drain b', 'deploy b', 'health b', 'undrain b', 'finish aborted']);
    expect(finish).toMatchObject({ state: 'aborted' });
    expect(st.members.map((m) => m.step)).toEqual(['done', 'done', 'pending']);
  });

  it('abort right after a drain: nothing was deployed, the member is undrained and skipped', () => {
    const { trace, st } = drive(initialState('rolling', ['a', 'b']), ok, { abortAt: 1 });
    expect(trace).toEqual(['drain a', 'undrain a', 'finish aborted']);
    expect(st.members[0]).toMatchObject({ step: 'skipped', drained: false, error: 'aborted before its deploy started' });
  });

  it('a member that was already draining is deployed and left draining (no undrain)', () => {
    const { trace, st } = drive(initialState('rolling', ['a', 'b']), (op, app) => (op === 'drain' && app === 'a' ? 'already-draining' : 'ok'));
    expect(trace.slice(0, 3)).toEqual(['drain a', 'deploy a', 'health a']);
    expect(trace[3]).toBe('drain b');
    expect(st.members[0]).toMatchObject({ step: 'done', drained: false });
  });

  it('a refused drain (no other routable member) stops the job before touching the member', () => {
    const { trace, st, finish } = drive(initialState('rolling', ['a', 'b']), (op, app) => (op === 'drain' && app === 'b' ? 'refuse' : 'ok'));
    expect(trace.slice(-2)).toEqual(['drain b', 'finish failed']);
    expect(finish).toMatchObject({ error: 'no other member is routable' });
    expect(st.members[1]).toMatchObject({ step: 'skipped', drained: false });
  });
});

describe('parallel', () => {
  it('every member at once, no drain', () => {
    const { trace } = drive(initialState('parallel', ['a', 'b', 'c']), ok);
    expect(trace.slice(0, 3)).toEqual(['deploy a', 'deploy b', 'deploy c']);
    expect(trace).not.toContain('drain a');
    expect(trace.at(-1)).toBe('finish succeeded');
  });

  it('one failure does not stop members already running; the job fails', () => {
    const { st, finish } = drive(initialState('parallel', ['a', 'b', 'c']), (op, app) => (op === 'deploy' && app === 'b' ? 'fail' : 'ok'));
    expect(st.members.map((m) => m.step)).toEqual(['done', 'failed', 'done']);
    expect(finish).toMatchObject({ state: 'failed', error: 'b failed while deploying: deploy broke' });
  });

  it('abort before anything started: every member skipped', () => {
    const st = reduce(initialState('parallel', ['a', 'b']), { kind: 'abort' });
    expect(nextActions(st)).toEqual([
      { kind: 'skip', app: 'a', reason: 'aborted before its deploy started' },
      { kind: 'skip', app: 'b', reason: 'aborted before its deploy started' },
    ]);
  });
});

describe('invariants under any outcomes (property-based)', () => {
  const outcome = fc.constantFrom<Outcome>('ok', 'ok', 'ok', 'fail', 'refuse', 'already-draining');
  it('finishes; never leaves a member drained unless it failed; succeeded only when every member is done', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('rolling' as const, 'parallel' as const),
        fc.integer({ min: 1, max: 5 }),
        fc.array(outcome, { minLength: 30, maxLength: 30 }),
        fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
        (strategy, n, outcomes, abortAt) => {
          const apps = Array.from({ length: n }, (_, i) => `m${i}`);
          const { st, finish } = drive(initialState(strategy, apps), (_op, _app, i) => outcomes[i % outcomes.length]!, { abortAt });
          for (const m of st.members) {
            if (m.drained) expect(m.step).toBe('failed');
            expect(m.busy).toBe(false);
          }
          if (finish.state === 'succeeded') expect(st.members.every((m) => m.step === 'done')).toBe(true);
          if (st.members.some((m) => m.step === 'failed')) expect(finish.state).toBe('failed');
          if (strategy === 'rolling') expect(st.members.filter((m) => m.step === 'failed').length).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
