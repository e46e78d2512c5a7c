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
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { execa } from 'execa';
import type { Clock } from '../../clock.js';

export interface ExecRequest {
  command: string;
  /** The complete environment of the command. */
  env: Record<string, string>;
  timeoutMs: number;
  /** Every output line, cut to MAX_LINE_BYTES (a line without a newline is never held whole). */
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

/** The most of one output line kept: the rest is counted, not held in memory. */
export const MAX_LINE_BYTES = 8 * 1024;
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
  const lines = new LineSplitter(MAX_LINE_BYTES, onLine);
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      lines.end();
      resolve();
    };
    stream.on('data', (chunk: Buffer) => lines.push(chunk));
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
}

/**
 * Splits a byte stream into lines (\n, \r\n or a lone \r, as readline does) holding at most
 * `maxBytes` of a line: a longer line is reported cut, with how many bytes were left out.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private kept = 0;
  private dropped = 0;
  /** The last line ended with \r: a \n right after it belongs to the same break. */
  private afterCR = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
  ) {}

  /** Bytes of the current line held now (at most maxBytes). */
  get held(): number {
    return this.kept;
  }

  push(chunk: Buffer): void {
    let start = 0;
    if (this.afterCR && chunk.length > 0) {
      if (chunk[0] === 10) start = 1;
      this.afterCR = false;
    }
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const cr = chunk.indexOf(13, start);
      const end = nl === -1 ? cr : cr === -1 ? nl : Math.min(nl, cr);
      if (end === -1) break;
      this.take(chunk.subarray(start, end));
      this.emit();
      start = end + 1;
      if (end === cr) {
        if (start < chunk.length) {
          if (chunk[start] === 10) start++;
        } else this.afterCR = true;
      }
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
  }

  /** The end of the stream: a last line without a newline is reported too. */
  end(): void {
    if (this.kept > 0 || this.dropped > 0) this.emit();
  }

  private take(bytes: Buffer): void {
    const room = this.maxBytes - this.kept;
    if (bytes.length <= room) {
      if (bytes.length > 0) this.parts.push(Buffer.from(bytes));
      this.kept += bytes.length;
      return;
    }
    if (room > 0) this.parts.push(Buffer.from(bytes.subarray(0, room)));
    this.kept += Math.max(0, room);
    this.dropped += bytes.length - Math.max(0, room);
  }

  private emit(): void {
    const bytes = Buffer.concat(this.parts);
    // A cut may split a UTF-8 character: the decoder drops the incomplete end.
    let text = new StringDecoder('utf8').write(bytes);
    if (this.dropped > 0) text += `… (${this.dropped} more bytes of this line not kept)`;
    this.parts = [];
    this.kept = 0;
    this.dropped = 0;
    this.onLine(text);
  }
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
