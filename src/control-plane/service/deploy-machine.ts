// The deploy job as a pure state machine: which operation each member needs next, what a
// finished operation changes, and when the job is over. The runner (deploy-runner.ts) performs
// the operations and feeds their results back; nothing here does I/O or reads a clock.
//
// Per member: pending → draining → deploying → health-checking → undraining → done, or failed
// (or skipped when the job stopped before its turn). parallel: every member at once, no drain
// (draining every member would leave nothing to route to). rolling: one member at a time.
import type * as s from '../../api/schemas.js';

export type MemberStep = s.Deploy['members'][number]['step'];
export type Strategy = s.Deploy['strategy'];
export type FinalState = 'succeeded' | 'failed' | 'aborted';

/** The operations the runner performs for a member. */
export type Op = 'drain' | 'deploy' | 'health' | 'undrain';

export interface MachineMember {
  app: string;
  step: MemberStep;
  /** The next operation, or null once the member is finished. */
  next: Op | null;
  /** An operation is in flight. */
  busy: boolean;
  /** This job drained the member (it must undrain it, unless the member fails). */
  drained: boolean;
  /** The deploy command succeeded. */
  deployed: boolean;
  error: string | null;
}

export interface MachineState {
  strategy: Strategy;
  members: MachineMember[];
  abortRequested: boolean;
  /** The first member failure: the job stops (rolling) and ends failed. */
  failure: { app: string; step: MemberStep; error: string } | null;
  /** A job-level refusal (e.g. draining would leave no routable member): the job stops, failed. */
  refusal: string | null;
}

export type Action =
  | { kind: 'op'; op: Op; app: string }
  /** Finish a member without an operation (an abort before its deploy started). */
  | { kind: 'skip'; app: string; reason: string }
  | { kind: 'finish'; state: FinalState; error: string | null };

export type Result =
  | { kind: 'drained'; app: string; byJob: boolean }
  | { kind: 'deployed'; app: string }
  | { kind: 'healthy'; app: string }
  | { kind: 'undrained'; app: string }
  | { kind: 'failed'; app: string; error: string }
  /** The member was not drained because no other member is routable: it is left untouched. */
  | { kind: 'refused'; app: string; error: string }
  /** A member finished without an operation (see the skip action). */
  | { kind: 'skipped'; app: string; reason: string }
  | { kind: 'abort' };

export const STEP_OF: Record<Op, MemberStep> = { drain: 'draining', deploy: 'deploying', health: 'health-checking', undrain: 'undraining' };

const FINAL_STEPS: readonly MemberStep[] = ['done', 'failed', 'skipped'];

/** The machine for a job whose members are all pending. */
export function initialState(strategy: Strategy, apps: string[]): MachineState {
  return {
    strategy,
    abortRequested: false,
    failure: null,
    refusal: null,
    members: apps.map((app) => ({ app, step: 'pending', next: strategy === 'rolling' ? 'drain' : 'deploy', busy: false, drained: false, deployed: false, error: null })),
  };
}

function update(state: MachineState, app: string, change: (m: MachineMember) => Partial<MachineMember>): MachineState {
  return { ...state, members: state.members.map((m) => (m.app === app ? { ...m, ...change(m) } : m)) };
}

/** An operation was started for a member. */
export function begin(state: MachineState, app: string, op: Op): MachineState {
  return update(state, app, () => ({ busy: true, step: STEP_OF[op] }));
}

/** Applies one result (a finished operation, or an abort request). */
export function reduce(state: MachineState, r: Result): MachineState {
  switch (r.kind) {
    case 'abort':
      return { ...state, abortRequested: true };
    case 'drained':
      return update(state, r.app, () => ({ busy: false, drained: r.byJob, next: 'deploy' }));
    case 'deployed':
      return update(state, r.app, () => ({ busy: false, deployed: true, next: 'health' }));
    case 'healthy':
      // A member that was already draining before the job stays as the operator left it.
      return update(state, r.app, (m) => (m.drained ? { busy: false, next: 'undrain' } : { busy: false, next: null, step: 'done' }));
    case 'undrained':
      return update(state, r.app, (m) => ({ busy: false, drained: false, next: null, step: m.deployed ? 'done' : 'skipped', error: m.deployed ? m.error : 'aborted before its deploy started' }));
    case 'failed': {
      const m = state.members.find((x) => x.app === r.app);
      const next = update(state, r.app, () => ({ busy: false, next: null, step: 'failed', error: r.error }));
      return state.failure || !m ? next : { ...next, failure: { app: r.app, step: m.step, error: r.error } };
    }
    case 'skipped':
      return update(state, r.app, () => ({ busy: false, next: null, step: 'skipped', error: r.reason }));
    case 'refused':
      return { ...update(state, r.app, () => ({ busy: false, next: null, step: 'skipped', error: r.error })), refusal: state.refusal ?? r.error };
  }
}

const isFinal = (m: MachineMember) => m.next === null && FINAL_STEPS.includes(m.step);

/** The actions to take now. An empty list means: wait for an in-flight operation. */
export function nextActions(state: MachineState): Action[] {
  const busy = state.members.some((m) => m.busy);
  const stopping = state.abortRequested || state.failure !== null || state.refusal !== null;
  const actions: Action[] = [];

  if (state.strategy === 'rolling') {
    if (busy) return [];
    const current = state.members.find((m) => !isFinal(m) && m.step !== 'pending');
    if (current) {
      if (stopping && current.next === 'deploy') {
        // Stopped between drain and deploy: nothing changed on the member yet, give its traffic back.
        return [current.drained ? { kind: 'op', op: 'undrain', app: current.app } : { kind: 'skip', app: current.app, reason: 'aborted before its deploy started' }];
      }
      // Deployed (or deploying): finish it safely — health check, then undrain only when healthy.
      return [{ kind: 'op', op: current.next!, app: current.app }];
    }
    const pending = state.members.find((m) => m.step === 'pending');
    if (pending && !stopping) return [{ kind: 'op', op: 'drain', app: pending.app }];
    return [finish(state)];
  }

  // parallel: every member's next operation at once; an abort skips members not started yet.
  for (const m of state.members) {
    if (m.busy || m.next === null) continue;
    if (stopping && m.step === 'pending') actions.push({ kind: 'skip', app: m.app, reason: state.abortRequested ? 'aborted before its deploy started' : 'not deployed: the job stopped' });
    else actions.push({ kind: 'op', op: m.next, app: m.app });
  }
  if (actions.length > 0 || busy) return actions;
  return [finish(state)];
}

function finish(state: MachineState): Action {
  if (state.failure) return { kind: 'finish', state: 'failed', error: `${state.failure.app} failed while ${state.failure.step}: ${state.failure.error}` };
  if (state.refusal) return { kind: 'finish', state: 'failed', error: state.refusal };
  if (state.abortRequested) return { kind: 'finish', state: 'aborted', error: 'aborted by request' };
  return { kind: 'finish', state: 'succeeded', error: null };
}

/** Members the job has not reached (still pending) when it finishes: they are marked skipped. */
export function unreached(state: MachineState): string[] {
  return state.members.filter((m) => m.step === 'pending').map((m) => m.app);
}
