// Runs the CLI in-process against a fake context: buffered streams with chosen TTY flags, a
// temporary OWNSTACK_HOME, and an API client whose fetch msw intercepts.
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli.js';
import { createIO } from '../../src/output/io.js';
import { ApiClient } from '../../src/api/client.js';
import type { Clock } from '../../src/clock.js';
import type { Prompt } from '../../src/context.js';
import { UsageError } from '../../src/errors.js';
export { tempHome } from './home.js';

export const API = 'http://cp.test';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOpts {
  tty?: boolean;
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  /** Answers for confirmName prompts (in order). */
  confirm?: string[];
  home?: string;
  clock?: Clock;
}

/** A clock whose sleeps return at once but advance time, so retry tests run instantly. */
export function fakeClock(start = 1_700_000_000_000): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

/** Runs `ownstack <argv>` in-process; the API is http://cp.test with token "test-token". */
export async function runOwnstack(argv: string[], opts: RunOpts = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const tty = opts.tty ?? false;
  const env: NodeJS.ProcessEnv = { OWNSTACK_API_URL: API, OWNSTACK_API_TOKEN: 'test-token', ...opts.env };
  if (opts.home) env.OWNSTACK_HOME = opts.home;
  const io = createIO({
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from(opts.stdin !== undefined ? [opts.stdin] : []),
    stdoutIsTTY: tty,
    stderrIsTTY: tty,
    stdinIsTTY: tty && opts.stdin === undefined,
    env,
    noColor: argv.includes('--no-color'),
  });
  const answers = [...(opts.confirm ?? [])];
  const prompt: Prompt = {
    async confirmName(what, expected) {
      if (!tty) throw new UsageError(`refusing to ${what} without confirmation: not a terminal, pass --yes`);
      return answers.shift() === expected;
    },
    async readSecret() {
      return (opts.stdin ?? '').trim();
    },
  };
  const clock = opts.clock ?? fakeClock();
  const code = await runCli(argv, {
    env,
    io,
    clock,
    prompt,
    signal: new AbortController().signal,
    makeClient: async (profile) =>
      new ApiClient({
        baseUrl: profile.apiUrl ?? API,
        token: profile.token,
        clock,
        random: () => 0.5,
        maxRetryMs: 10_000,
        log: argv.includes('--verbose') || argv.includes('-v') ? (l) => io.err(l) : undefined,
      }),
  });
  return { code, stdout, stderr };
}

/** True when the text holds an ANSI escape. */
export const hasAnsi = (s: string) => /\x1b\[/.test(s);
