// Runs one member's deploy command: `sh -c <deploy_cmd>` (execa) with the deploy's variables in
// its environment, every output line reported as it comes, and a time limit.
//
// Two traps handled here:
// - A command that starts a long-running process in the background (`./server &`) leaves that
//   process holding the output pipes, so "the pipes closed" never happens. The command counts as
//   finished when the shell exits; output still buffered then is read for a short moment, after
//   which the pipes are let go.
// - The command runs in its own process group, so a timeout (or a control plane shutdown) stops
//   the shell and everything it started in the foreground: SIGTERM, then SIGKILL.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import type { Clock } from '../api/client.js';

export interface ExecRequest {
  command: string;
  /** The complete environment of the command. */
  env: Record<string, string>;
  timeoutMs: number;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Aborted when the control plane shuts down: the command is stopped. */
  signal?: AbortSignal;
  cwd?: string;
}

export interface ExecResult {
  exitCode: number | null;
  /** The signal that ended the shell, if one did. */
  signal: string | null;
  timedOut: boolean;
  /** Could not start at all (e.g. no `sh`). */
  startError: string | null;
}

export type ExecFn = (req: ExecRequest) => Promise<ExecResult>;

/** After the shell exits, how long output still in the pipes is read. */
const PIPE_GRACE_MS = 300;
/** Between SIGTERM and SIGKILL when a command timed out (shorter on shutdown: the control plane must exit). */
const KILL_GRACE_MS = 5_000;
const SHUTDOWN_KILL_GRACE_MS = 1_500;

/** The real ExecFn. */
export function createExec(clock: Clock): ExecFn {
  return async (req) => {
    let sub: ReturnType<typeof execa>;
    try {
      sub = execa('sh', ['-c', req.command], {
        env: req.env,
        extendEnv: false,
        detached: true,
        stdin: 'ignore',
        buffer: false,
        reject: false,
        cwd: req.cwd,
      });
    } catch (err) {
      return { exitCode: null, signal: null, timedOut: false, startError: (err as Error).message };
    }
    const done = sub.then(
      () => undefined,
      () => undefined,
    );
    const lineReaders = [readLines(sub.stdout, (l) => req.onLine('stdout', l)), readLines(sub.stderr, (l) => req.onLine('stderr', l))];

    const exited = new Promise<{ code: number | null; signal: string | null; error: string | null }>((resolve) => {
      sub.once('exit', (code, signal) => resolve({ code, signal, error: null }));
      sub.once('error', (err) => resolve({ code: null, signal: null, error: err.message }));
    });
    const stopper = new AbortController();
    let timedOut = false;
    const timer = clock.sleep(req.timeoutMs, stopper.signal).then(
      () => {
        timedOut = true;
        return 'timeout' as const;
      },
      () => 'cancelled' as const,
    );
    const aborted = new Promise<'aborted'>((resolve) => {
      if (req.signal?.aborted) resolve('aborted');
      req.signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
    });

    const first = await Promise.race([exited, timer, aborted]);
    let exit: { code: number | null; signal: string | null; error: string | null };
    if (first === 'timeout' || first === 'aborted') {
      killGroup(sub.pid, 'SIGTERM');
      const grace = first === 'aborted' ? SHUTDOWN_KILL_GRACE_MS : KILL_GRACE_MS;
      const killed = await Promise.race([exited, clock.sleep(grace).then(() => null)]);
      if (killed === null) killGroup(sub.pid, 'SIGKILL');
      exit = killed ?? (await exited);
    } else exit = first as { code: number | null; signal: string | null; error: string | null };
    stopper.abort();

    // Read what is still buffered, then let go of pipes a background process may hold open.
    await Promise.race([Promise.all(lineReaders), clock.sleep(PIPE_GRACE_MS).catch(() => undefined)]);
    sub.stdout?.destroy();
    sub.stderr?.destroy();
    await Promise.race([done, clock.sleep(PIPE_GRACE_MS).catch(() => undefined)]);
    if (exit.error !== null && exit.code === null && exit.signal === null) return { exitCode: null, signal: null, timedOut, startError: exit.error };
    return { exitCode: exit.code, signal: exit.signal, timedOut, startError: null };
  };
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function readLines(stream: Readable | null | undefined, onLine: (line: string) => void): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((resolve) => {
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', onLine);
    rl.on('close', () => resolve());
    stream.on('error', () => resolve());
  });
}

/** One line of a command's result for the job log and the member's error. */
export function describeExit(r: ExecResult, timeoutMs: number): string | null {
  if (r.startError !== null) return `the deploy command could not start: ${r.startError}`;
  if (r.timedOut) return `the deploy command did not finish within ${formatMs(timeoutMs)} and was stopped`;
  if (r.signal !== null) return `the deploy command was killed by ${r.signal}`;
  if (r.exitCode !== 0) return `the deploy command exited with code ${r.exitCode}`;
  return null;
}

/** 600000 → "10m", 1500 → "1.5s". */
export function formatMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${Math.round(ms / 100) / 10}s`;
  return `${ms}ms`;
}
