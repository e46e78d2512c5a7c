// Runs the built CLI for the proxy proofs (OWNSTACK_E2E_BIN may point at another build of
// bin/ownstack, e.g. a snapshot, so a rebuild of dist/ elsewhere cannot break a run in progress).
import { execa } from 'execa';
import { BIN, cleanEnv, ROOT } from '../helpers/e2e.js';

export const E2E_BIN = process.env.OWNSTACK_E2E_BIN ?? BIN;

export interface Ran {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** When the command exited (ms since the epoch). */
  endedAt: number;
  ms: number;
}

/** `ownstack <argv>` with a clean environment plus `env`; never throws on an exit code. */
export async function run(home: string, argv: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<Ran> {
  const started = Date.now();
  const r = await execa(process.execPath, [E2E_BIN, ...argv], {
    env: cleanEnv(home, env),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: timeoutMs,
    cwd: ROOT,
  });
  const endedAt = Date.now();
  if (r.timedOut) throw new Error(`ownstack ${argv.join(' ')} timed out after ${timeoutMs} ms\n${r.stderr}`);
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), endedAt, ms: endedAt - started };
}

/** Like run(), but the command must exit 0. */
export async function must(home: string, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  const r = await run(home, argv, env);
  if (r.exitCode !== 0) throw new Error(`ownstack ${argv.join(' ')} exited ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** `--json` output of a command that must succeed. */
export async function json<T = any>(home: string, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
  const r = await must(home, [...argv, '--json'], env);
  return JSON.parse(r.stdout) as T;
}
