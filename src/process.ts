// Other processes as Linux shows them in /proc: liveness and command lines. Elsewhere (no /proc)
// liveness falls back to kill(pid, 0) and a command line cannot be read.
import { readdirSync, readFileSync } from 'node:fs';

/** True while `pid` runs. A zombie (exited, not yet reaped) counts as gone. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const dead = (path: string): boolean => {
    const stat = readFileSync(path, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
    return state === 'Z' || state === 'X';
  };
  try {
    if (!dead(`/proc/${pid}/stat`)) return true;
    // The main thread of a multi-threaded process (node, Go) turns zombie before its other threads
    // have finished exiting, and those still hold its sockets: gone only when every thread is.
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        if (!dead(`/proc/${pid}/task/${tid}/stat`)) return true;
      } catch {
        /* that thread just went away */
      }
    }
    return false;
  } catch {
    // No /proc (macOS) or it just went away: kill(0) already answered.
    return true;
  }
}

/**
 * The argv of a running process; [] when it has none (a kernel thread), null when it cannot be
 * read (no /proc, or the process is gone).
 */
export function cmdlineOf(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const argv = raw.split('\0');
    if (argv.at(-1) === '') argv.pop();
    return argv;
  } catch {
    return null;
  }
}
