// Smoke tests through the built binary: version, help on every command, rejected input that
// never reaches the network, and --json output that parses.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/program.js';
import { createIO } from '../../src/output/io.js';
import { assertBuilt, cleanupHome, e2eHome, mapLimit, ownstack, okJson, ROOT } from '../helpers/e2e.js';

const version = (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string }).version;
const hasAnsi = (s: string) => /\x1b\[/.test(s);

/** Every visible command path of the real commander tree (built from the sources). */
async function commandPaths(): Promise<{ path: string[]; description: string }[]> {
  const io = createIO({ stdout: { write: () => true }, stderr: { write: () => true }, stdoutIsTTY: false, stderrIsTTY: false, stdinIsTTY: false, env: {} });
  const program = await buildProgram(() => {
    throw new Error('no command runs here');
  }, io);
  const out: { path: string[]; description: string }[] = [];
  const walk = (cmd: Command, path: string[]) => {
    for (const sub of cmd.commands) {
      if ((sub as unknown as { _hidden?: boolean })._hidden) continue;
      const p = [...path, sub.name()];
      out.push({ path: p, description: sub.description() });
      walk(sub, p);
    }
  };
  walk(program, []);
  return out;
}

let home: string;
beforeAll(() => {
  assertBuilt();
  home = e2eHome('smoke');
});
afterAll(async () => {
  await cleanupHome(home);
});

describe('the built binary', { timeout: 300_000 }, () => {
  it('prints its version', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await ownstack(home, [flag]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout.trim()).toBe(version);
      expect(r.stderr).toBe('');
    }
  });

  it('prints help with examples and exit codes, without ANSI when piped', async () => {
    const r = await ownstack(home, ['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: ownstack');
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('Exit codes:');
    for (const group of ['cluster', 'local', 'profile']) expect(r.stdout).toContain(group);
    expect(hasAnsi(r.stdout + r.stderr)).toBe(false);
  });

  it('cluster --help lists the verbs', async () => {
    const r = await ownstack(home, ['cluster', '--help']);
    expect(r.exitCode).toBe(0);
    for (const verb of ['list', 'show', 'status', 'create', 'destroy', 'domain', 'variant', 'upstream', 'switch', 'member', 'deploy', 'proxy-config']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${verb}\\b`, 'm'));
    }
  });

  it('every command has a description and an "Examples:" section in its --help', async () => {
    const commands = await commandPaths();
    expect(commands.filter((c) => !c.description.trim()).map((c) => c.path.join(' '))).toEqual([]);
    const paths = commands.map((c) => c.path);
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.map((p) => p.join(' '))).toEqual(expect.arrayContaining(['local start', 'local stop', 'local status', 'local logs', 'local app add', 'cluster switch']));
    const results = await mapLimit(paths, 3, async (p) => ({ p, r: await ownstack(home, [...p, '--help']) }));
    const missing = results.filter(({ r }) => r.exitCode !== 0 || !/\nExamples:\n {2}\$ .*\bownstack\b/.test(r.stdout)).map(({ p, r }) => `${p.join(' ')} (exit ${r.exitCode})`);
    expect(missing).toEqual([]);
    // --help never starts the local control plane.
    expect(results.some(({ r }) => r.stderr.includes('Started the local control plane'))).toBe(false);
  });

  it('an unknown command exits 2 with a suggestion', async () => {
    const r = await ownstack(home, ['cluster', 'swich']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/switch/);
  });
});

describe('rejected input never reaches the network', { timeout: 300_000 }, () => {
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

  const rejected: [string, string[], RegExp][] = [
    ['a URL with a path', ['cluster', 'upstream', 'add', 'api', '--variant=blue', '--hostname=api.example.com', '--url=https://my-rails-app.herokuapp.com/v1'], /--url.*no path/s],
    ['a URL with a query', ['cluster', 'upstream', 'add', 'api', '--variant=blue', '--url=https://x.example.com?a=1'], /--url/],
    ['a URL with a fragment', ['cluster', 'upstream', 'add', 'api', '--variant=blue', '--url=https://x.example.com#top'], /--url/],
    ['an ftp URL', ['cluster', 'upstream', 'add', 'api', '--variant=blue', '--url=ftp://files.example.com'], /--url/],
  ];
  for (const [what, argv, message] of rejected) {
    it(`rejects ${what} with exit 2 and sends nothing`, async () => {
      const before = connections;
      const r = await ownstack(home, argv, { env: { OWNSTACK_API_URL: url, OWNSTACK_API_TOKEN: 'e2e-token' } });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
      await new Promise((res) => setTimeout(res, 100));
      expect(connections).toBe(before);
    });
  }

  it('the listener is reachable, so zero connections means nothing was sent', async () => {
    const r = await ownstack(home, ['cluster', 'list'], { env: { OWNSTACK_API_URL: url, OWNSTACK_API_TOKEN: 'e2e-token' } });
    expect(r.exitCode).not.toBe(0);
    expect(connections).toBeGreaterThan(0);
  });
});

describe('--json', { timeout: 300_000 }, () => {
  it('prints exactly one JSON document on stdout', async () => {
    const status = await okJson(home, ['local', 'status']);
    expect(status).toMatchObject({ running: false, state_dir: expect.stringContaining('/local') });
    const clusters = await okJson(home, ['cluster', 'list']);
    expect(clusters).toEqual([]);
    const created = await okJson(home, ['cluster', 'create', 'api', '--hostname=api.example.com']);
    expect(created).toMatchObject({ name: 'api', hostnames: ['api.example.com'] });
    const apps = await okJson(home, ['local', 'app', 'list']);
    expect(apps).toEqual([]);
    const running = await okJson(home, ['local', 'status']);
    expect(running).toMatchObject({ running: true, clusters: 1, apps: 0 });
  });
});
