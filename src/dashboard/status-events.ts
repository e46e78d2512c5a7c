// GET /api/clusters/:cluster/status/events: the cluster's status as server-sent events, once at
// the start and again whenever it changes (a committed change, a proxy's report, a health verdict).
// The dashboard's cluster page and `ownstack cluster status --watch` both follow this stream.
import type { ServerResponse } from 'node:http';
import type { ClusterStatus } from '../api/schemas.js';

/** What the stream needs from the control plane. */
export interface StatusStreamDeps {
  /** The status now (throws when the cluster is gone). */
  status: () => Promise<ClusterStatus>;
  /** Resolves on the next committed change or proxy report of the cluster, or after `ms`. */
  waitForChange: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Registers the stream's end for a shutdown; returns the unregister function. */
  track: (finish: (shutdown?: boolean) => void) => () => void;
}

/** The longest time between two looks at the status with nothing waking the stream. */
export const STATUS_RECHECK_MS = 5_000;
const HEARTBEAT_MS = 15_000;

/**
 * What counts as a change: everything but the proxies' report times (an agent reports every few
 * seconds; an unchanged report is not news).
 */
export function statusFingerprint(s: ClusterStatus): string {
  return JSON.stringify({ ...s, proxies: s.proxies.map((p) => ({ ...p, last_seen: null })) });
}

/** Serves the stream until the client goes, the cluster is destroyed, or the server shuts down. */
export async function streamStatus(deps: StatusStreamDeps, res: ServerResponse): Promise<void> {
  // Read once before the headers: an unknown cluster is the usual 404 body, not an empty stream.
  let status = await deps.status();
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'close', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  const stop = new AbortController();
  const finish = (shutdown = false): void => {
    if (stop.signal.aborted) return;
    stop.abort();
    untrack();
    clearInterval(heartbeat);
    res.end();
    if (shutdown) res.destroy();
  };
  const untrack = deps.track(finish);
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  res.on('close', () => finish());
  let seq = 0;
  let last = '';
  while (!stop.signal.aborted) {
    const print = statusFingerprint(status);
    if (print !== last) {
      last = print;
      res.write(`id: ${++seq}\nevent: status\ndata: ${JSON.stringify(status)}\n\n`);
    }
    await deps.waitForChange(STATUS_RECHECK_MS, stop.signal);
    if (stop.signal.aborted) break;
    try {
      status = await deps.status();
    } catch (err) {
      // The cluster went away (destroyed): say so and end the stream.
      res.write(`event: gone\ndata: ${JSON.stringify({ message: (err as Error).message })}\n\n`);
      finish();
    }
  }
}
