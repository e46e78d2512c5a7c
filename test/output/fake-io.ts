// A buffered IO and a minimal Context for rendering tests (no program, no HTTP).
import { createIO, type IO } from '../../src/output/io.js';
import type { Context, Globals } from '../../src/context.js';
import { fakeClock } from '../helpers/cli.js';

export interface Buffers {
  io: IO;
  out: () => string;
  err: () => string;
}

/** An IO over string buffers; `tty` sets every stream's TTY flag, env decides colour. */
export function bufferIO(tty: boolean, env: NodeJS.ProcessEnv = {}): Buffers {
  let out = '';
  let err = '';
  const io = createIO({
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    stdoutIsTTY: tty,
    stderrIsTTY: tty,
    stdinIsTTY: tty,
    env,
  });
  return { io, out: () => out, err: () => err };
}

/** A Context around an IO; api/profile/prompt throw because renderers must not use them. */
export function renderContext(io: IO, globals: Partial<Globals> = {}): Context {
  const g: Globals = { json: false, quiet: false, verbose: false, noColor: false, ...globals };
  const fail = () => {
    throw new Error('not available in render tests');
  };
  return {
    io,
    env: {},
    home: '/nonexistent',
    globals: g,
    clock: fakeClock(),
    prompt: { confirmName: fail, readSecret: fail },
    signal: new AbortController().signal,
    profile: fail,
    api: fail,
    notice: (l) => {
      if (!g.quiet) io.err(l);
    },
    debug: (l) => {
      if (g.verbose) io.err(l);
    },
    version: '0.0.0-test',
  };
}

export const ANSI = /\x1b\[/;
export const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
