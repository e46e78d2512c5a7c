// `caddy validate` for a rendered Caddyfile: the only I/O in src/proxy's renderers. The
// {$VAR} placeholders are substituted by the process that adapts the file, so the env passed
// here must be the env the replica will run with (renderReplicaEnv), not the contract env.
// Note: validating provisions the config, and Caddy 2.6 may fire one active health probe at
// the listed members before it stops.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export interface CaddyBinaryOptions {
  /** The caddy executable (default: `caddy` on PATH). */
  bin?: string;
}

export interface CaddyValidation {
  ok: boolean;
  /** Caddy's combined stdout/stderr (or why it could not run). */
  output: string;
}

const VALIDATE_TIMEOUT_MS = 20_000;

/** Runs `caddy validate --adapter caddyfile` on a Caddyfile with exactly the given env. */
export async function validateCaddyfile(
  caddyfile: string,
  env: Record<string, string>,
  opts: CaddyBinaryOptions = {},
): Promise<CaddyValidation> {
  const dir = await mkdtemp(join(tmpdir(), 'ownstack-caddy-'));
  try {
    const config = join(dir, 'Caddyfile');
    await writeFile(config, caddyfile, { mode: 0o600 });
    const result = await execa(opts.bin ?? 'caddy', ['validate', '--adapter', 'caddyfile', '--config', config], {
      // Only the given env (plus PATH), and a throwaway HOME so Caddy's storage stays in dir.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, ...env },
      extendEnv: false,
      all: true,
      reject: false,
      timeout: VALIDATE_TIMEOUT_MS,
      stdin: 'ignore',
    });
    const output = result.all ?? '';
    if (result.timedOut) return { ok: false, output: `caddy validate timed out after ${VALIDATE_TIMEOUT_MS} ms\n${output}` };
    if (result.exitCode === undefined) return { ok: false, output: `could not run caddy: ${result.message}` };
    return { ok: result.exitCode === 0, output };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The installed Caddy's version (e.g. '2.6.2'), or null when it cannot be run. */
export async function caddyAvailable(opts: CaddyBinaryOptions = {}): Promise<string | null> {
  const result = await execa(opts.bin ?? 'caddy', ['version'], { reject: false, timeout: VALIDATE_TIMEOUT_MS, stdin: 'ignore' });
  if (result.exitCode !== 0) return null;
  const version = String(result.stdout).trim().split(/\s+/)[0] ?? '';
  return version === '' ? null : version.replace(/^v/, '');
}
