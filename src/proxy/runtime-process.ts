// Process plumbing for the local proxy replicas: pid files, liveness, command lines, detached
// spawning with the log appended to a file, and a bounded SIGTERM → SIGKILL stop. Linux-first
// (/proc); elsewhere liveness falls back to kill(pid, 0) and adoption is refused.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAlive } from '../process.js';

/** The pid recorded in a pid file, or null. */
export function readPidFile(path: string): number | null {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

export function writePidFile(path: string, pid: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${pid}\n`, { mode: 0o600 });
}

export function removePidFile(path: string, pid?: number): void {
  if (pid !== undefined && readPidFile(path) !== pid) return;
  rmSync(path, { force: true });
}

export interface Spawned {
  pid: number;
  /** Size of the log file when the process started (its own output begins there). */
  logOffset: number;
  /** Resolves with a description ("exit code 1", "killed by SIGKILL") when the process ends. */
  exited: Promise<string>;
  /** Non-null once the process has ended. */
  exitReason(): string | null;
}

/**
 * Starts a long-running process in its own session (so a control plane killed with SIGKILL
 * leaves it serving), stdout/stderr appended to `logPath`, nothing inherited but `env`.
 */
export function spawnDetached(command: string, args: string[], opts: { env: Record<string, string>; cwd: string; logPath: string }): Spawned {
  mkdirSync(dirname(opts.logPath), { recursive: true, mode: 0o700 });
  rotateLog(opts.logPath);
  const fd = openSync(opts.logPath, 'a', 0o600);
  let logOffset = 0;
  try {
    logOffset = statSync(opts.logPath).size;
  } catch {
    /* just created */
  }
  let child;
  try {
    child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env: opts.env, cwd: opts.cwd });
  } finally {
    closeSync(fd);
  }
  let reason: string | null = null;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      reason = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve(reason);
    });
    child.once('error', (err) => {
      reason = err.message;
      resolve(reason);
    });
  });
  child.unref();
  if (child.pid === undefined) {
    // spawn failed synchronously (ENOENT arrives as an 'error' event right after).
    return { pid: -1, logOffset, exited, exitReason: () => reason ?? 'could not start the process' };
  }
  return { pid: child.pid, logOffset, exited, exitReason: () => reason };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `pid` is gone; true when it is. */
export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
  return true;
}

/** Signals a replica's process group (it was started in its own session), else the pid alone. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
    return;
  } catch {
    /* not a group leader (or gone): signal the pid itself */
  }
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/** SIGTERM (to its process group), wait up to graceMs, then SIGKILL. True when the process is gone. */
export async function terminate(pid: number, graceMs = 5_000): Promise<boolean> {
  if (!isAlive(pid)) return true;
  signal(pid, 'SIGTERM');
  if (await waitGone(pid, graceMs)) return true;
  signal(pid, 'SIGKILL');
  return waitGone(pid, 2_000);
}

/** The last `lines` lines of a log file (bounded read of its end), for error messages. */
export function tailFile(path: string, lines = 5, maxBytes = 16_384): string {
  try {
    const size = statSync(path).size;
    const start = Math.max(0, size - maxBytes);
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(size - start);
      readSync(fd, buf, 0, buf.length, start);
      return buf.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

export { writeFileAtomic } from '../atomic-file.js';

/** Moves a log aside (to `<path>.1`) once it grows past maxBytes, so replica logs stay bounded. */
export function rotateLog(path: string, maxBytes = 10 * 1024 * 1024): void {
  try {
    if (statSync(path).size > maxBytes) renameSync(path, `${path}.1`);
  } catch {
    /* no log yet */
  }
}

/** Reads a log file from `offset` (bounded), e.g. the output of one process in a shared log. */
export function readLogFrom(path: string, offset: number, maxBytes = 1024 * 1024): string {
  try {
    const size = statSync(path).size;
    if (size <= offset) return '';
    const len = Math.min(size - offset, maxBytes);
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, offset);
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** IPv4 `a.b.c.d` from /proc/net/tcp's little-endian hex (`0200007F` → 127.0.0.2). */
function procIpv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

/**
 * Socket inodes of TCP listeners on address:port (also wildcard 0.0.0.0 / :: listeners on that
 * port, which would take its connections too). Null when /proc is not available.
 */
export function listenerInodes(address: string, port: number): Set<string> | null {
  const out = new Set<string>();
  let any = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    any = true;
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A = LISTEN
      const [ipHex, portHex] = f[1]!.split(':');
      if (parseInt(portHex!, 16) !== port) continue;
      const wildcard = /^0+$/.test(ipHex!);
      if (wildcard || (ipHex!.length === 8 && procIpv4(ipHex!) === address)) out.add(f[9]!);
    }
  }
  return any ? out : null;
}

/** Socket inodes a process holds open (from /proc/<pid>/fd); empty when it cannot be read. */
export function socketInodesOf(pid: number): Set<string> {
  const out = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

/** True while `pid` holds a listening socket on address:port (null when /proc cannot tell). */
export function listensOn(pid: number, address: string, port: number): boolean | null {
  const listeners = listenerInodes(address, port);
  if (listeners === null) return null;
  if (listeners.size === 0) return false;
  for (const inode of socketInodesOf(pid)) if (listeners.has(inode)) return true;
  return false;
}
