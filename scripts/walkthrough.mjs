#!/usr/bin/env node
// Runs the README's walkthrough exactly as written: the ```sh block between
// <!-- walkthrough:start --> and <!-- walkthrough:end --> in README.md, in a fresh HOME (and
// OWNSTACK_HOME), with `ownstack` on PATH as this checkout's bin/ownstack. Each line must exit 0
// (bash -e); afterwards the local control plane and its proxies are stopped and whatever the block
// started in the background is ended (it runs in its own process group). Exit: the block's.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The walkthrough block of a README's text (throws when the markers or the fence are missing). */
export function extractWalkthrough(readme) {
  const m = /<!-- walkthrough:start -->\s*```sh\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(readme);
  if (!m) throw new Error('README.md has no ```sh block between <!-- walkthrough:start --> and <!-- walkthrough:end -->');
  return m[1];
}

async function main() {
  const block = extractWalkthrough(readFileSync(join(root, 'README.md'), 'utf8'));
  const home = mkdtempSync(join(tmpdir(), 'ownstack-walkthrough-'));
  const bin = join(home, 'bin');
  mkdirSync(bin);
  symlinkSync(join(root, 'bin', 'ownstack'), join(bin, 'ownstack'));
  const script = join(home, 'walkthrough.sh');
  // -x: every line is echoed before it runs, so a failure names its line.
  writeFileSync(script, `set -euxo pipefail\ncd "$HOME"\n${block}`);
  const env = { ...process.env, HOME: home, OWNSTACK_HOME: join(home, '.ownstack'), PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1' };
  for (const k of ['OWNSTACK_PROFILE', 'OWNSTACK_API_URL', 'OWNSTACK_API_TOKEN', 'OWNSTACK_TOKEN']) delete env[k];
  const child = spawn('bash', [script], { env, stdio: 'inherit', detached: true });
  const code = await new Promise((r) => child.once('close', (c, signal) => r(c ?? (signal ? 128 : 1))));
  spawnSync(join(bin, 'ownstack'), ['local', 'stop', '--proxies'], { env, stdio: 'inherit' });
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    /* the group is gone already */
  }
  if (!process.env.OWNSTACK_KEEP_HOME) rmSync(home, { recursive: true, force: true });
  console.error(code === 0 ? 'walkthrough: every line exited 0' : `walkthrough: failed with exit ${code}`);
  process.exitCode = code;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
