// IO streams and what they are: TTY or not, colour or not. Commands write through this only.
import type { Readable } from 'node:stream';

export interface Sink {
  write(chunk: string): unknown;
}

export interface IO {
  stdout: Sink;
  stderr: Sink;
  stdin: Readable | null;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  /** Colour on stdout / stderr, after NO_COLOR, --no-color, TERM=dumb, FORCE_COLOR, CLICOLOR_FORCE. */
  color: boolean;
  colorErr: boolean;
  columns: number;
  out(line?: string): void;
  err(line?: string): void;
}

/** Decides colour for one stream: explicit off wins, then forced on, then the stream being a TTY. */
export function colorEnabled(env: NodeJS.ProcessEnv, isTTY: boolean, noColorFlag: boolean): boolean {
  if (noColorFlag) return false;
  // no-color.org: set and not empty (NO_COLOR= with an empty value changes nothing).
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  const force = env.FORCE_COLOR ?? env.CLICOLOR_FORCE;
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  if (env.CLICOLOR === '0') return false;
  return isTTY;
}

/** Builds an IO over any two sinks (the process, or a test's buffers). */
export function createIO(opts: {
  stdout: Sink;
  stderr: Sink;
  stdin?: Readable | null;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  noColor?: boolean;
  columns?: number;
}): IO {
  const io: IO = {
    stdout: opts.stdout,
    stderr: opts.stderr,
    stdin: opts.stdin ?? null,
    stdoutIsTTY: opts.stdoutIsTTY,
    stderrIsTTY: opts.stderrIsTTY,
    stdinIsTTY: opts.stdinIsTTY,
    color: colorEnabled(opts.env, opts.stdoutIsTTY, opts.noColor ?? false),
    colorErr: colorEnabled(opts.env, opts.stderrIsTTY, opts.noColor ?? false),
    columns: opts.columns ?? 100,
    out: (line = '') => void opts.stdout.write(line + '\n'),
    err: (line = '') => void opts.stderr.write(line + '\n'),
  };
  return io;
}

/**
 * The real process streams. stdin is looked at only when a command reads it: Node builds
 * process.stdin on first use (for a pipe or a terminal that loads the net and stream modules,
 * a few per cent of a start-up that never reads input).
 */
export function processIO(env: NodeJS.ProcessEnv, noColor: boolean): IO {
  const io = createIO({
    stdout: process.stdout,
    stderr: process.stderr,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    stdinIsTTY: false,
    env,
    noColor,
    columns: process.stdout.columns,
  });
  return Object.defineProperties(io, {
    stdin: { get: () => process.stdin, enumerable: true },
    stdinIsTTY: { get: () => Boolean(process.stdin.isTTY), enumerable: true },
  });
}
