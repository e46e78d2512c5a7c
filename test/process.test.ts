// isAlive and cmdlineOf against real processes (/proc): the one liveness check and command-line
// reader the CLI, the server and the proxy agents share.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { cmdlineOf, isAlive } from '../src/process.js';

const children: number[] = [];
afterAll(() => {
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

async function waitFor(what: string, ok: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('isAlive', () => {
  it('is true for a running process and false for pids that cannot be one', () => {
    expect(isAlive(process.pid)).toBe(true);
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(isAlive(pid)).toBe(false);
  });

  it('counts a zombie (exited, not reaped by its parent) as gone', async () => {
    // The shell starts `true` in the background and becomes `sleep`, which never reaps it.
    const parent = spawn('sh', ['-c', 'true & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(parent.pid!);
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
    const zombie = Number(line.toString().trim());
    const state = () => {
      const stat = readFileSync(`/proc/${zombie}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
    };
    await waitFor('the background job to exit', () => state() === 'Z');
    expect(isAlive(zombie)).toBe(false);
    expect(isAlive(parent.pid!)).toBe(true);
  });
});

describe('cmdlineOf', () => {
  it('reads a process argv word by word, without the trailing NUL', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'a b', '--home', '/x'], { stdio: 'ignore' });
    children.push(child.pid!);
    await once(child, 'spawn');
    expect(cmdlineOf(child.pid!)).toEqual([process.execPath, '-e', 'setTimeout(() => {}, 30000)', 'a b', '--home', '/x']);
  });

  it('is null when the process does not exist', () => {
    expect(cmdlineOf(2 ** 22 + 1)).toBeNull();
  });
});
