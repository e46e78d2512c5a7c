// Waiting for a deploy job (cluster deploy, deploy:status --wait, deploy:abort): which job a
// command means, the follow loop over the event stream, with a time limit and Ctrl-C, feeding a
// rollout view; and the final word (exit 0 only when every member succeeded, 1 otherwise, 6 timed
// out, 130 Ctrl-C).
import * as z from 'zod';
import type { Deploy, DeployEvent } from '../../api/schemas.js';
import { addRuleIssue, checkDuration, clusterRefSchema } from '../../inputs/index.js';
import type { RawInput } from '../define.js';
import { followDeployEvents, isFinished } from '../../api/events.js';
import type { Context } from '../../context.js';
import { ConflictError, ExitError, FailedError, InterruptedError, NotFoundError, TimeoutError } from '../../errors.js';
import { printJsonLine } from '../../output/json.js';
import {
  applyEvent,
  applySnapshot,
  createJsonView,
  createLineView,
  createTtyView,
  renderRolloutSummary,
  rolloutFromDeploy,
  type RolloutState,
  type RolloutView,
} from '../../output/rollout.js';
import { paint, successLine } from '../../output/style.js';

/** The default --timeout of a wait. */
export const DEFAULT_WAIT_TIMEOUT = '30m';

const WAIT_TIMEOUT_RULE = 'a wait timeout is a whole number followed by s, m or h, from 1s to 24h (e.g. 90s, 30m, 2h)';

/** --timeout of a wait: a duration like 30m (1 s to 24 h), in milliseconds. */
export const waitTimeoutSchema = z.string({ error: 'a wait timeout must be a string like 30m' }).transform((raw, ctx) => {
  const m = /^(\d{1,6})(ms|s|m|h)$/.exec(raw.trim());
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'] : NaN;
  if (Number.isFinite(ms) && ms >= 1000 && ms <= 24 * 3_600_000) return ms;
  const checked = checkDuration(raw);
  const fix = Number.isFinite(ms) ? (ms < 1000 ? '1s' : '24h') : checked.ok ? undefined : checked.fix;
  addRuleIssue(ctx, WAIT_TIMEOUT_RULE, fix);
  return z.NEVER;
});

/** <id> of deploy:status and deploy:abort. */
export const deployIdSchema = z
  .string({ error: 'a deploy id is a positive whole number' })
  .regex(/^[1-9]\d{0,14}$/, 'a deploy id is a positive whole number (see `ownstack cluster deploy:status <cluster>`)')
  .transform(Number);

/** The arguments deploy:status and deploy:abort share: <cluster> [id] --timeout (each adds its own flag). */
export const deployJobFields = { cluster: clusterRefSchema, id: deployIdSchema.optional(), timeoutMs: waitTimeoutSchema };

/** Request field -> what the user typed, for deployJobFields. */
export const DEPLOY_JOB_ARGS: Record<string, string> = { cluster: '<cluster>', id: '<id>', timeoutMs: '--timeout' };

/** The raw values of deployJobFields. */
export function deployJobValues(raw: RawInput): Record<keyof typeof deployJobFields, unknown> {
  return { cluster: raw.args[0], id: raw.args[1], timeoutMs: raw.opts.timeout ?? DEFAULT_WAIT_TIMEOUT };
}

/**
 * The job a command means when no <id> was given: the cluster's most recent one (`latest`: 404 when
 * it has none) or its unfinished one (`unfinished`: 409 when there is none; deploy:abort).
 */
export async function findDeploy(ctx: Context, cluster: string, which: 'latest' | 'unfinished'): Promise<Deploy> {
  const api = await ctx.api();
  const { deploys } = await api.call('deployList', { params: { cluster } });
  const latest = deploys[0];
  if (which === 'latest') {
    if (!latest) throw new NotFoundError(`cluster ${cluster} has no deploys yet`, { hint: `start one: ownstack cluster deploy ${cluster}` });
    return latest;
  }
  const open = deploys.find((d) => !isFinished(d.state));
  if (open) return open;
  throw new ConflictError(`cluster ${cluster} has no deploy in progress${latest ? ` (the last one, ${latest.id}, ${latest.state})` : ''}: nothing to abort`);
}

export type FollowOutcome = 'finished' | 'timeout' | 'interrupted';

export interface FollowResult {
  outcome: FollowOutcome;
  rollout: RolloutState;
  /** The final snapshot (finished) or the last one known. */
  deploy: Deploy;
  timeoutMs: number;
}

/** The command that re-attaches to a job. */
export function reattachCommand(d: Pick<Deploy, 'cluster' | 'id'>): string {
  return `ownstack cluster deploy:status ${d.cluster} ${d.id} --wait`;
}

/** The command that aborts a cluster's job. */
export function abortCommand(d: Pick<Deploy, 'cluster'>): string {
  return `ownstack cluster deploy:abort ${d.cluster}`;
}

/** Jobs with more members than this are shown as lines even on a TTY (a block taller than the screen cannot be redrawn). */
const MAX_TTY_MEMBERS = 20;

function chooseView(ctx: Context, d: Deploy): { view: RolloutView | null; tty: boolean } {
  if (ctx.globals.json) return { view: createJsonView(ctx.io), tty: false };
  if (ctx.globals.quiet) return { view: null, tty: false };
  // --verbose prints request lines on stderr, which would tear a redrawn block: plain lines then.
  if (ctx.io.stderrIsTTY && ctx.env.TERM !== 'dumb' && !ctx.globals.verbose && d.members.length <= MAX_TTY_MEMBERS) {
    return { view: createTtyView(ctx.io, () => ctx.clock.now(), 'Ctrl-C detaches'), tty: true };
  }
  return { view: createLineView(ctx.io), tty: false };
}

