// Smoke tests of the standalone binary (dist-binary/ownstack-linux-x64, `npm run build:binary`):
// test/e2e/smoke.test.ts run through it (OWNSTACK_E2E_BINARY: version, help on every command,
// rejected input that never reaches the network, --json that parses), plus what only the binary
// has to prove: completion from inside it, with no node on PATH, and the embedded local control
// plane (that test keeps PATH for caddy and checks through /proc that the server is the binary).
// Missing binary: the tests FAIL (CI builds it); set OWNSTACK_SKIP_BINARY=1 to skip them.
import { existsSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, cleanupHome, pidAlive, ROOT, serverInfo, waitGone } from '../helpers/e2e.js';

const BINARY = process.env.OWNSTACK_BINARY ? resolve(process.env.OWNSTACK_BINARY) : join(ROOT, 'dist-binary', 'ownstack-linux-x64');
const SKIP = process.env.OWNSTACK_SKIP_BINARY === '1';

if (!SKIP) {
  // Registered first, so it runs before the smoke tests' own set-up.
  beforeAll(() => {
    if (!existsSync(BINARY)) {
      throw new Error(`${BINARY} is missing: build it with \`npm run build:binary\`, or set OWNSTACK_SKIP_BINARY=1 to skip these tests`);
    }
    expect(statSync(BINARY).mode & 0o111).not.toBe(0);
  });
  // The smoke tests, with every `ownstack` they run being the binary.
  process.env.OWNSTACK_E2E_BINARY = BINARY;
  await import('../e2e/smoke.test.js');
}

interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A PATH without node (node and caddy share /usr/bin here, so the control plane test keeps the full PATH). */
const NO_NODE_PATH = '/usr/sbin:/sbin';

/** Runs the binary with a clean environment (by default, a PATH that holds no node). */
async function binary(home: string, argv: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<Run> {
  const r = await execa(BINARY, argv, {
    env: cleanEnv(home, { PATH: NO_NODE_PATH, ...env }),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: timeoutMs,
    cwd: tmpdir(),
    stripFinalNewline: false,
  });
  if (r.timedOut) throw new Error(`${BINARY} ${argv.join(' ')} timed out after ${timeoutMs} ms\nstderr: ${r.stderr}`);
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe.skipIf(SKIP)('the standalone binary', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'ownstack-binary-'));
  });
  afterAll(async () => {
    if (home) await cleanupHome(home);
  });

  it('answers a static completion', async () => {
    const r = await binary(home, ['__complete', 'cluster', '']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^status\b/m);
    expect(r.stdout).toMatch(/^:\d+\n$/m);
  });

  it('prints the same completion scripts as the package ships', async () => {
    const r = await binary(home, ['completion', 'bash']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(ROOT, 'completions', 'ownstack.bash'), 'utf8'));
  });

  it('runs the local control plane from inside itself', { timeout: 120_000 }, async () => {
    const cpHome = mkdtempSync(join(tmpdir(), 'ownstack-binary-cp-'));
    // The proxies need caddy from PATH (it sits next to node); /proc shows the server is the binary.
    const cp = (argv: string[]) => binary(cpHome, argv, { PATH: process.env.PATH }, 60_000);
    try {
      const started = await cp(['local', 'start']);
      expect(started.exitCode, started.stderr).toBe(0);
      const info = serverInfo(cpHome);
      expect(info).not.toBeNull();
      expect(pidAlive(info!.pid)).toBe(true);
      expect(readlinkSync(`/proc/${info!.pid}/exe`)).toBe(realpathSync(BINARY));
      // better-sqlite3's addon is unpacked into a private folder.
      expect(statSync(join(cpHome, 'binary')).mode & 0o077).toBe(0);

      const created = await cp(['cluster', 'create', 'api', '--hostname=api.example.com', '--json']);
      expect(created.exitCode, created.stderr).toBe(0);
      expect(JSON.parse(created.stdout)).toMatchObject({ name: 'api', hostnames: ['api.example.com'] });
      const status = await cp(['cluster', 'status', 'api', '--json']);
      expect(status.exitCode, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ cluster: { name: 'api' } });

      const stopped = await cp(['local', 'stop']);
      expect(stopped.exitCode, stopped.stderr).toBe(0);
      expect(await waitGone(info!.pid, 10_000)).toBe(true);
    } finally {
      await cleanupHome(cpHome);
      rmSync(cpHome, { recursive: true, force: true });
    }
  });
});
