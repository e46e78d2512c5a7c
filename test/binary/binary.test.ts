// Smoke tests of the standalone binary (dist-binary/ownstack-linux-x64, `npm run build:binary`):
// version, help, completion, rejected input that never reaches the network, --json that parses,
// and the embedded local control plane. The binary is run directly, with no node on PATH (the
// control plane test keeps PATH for caddy and checks through /proc that the server is the binary).
// Missing binary: the tests FAIL (CI builds it); set OWNSTACK_SKIP_BINARY=1 to skip them.
import { existsSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, cleanupHome, pidAlive, ROOT, serverInfo, waitGone } from '../helpers/e2e.js';

const BINARY = process.env.OWNSTACK_BINARY ? resolve(process.env.OWNSTACK_BINARY) : join(ROOT, 'dist-binary', 'ownstack-linux-x64');
const SKIP = process.env.OWNSTACK_SKIP_BINARY === '1';
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const hasAnsi = (s: string) => /\x1b\[/.test(s);

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
    if (!existsSync(BINARY)) {
      throw new Error(`${BINARY} is missing: build it with \`npm run build:binary\`, or set OWNSTACK_SKIP_BINARY=1 to skip these tests`);
    }
    expect(statSync(BINARY).mode & 0o111).not.toBe(0);
    home = mkdtempSync(join(tmpdir(), 'ownstack-binary-'));
  });
  afterAll(async () => {
    if (home) await cleanupHome(home);
  });

  it('prints its version', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await binary(home, [flag]);
      expect(r).toEqual({ exitCode: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('prints help with examples, without ANSI when piped', async () => {
    const r = await binary(home, ['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: ownstack');
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('Exit codes:');
    expect(hasAnsi(r.stdout + r.stderr)).toBe(false);
    const cluster = await binary(home, ['cluster', '--help']);
    expect(cluster.exitCode).toBe(0);
    for (const verb of ['status', 'create', 'upstream', 'switch']) expect(cluster.stdout).toMatch(new RegExp(`^\\s+${verb}\\b`, 'm'));
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

  it('--json prints one document that parses', async () => {
    const r = await binary(home, ['profile', 'list', '--json']);
    expect(r.exitCode).toBe(0);
    const profiles = JSON.parse(r.stdout) as { name: string }[];
    expect(Array.isArray(profiles)).toBe(true);
    expect(profiles.map((p) => p.name)).toContain('local');
  });

  describe('rejected input never reaches the network', () => {
    let server: Server;
    let url: string;
    let connections = 0;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      server = createServer((s) => {
        connections++;
        sockets.add(s);
        s.destroy();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    });

    it('a URL upstream with a path: exit 2, one message, no connection', async () => {
      const env = { OWNSTACK_API_URL: url, OWNSTACK_API_TOKEN: 'binary-token' };
      const r = await binary(home, ['cluster', 'upstream', 'add', 'api', '--variant=blue', `--url=${url}/v1`], env);
      expect(r.exitCode).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/--url.*no path/s);
      await new Promise((res) => setTimeout(res, 100));
      expect(connections).toBe(0);
      // The listener is reachable: a command that does send something connects.
      const sent = await binary(home, ['cluster', 'list'], env);
      expect(sent.exitCode).not.toBe(0);
      expect(connections).toBeGreaterThan(0);
    });
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