/** 1800000 → "30m", 90000 → "90s". */
function waitLimit(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

/**
 * Follows a job to its end, a timeout or Ctrl-C. Says first what Ctrl-C does. Never aborts the
 * job: Ctrl-C and the time limit only stop the watching.
 */
export async function followDeploy(d: Deploy, ctx: Context, timeoutMs: number): Promise<FollowResult> {
  const { view, tty } = chooseView(ctx, d);
  ctx.notice(paint(ctx.io, 'err').dim(`Waiting for deploy ${d.id} (up to ${waitLimit(timeoutMs)}). Ctrl-C stops waiting, the deploy goes on; to stop it: ${abortCommand(d)}`));
  let st = rolloutFromDeploy(d);
  const stop = new AbortController();
  let outcome: FollowOutcome = 'finished';
  const onInterrupt = () => {
    outcome = 'interrupted';
    stop.abort(new InterruptedError());
  };
  if (ctx.signal.aborted) onInterrupt();
  ctx.signal.addEventListener('abort', onInterrupt, { once: true });
  const timer = new AbortController();
  ctx.clock.sleep(timeoutMs, timer.signal).then(
    () => {
      if (outcome === 'finished') outcome = 'timeout';
      stop.abort(new TimeoutError('timed out'));
    },
    () => undefined,
  );
  view?.start(st);
  let failure: unknown = null;
  try {
    if (!stop.signal.aborted) {
      const api = await ctx.api();
      const events = followDeployEvents(api, {
        cluster: d.cluster,
        id: d.id,
        signal: stop.signal,
        clock: ctx.clock,
        onRetry: (n, err) => ctx.debug(`event stream dropped (${(err as Error)?.message ?? 'ended early'}); reconnecting (${n})`),
      });
      for await (const e of events) {
        st = applyEvent(st, e);
        view?.event(st, e);
      }
    }
  } catch (err) {
    if (!stop.signal.aborted) failure = err;
  } finally {
    timer.abort();
    ctx.signal.removeEventListener('abort', onInterrupt);
  }
  let snapshot = d;
  if (failure === null && outcome === 'finished') {
    try {
      const api = await ctx.api();
      snapshot = await api.call('deployShow', { params: { cluster: d.cluster, id: d.id } });
      st = applySnapshot(st, snapshot);
    } catch (err) {
      failure = err;
    }
  }
  view?.stop(st, outcome === 'finished' && failure === null ? 'finished' : 'detached');
  if (failure !== null) {
    if (!tty && !ctx.globals.json) ctx.notice(`re-attach: ${reattachCommand(d)}`);
    throw failure;
  }
  return { outcome, rollout: st, deploy: snapshot, timeoutMs };
}

/** A result line for --json when the job had no result event (e.g. aborted while queued). */
function resultEvent(r: FollowResult, now: number): DeployEvent {
  return (
    r.rollout.result ?? {
      seq: r.rollout.lastSeq + 1,
      deploy_id: r.deploy.id,
      at: new Date(now).toISOString(),
      type: 'result',
      app: null,
      step: null,
      state: r.deploy.state,
      message: `deploy ${r.deploy.id} ${r.deploy.state}${r.deploy.error ? `: ${r.deploy.error}` : ''}`,
    }
  );
}

/**
 * The end of a wait: the summary, the last NDJSON line, and the exit (0 only when every member
 * succeeded; 1 failed/aborted/interrupted; 6 still running at the time limit; 130 Ctrl-C).
 * `okStates` lists the final states that count as success for the command (deploy:abort: aborted).
 */
export function renderFollowEnd(r: FollowResult, ctx: Context, okStates: Deploy['state'][] = ['succeeded']): void {
  const { io } = ctx;
  const d = r.deploy;
  if (r.outcome !== 'finished') {
    const reattach = reattachCommand(d);
    if (ctx.globals.json) {
      printJsonLine(io, { type: 'detached', reason: r.outcome === 'timeout' ? 'timeout' : 'interrupt', deploy_id: d.id, state: r.rollout.state, reattach, abort: abortCommand(d) });
    }
    if (r.outcome === 'timeout') {
      throw new TimeoutError(`deploy ${d.id} is still ${r.rollout.state} after ${waitLimit(r.timeoutMs)} of waiting: it goes on on the control plane`, {
        hint: `re-attach: ${reattach}   abort: ${abortCommand(d)}`,
      });
    }
    throw new InterruptedError(`stopped waiting for deploy ${d.id}: it goes on on the control plane`, { hint: `re-attach: ${reattach}   abort: ${abortCommand(d)}` });
  }

  const result = resultEvent(r, ctx.clock.now());
  if (ctx.globals.json) printJsonLine(io, { ...result, deploy: d });
  else {
    for (const l of renderRolloutSummary(r.rollout, io)) ctx.notice(l);
    if (!io.stdoutIsTTY) io.out(`${d.id}\t${d.state}`);
  }
  const ok = okStates.includes(d.state);
  if (ok) {
    if (!ctx.globals.json && io.stdoutIsTTY && !ctx.globals.quiet) io.out(successLine(io, capitalise(result.message)));
    return;
  }
  if (!isFinished(d.state)) throw new ExitError(6);
  const failed = d.members.filter((m) => m.step === 'failed').map((m) => m.app);
  const hint =
    failed.length > 0 && d.strategy === 'rolling'
      ? `fix ${failed.join(', ')} and deploy again (a new deploy takes over the drained member${failed.length === 1 ? '' : 's'}), or give ${failed.length === 1 ? 'it' : 'them'} traffic back by hand: ownstack cluster member undrain ${d.cluster} ${failed[0]}`
      : undefined;
  if (ctx.globals.json) throw new ExitError(1);
  throw new FailedError(result.message, hint ? { hint } : {});
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
