// Facts about another process on this machine, read from /proc where there is one: whether it
// runs, and its command line. Shared by the proxy replicas, the agents and the local control plane.
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

/** The argv of a running process (from /proc), or null when it cannot be read. */
export function cmdlineOf(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const argv = raw.split('\0');
    if (argv.at(-1) === '') argv.pop();
    return argv.length > 0 ? argv : null;
  } catch {
    return null;
  }
}
