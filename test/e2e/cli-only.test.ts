// A CLI-only install (`npm install -g ownstack --omit=optional`): the built package without the
// server-only packages (better-sqlite3, the AWS SDK) still runs every command that talks to a
// hosted control plane, and the local control plane refuses to start naming what is missing.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanEnv, ROOT } from '../helpers/e2e.js';
import { tempHome } from '../helpers/home.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; optionalDependencies?: Record<string, string> };
const serverOnly = Object.keys(pkg.optionalDependencies ?? {});

let root: string;
let home: { home: string; cleanup: () => void };
let api: Server;
let apiUrl: string;

/** The package as npm installs it with --omit=optional: bin, dist, and node_modules without the optional packages. */
function cliOnlyInstall(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ownstack-cli-only-'));
  for (const f of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  mkdirSync(join(dir, 'node_modules'));
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) {
      mkdirSync(join(dir, 'node_modules', name));
      for (const sub of readdirSync(join(ROOT, 'node_modules', name))) {
        if (serverOnly.includes(`${name}/${sub}`)) continue;
        symlinkSync(join(ROOT, 'node_modules', name, sub), join(dir, 'node_modules', name, sub));
      }
    } else if (!serverOnly.includes(name)) {
      symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name));
    }
  }
  return dir;
}

function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return execa(process.execPath, [join(root, 'bin/ownstack'), ...argv], { env: cleanEnv(home.home, env), extendEnv: false, reject: false, timeout: 60_000 });
}

beforeAll(async () => {
  assertBuilt();
  root = cliOnlyInstall();
  home = tempHome('ownstack-cli-only-home-');
  api = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(req.url === '/api/clusters' ? JSON.stringify({ clusters: [] }) : JSON.stringify({ error: { code: 'not_found', message: `no ${req.url}` } }));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise<void>((r) => api?.close(() => r()));
  home?.cleanup();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('a CLI-only install (no optional dependencies)', () => {
  it('the server-only packages are the optional ones', () => {
    expect(serverOnly.sort()).toEqual(['@aws-sdk/client-elastic-load-balancing-v2', 'better-sqlite3']);
  });

  it('runs, and talks to a hosted control plane', async () => {
    const v = await run(['--version']);
    expect(v.exitCode, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
    const list = await run(['cluster', 'list', '--json'], { OWNSTACK_API_URL: apiUrl, OWNSTACK_API_TOKEN: 'test-token' });
    expect(list.exitCode, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it('the local control plane refuses to start and names the missing package', async () => {
    const r = await run(['cluster', 'list']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('the local control plane stopped while starting');
    expect(r.stderr).toContain("Cannot find package 'better-sqlite3'");
  });
});
