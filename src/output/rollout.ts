// The deploy progress view. A pure reducer folds the job's snapshot and events into a rollout
// state; three renderers show it:
// - TTY: one line per member redrawn in place (ora's spinner frames, step, elapsed time, last
//   output line): at once on each step change, otherwise at most every REDRAW_MS; then a summary.
//   One block redrawn with ANSI cursor movement — several ora instances would fight over the cursor.
// - lines: one plain line per event on stderr (CI logs, pipes).
// - json: NDJSON on stdout: a `plan` line, every event as the server sent it, and last a
//   `result` line that also carries the final Deploy.
import { spinners } from 'ora';
import type { Deploy, DeployEvent } from '../api/schemas.js';
import type { IO } from './io.js';
import { printJsonLine } from './json.js';
import { paint, symbols } from './style.js';

type Step = Deploy['members'][number]['step'];

export interface RolloutMember {
  app: string;
  addresses: string[];
  step: Step;
  /** When the current step began (ms since epoch), if known. */
  stepSince: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  /** The member's last output lines (most recent last). */
  logs: string[];
}

export interface RolloutState {
  id: number;
  cluster: string;
  strategy: Deploy['strategy'];
  state: Deploy['state'];
  members: RolloutMember[];
  skipped: Deploy['skipped'];
  error: string | null;
  createdAt: number;
  finishedAt: number | null;
  lastSeq: number;
  /** The job's result event, once seen. */
  result: DeployEvent | null;
  /** Job-level log lines (no member), most recent last. */
  notes: string[];
}

const KEEP_LOGS = 20;
export const REDRAW_MS = 120;
const ACTIVE_STEPS: readonly Step[] = ['draining', 'deploying', 'health-checking', 'undraining'];
const FINAL_STEPS: readonly Step[] = ['done', 'failed', 'skipped'];

const time = (s: string | null): number | null => (s === null ? null : Date.parse(s));

/** The rollout state of a job snapshot. */
export function rolloutFromDeploy(d: Deploy, lastSeq = 0): RolloutState {
  return {
    id: d.id,
    cluster: d.cluster,
    strategy: d.strategy,
    state: d.state,
    members: d.members.map((m) => ({
      app: m.app,
      addresses: m.addresses,
      step: m.step,
      stepSince: time(m.started_at),
      startedAt: time(m.started_at),
      finishedAt: time(m.finished_at),
      error: m.error,
      logs: [],
    })),
    skipped: d.skipped,
    error: d.error,
    createdAt: Date.parse(d.created_at),
    finishedAt: time(d.finished_at),
    lastSeq,
    result: null,
    notes: [],
  };
}

/** Folds one event into the state (pure; events at or before lastSeq are ignored). */
export function applyEvent(st: RolloutState, e: DeployEvent): RolloutState {
  if (e.seq <= st.lastSeq) return st;
  const at = Date.parse(e.at);
  const next: RolloutState = { ...st, lastSeq: e.seq };
  const member = (fn: (m: RolloutMember) => RolloutMember) => ({ ...next, members: next.members.map((m) => (m.app === e.app ? fn(m) : m)) });
  switch (e.type) {
    case 'state':
      return { ...next, state: e.state ?? next.state, finishedAt: e.state && ['succeeded', 'failed', 'aborted', 'interrupted'].includes(e.state) ? at : next.finishedAt };
    case 'result':
      return { ...next, state: e.state ?? next.state, result: e, finishedAt: next.finishedAt ?? at };
    case 'step':
      if (e.step === null) return next;
      return member((m) => ({
        ...m,
        step: e.step!,
        stepSince: at,
        startedAt: m.startedAt ?? (e.step === 'pending' || e.step === 'skipped' ? null : at),
        finishedAt: FINAL_STEPS.includes(e.step!) ? at : m.finishedAt,
        error: e.step === 'failed' || e.step === 'skipped' ? e.message : m.error,
      }));
    case 'warning':
      return { ...next, notes: [...next.notes, `! ${e.message}`].slice(-KEEP_LOGS) };
    case 'log':
      if (e.app === null) return { ...next, notes: [...next.notes, e.message].slice(-KEEP_LOGS) };
      return member((m) => ({ ...m, logs: [...m.logs, e.message].slice(-KEEP_LOGS) }));
  }
}

