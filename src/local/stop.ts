// Stopping the local control plane (`ownstack local stop`): SIGTERM, a bounded wait, then SIGKILL,
// and only for a process that is provably ours; its proxies only when asked.
import { existsSync } from 'node:fs';
import type { Clock } from '../clock.js';
import { FailedError } from '../errors.js';
import { isAlive } from '../process.js';
import { localPaths, readServerInfo, removeServerInfo, type LocalPaths } from './files.js';
import { looksLikeControlPlane, probeHealth } from './find.js';
import { withStartLock } from './lock.js';

export interface StopResult {
  was_running: boolean;
  pid: number | null;
  url: string | null;
  /** True when SIGTERM was not enough and SIGKILL ended it. */
  forced: boolean;
  /** Proxy replicas that ran before and are gone now: the server's own, and any an earlier server left. */
  stopped_proxies: number;
}

/** How long `local stop` waits after SIGTERM before SIGKILL. */
export const STOP_GRACE_MS = 20_000;

/** Stops every local proxy (its agent and its Caddy); only processes that are provably ours are signalled. */
export async function stopLocalProxies(paths: LocalPaths): Promise<number> {
  const { stopAllLocalAgents } = await import('../control-plane/runtime/local-agents.js');
  return stopAllLocalAgents(paths.dir);
}

async function waitForExit(pid: number, clock: Clock, ms: number): Promise<boolean> {
  const deadline = clock.now() + ms;
  while (isAlive(pid)) {
    if (clock.now() >= deadline) return false;
    await clock.sleep(50);
  }
  return true;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* exited meanwhile */
  }
}

/** Stops the server named by server.json: SIGTERM, wait (bounded), then SIGKILL. */
export async function stopLocalControlPlane(opts: { home: string; clock: Clock; graceMs?: number; proxies?: boolean }): Promise<StopResult> {
  const paths = localPaths(opts.home);
  const none: StopResult = { was_running: false, pid: null, url: null, forced: false, stopped_proxies: 0 };
  if (!existsSync(paths.dir)) return none;
  return withStartLock(paths, opts.clock, async () => {
    const info = readServerInfo(paths);
    let result = { ...none };
    if (info && isAlive(info.pid)) {
      const answer = await probeHealth(info.url);
      // Never signal a stranger that reused the pid of a server long gone.
      const ours = answer ? answer.pid === info.pid : looksLikeControlPlane(info.pid) !== false;
      if (ours) {
        let forced = false;
        kill(info.pid, 'SIGTERM');
        if (!(await waitForExit(info.pid, opts.clock, opts.graceMs ?? STOP_GRACE_MS))) {
          forced = true;
          kill(info.pid, 'SIGKILL');
          if (!(await waitForExit(info.pid, opts.clock, 3_000))) {
            throw new FailedError(`the local control plane (pid ${info.pid}) did not exit, even after SIGKILL`);
          }
        }
        result = { was_running: true, pid: info.pid, url: info.url, forced, stopped_proxies: 0 };
      }
    }
    removeServerInfo(paths, info?.pid);
    // The proxies outlive the control plane; taking the traffic down is asked for explicitly.
    if (opts.proxies) result.stopped_proxies = await stopLocalProxies(paths);
    return result;
  });
}
