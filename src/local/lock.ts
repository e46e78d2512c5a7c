// The start lock: concurrent commands start exactly one local control plane. The first takes
// $home/local/start.lock and starts it; the others wait, then find it.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import type { Clock } from '../clock.js';
import { TimeoutError } from '../errors.js';
import { isAlive } from '../process.js';
import { ensurePrivateDir, tildify, type LocalPaths } from './files.js';

/** How long a command waits for a freshly started server to answer. */
export const START_TIMEOUT_MS = 15_000;
/** How long a command waits for another command's start to finish (covers one start). */
const LOCK_WAIT_MS = START_TIMEOUT_MS + 15_000;
/** A lock older than this is left over from a killed command, whatever its pid says. */
const LOCK_STALE_MS = LOCK_WAIT_MS + 5_000;

interface LockBody {
  pid: number;
  at: number;
  nonce: string;
}

function readLock(path: string): { body: LockBody | null; text: string; mtimeMs: number } | null {
  try {
    const text = readFileSync(path, 'utf8');
    const mtimeMs = statSync(path).mtimeMs;
    let body: LockBody | null = null;
    try {
      body = JSON.parse(text) as LockBody;
    } catch {
      body = null;
    }
    return { body, text, mtimeMs };
  } catch {
    return null;
  }
}

function lockIsStale(lock: NonNullable<ReturnType<typeof readLock>>): boolean {
  const age = Date.now() - (lock.body?.at ?? lock.mtimeMs);
  // Empty: the holder was killed between creating and writing it (or is writing it right now).
  if (!lock.body) return Date.now() - lock.mtimeMs > 2_000;
  if (!isAlive(lock.body.pid)) return true;
  return age > LOCK_STALE_MS;
}

/** Removes a stale lock; a second small lock keeps two waiters from removing a fresh one. */
function breakStaleLock(path: string): void {
  const judged = readLock(path);
  if (!judged || !lockIsStale(judged)) return;
  const breaker = `${path}.break`;
  let fd: number;
  try {
    fd = openSync(breaker, 'wx', 0o600);
  } catch {
    // Someone else is breaking it; a breaker left by a killed process is removed after 5 s.
    try {
      if (Date.now() - statSync(breaker).mtimeMs > 5_000) rmSync(breaker, { force: true });
    } catch {
      /* gone already */
    }
    return;
  }
  try {
    const again = readLock(path);
    if (again && again.text === judged.text) rmSync(path, { force: true });
  } finally {
    closeSync(fd);
    rmSync(breaker, { force: true });
  }
}

/** Runs `fn` holding `$home/local/start.lock`; waits (bounded) while another command holds it. */
export async function withStartLock<T>(paths: LocalPaths, clock: Clock, fn: () => Promise<T>): Promise<T> {
  ensurePrivateDir(paths.home);
  ensurePrivateDir(paths.dir);
  const body: LockBody = { pid: process.pid, at: Date.now(), nonce: randomBytes(8).toString('hex') };
  const text = JSON.stringify(body);
  const deadline = clock.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(paths.lock, 'wx', 0o600);
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    breakStaleLock(paths.lock);
    if (clock.now() >= deadline) {
      const holder = readLock(paths.lock)?.body?.pid;
      throw new TimeoutError(`another ownstack command${holder ? ` (pid ${holder})` : ''} has been starting the local control plane for ${Math.round(LOCK_WAIT_MS / 1000)} s`, {
        hint: `see ${tildify(paths.log)}; if no ownstack command is running, remove ${tildify(paths.lock)}`,
      });
    }
    await clock.sleep(40 + Math.floor(Math.random() * 40));
  }
  try {
    return await fn();
  } finally {
    // Release only our own lock (a waiter may have broken it if we took far too long).
    if (readLock(paths.lock)?.text === text) rmSync(paths.lock, { force: true });
  }
}
