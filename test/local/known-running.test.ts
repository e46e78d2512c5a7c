// knownRunning: a command uses the local control plane that server.json names without a health
// request only when that pid is alive and its command line is this home's control plane
// (`<node> …/control-plane.js --home <home> …`) and the token exists. Real processes, /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPaths, writeServerInfo } from '../../src/local/files.js';
import { knownRunning } from '../../src/local/find.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function home(): string {
  const d = mkdtempSync(join(tmpdir(), 'ownstack-known-'));
  dirs.push(d);
  return d;
}

/** A process whose command line looks like the one the CLI starts: node -e <idle> <script> --home <home>. */
async function lookalike(script: string, forHome: string): Promise<number> {
  const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', script, '--home', forHome], { stdio: 'ignore' });
  children.push(c);
  await new Promise((resolve) => c.once('spawn', resolve));
  return c.pid!;
}

function record(h: string, pid: number, token: string | null) {
  const paths = localPaths(h);
  writeServerInfo(paths, { pid, url: 'http://127.0.0.1:45678', port: 45678, started_at: new Date().toISOString(), version: '0.1.0' });
  if (token !== null) writeFileSync(paths.token, token, { mode: 0o600 });
  return paths;
}

describe('knownRunning', () => {
  let h: string;
  let pid: number;
  beforeAll(async () => {
    h = home();
    pid = await lookalike('/somewhere/dist/control-plane.js', localPaths(h).home);
  });

  it("this home's control plane, alive, with a token: used as it is", () => {
    const paths = record(h, pid, 'tok');
    expect(knownRunning(paths)).toMatchObject({ url: 'http://127.0.0.1:45678', token: 'tok', started: false, info: { pid } });
  });

  it('no token yet: not used', async () => {
    const other = home();
    const own = await lookalike('/somewhere/dist/control-plane.js', localPaths(other).home);
    const paths = record(other, own, null);
    expect(knownRunning(paths)).toBeNull();
    writeFileSync(paths.token, 'tok', { mode: 0o600 });
    expect(knownRunning(paths)).not.toBeNull(); // the token was the only thing missing
  });

  it("another home's control plane (the pid's --home differs): not used", () => {
    const other = home();
    expect(knownRunning(record(other, pid, 'tok'))).toBeNull();
  });

  it('a live pid that is not a control plane (server.json outlived its server): not used', () => {
    const other = home();
    expect(knownRunning(record(other, process.pid, 'tok'))).toBeNull();
  });

  it('a pid that is gone: not used', async () => {
    const other = home();
    const gone = await lookalike('/x/control-plane.js', localPaths(other).home);
    const c = children.find((x) => x.pid === gone)!;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await exited;
    expect(knownRunning(record(other, gone, 'tok'))).toBeNull();
  });
});