/** Takes the authoritative fields of a fresh snapshot (after a re-attach or at the end). */
export function applySnapshot(st: RolloutState, d: Deploy): RolloutState {
  const fresh = rolloutFromDeploy(d, st.lastSeq);
  return {
    ...fresh,
    result: st.result,
    notes: st.notes,
    members: fresh.members.map((m) => {
      const old = st.members.find((x) => x.app === m.app);
      return { ...m, logs: old?.logs ?? [], stepSince: old && old.step === m.step ? old.stepSince : m.stepSince };
    }),
  };
}

/** 7 → "7s", 75 → "1m15s", 3725 → "1h02m". */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const STEP_WIDTH = 'health-checking'.length;

/** Visible length (ANSI escapes excluded). */
const visible = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

/** Cuts a line to `width` visible characters (keeps escapes, ends with a reset when it cut). */
export function truncateLine(s: string, width: number): string {
  if (visible(s).length <= width) return s;
  let out = '';
  let n = 0;
  for (let i = 0; i < s.length && n < width - 1; ) {
    const m = /^\x1b\[[0-9;?]*[A-Za-z]/.exec(s.slice(i));
    if (m) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    const ch = String.fromCodePoint(s.codePointAt(i)!);
    out += ch;
    i += ch.length;
    n++;
  }
  return `${out}…\x1b[0m`;
}

/** The live lines of a TTY view: one per member, then the job line. `frame` picks the spinner frame. */
export function renderRolloutLines(st: RolloutState, now: number, frame: number, io: IO, hint: string | null): string[] {
  const c = paint(io, 'err');
  const width = Math.max(...st.members.map((m) => m.app.length), 3);
  const spinner = spinners.dots.frames[frame % spinners.dots.frames.length]!;
  const lines = st.members.map((m, i) => {
    let icon: string;
    if (m.step === 'done') icon = c.green(symbols.ok);
    else if (m.step === 'failed') icon = c.red(symbols.fail);
    else if (m.step === 'skipped') icon = c.dim('-');
    else if (m.step === 'pending') icon = c.dim(symbols.inactive);
    else icon = c.cyan(spinner);
    const order = st.strategy === 'rolling' ? c.dim(`${i + 1}/${st.members.length} `) : '';
    let when = '';
    if (ACTIVE_STEPS.includes(m.step) && m.stepSince !== null) when = formatElapsed(now - m.stepSince);
    else if (FINAL_STEPS.includes(m.step) && m.startedAt !== null && m.finishedAt !== null) when = formatElapsed(m.finishedAt - m.startedAt);
    const stepText = m.step === 'failed' ? c.red(m.step.padEnd(STEP_WIDTH)) : m.step === 'done' ? c.green(m.step.padEnd(STEP_WIDTH)) : m.step.padEnd(STEP_WIDTH);
    let detail = '';
    if (m.step === 'failed' || m.step === 'skipped') detail = m.error ?? '';
    else if (ACTIVE_STEPS.includes(m.step)) detail = m.logs.at(-1) ?? '';
    return `${icon} ${order}${m.app.padEnd(width)}  ${stepText}  ${when.padStart(6)}${detail ? `  ${c.dim(detail)}` : ''}`.trimEnd();
  });
  const elapsed = formatElapsed((st.finishedAt ?? now) - st.createdAt);
  lines.push(c.dim(`deploy ${st.id} ${st.state} · ${elapsed}${hint ? ` · ${hint}` : ''}`));
  return lines.map((l) => truncateLine(l, Math.max(20, io.columns - 1)));
}

/** One plain line for an event (the non-TTY view). */
export function formatEventLine(e: DeployEvent): string {
  switch (e.type) {
    case 'state':
      return `deploy ${e.deploy_id}: ${e.state}${e.message ? ` - ${e.message}` : ''}`;
    case 'step':
      return `${e.app}: ${e.step}${e.message ? ` - ${e.message}` : ''}`;
    case 'log':
      return `${e.app ?? `deploy ${e.deploy_id}`} | ${e.message}`;
    case 'warning':
      return `! ${e.message}`;
    case 'result':
      return e.message;
  }
}

/** What a wait shows; the follow loop calls these in order. */
export interface RolloutView {
  /** The wait begins (the plan was printed). */
  start(st: RolloutState): void;
  event(st: RolloutState, e: DeployEvent): void;
  /** The wait ends (finished, detached, timed out or interrupted); nothing animates afterwards. */
  stop(st: RolloutState, reason: 'finished' | 'detached'): void;
}

/** The in-place TTY view on stderr. `now` is the clock. */
export function createTtyView(io: IO, now: () => number, hint: string | null): RolloutView {
  let drawn = 0;
  let frame = 0;
  let last: RolloutState | null = null;
  let timer: NodeJS.Timeout | null = null;
  let dirty = false;
  let lastDraw = 0;
  const write = (s: string) => void io.stderr.write(s);
  const draw = (withHint: boolean) => {
    if (!last) return;
    const lines = renderRolloutLines(last, now(), frame, io, withHint ? hint : null);
    let out = drawn > 0 ? `\x1b[${drawn}A` : '';
    for (const l of lines) out += `\r\x1b[2K${l}\n`;
    // A block that shrank leaves old lines below: clear them.
    if (drawn > lines.length) out += '\x1b[J';
    write(out);
    drawn = lines.length;
    dirty = false;
    lastDraw = Date.now();
  };
  return {
    start(st) {
      last = st;
      // The cursor stays visible: hidden, a second Ctrl-C (which ends the process at once) would leave it hidden.
      draw(true);
      timer = setInterval(() => {
        frame++;
        draw(true);
      }, REDRAW_MS);
      timer.unref();
    },
    event(st, e) {
      last = st;
      dirty = true;
      // A member's step or the job's state is drawn at once, so every step shows on the screen
      // however short it was (a handful per member); output lines are drawn at most every
      // REDRAW_MS, and the timer picks up the rest.
      if (e.type === 'step' || e.type === 'state' || Date.now() - lastDraw >= REDRAW_MS) draw(true);
    },
    stop(st) {
      if (timer) clearInterval(timer);
      timer = null;
      last = st;
      if (dirty || drawn > 0) draw(false);
    },
  };
}

/** One plain line per event on stderr (no ANSI). */
export function createLineView(io: IO): RolloutView {
  return {
    start() {},
    event(_st, e) {
      io.err(formatEventLine(e));
    },
    stop() {},
  };
}

/** NDJSON on stdout: every event as the server sent it (the result line carries the final Deploy). */
export function createJsonView(io: IO): RolloutView {
  return {
    start() {},
    event(_st, e) {
      if (e.type !== 'result') printJsonLine(io, e);
    },
    stop() {},
  };
}

/** The summary lines after a finished rollout (stderr), with the next commands for a failure. */
export function renderRolloutSummary(st: RolloutState, io: IO): string[] {
  const c = paint(io, 'err');
  const lines: string[] = [];
  const failed = st.members.filter((m) => m.step === 'failed');
  for (const m of failed) {
    const tail = m.logs.slice(-10);
    if (tail.length > 0) {
      lines.push(c.dim(`last output of ${m.app}:`));
      for (const l of tail) lines.push(c.dim(`  ${l}`));
    }
  }
  return lines;
}

/** Members whose traffic is held back by the job at its end (failed members stay drained in rolling). */
export function drainedAtEnd(st: RolloutState): string[] {
  return st.strategy === 'rolling' ? st.members.filter((m) => m.step === 'failed').map((m) => m.app) : [];
}
