// Server-sent events: a deploy's (the recorded events after the last one the client saw, then the
// live ones until the job finishes) and a cluster's status (now and after every change), each with a
// heartbeat and one cap on open streams.
import type { ServerResponse } from 'node:http';
import { HttpError, invalid } from '../http-error.js';
import { FINISHED_STATES } from '../../api/schemas.js';
import { streamStatus } from '../../dashboard/status-events.js';
import type { ProxyFleet } from '../runtime/fleet.js';
import type { DeployService } from '../service/deploys.js';
import type { Service } from '../service/service.js';

const SSE_HEARTBEAT_MS = 15_000;

/** A response that knows the open streams (to end them at shutdown) and their cap. */
export type EventResponse = ServerResponse & { streams: Set<(shutdown?: boolean) => void>; maxStreams: number };

/** GET …/deploys/:id/events: recorded events after `after`, then live ones until the job finishes. */
export async function streamEvents(deploys: DeployService, cluster: string, id: string, query: URLSearchParams, res: EventResponse): Promise<void> {
  const job = deploys.resolve(cluster, id);
  const afterRaw = query.get('after');
  if (afterRaw !== null && !/^\d{1,15}$/.test(afterRaw)) {
    throw invalid(`invalid after ${JSON.stringify(afterRaw)}: the last seen event seq (a whole number)`, { field: 'after', value: afterRaw, rule: 'a whole number' });
  }
  checkStreamCap(res, 'close a `--follow` or `--wait` that is no longer needed, or poll GET …/deploys/:id instead');
  let last = afterRaw === null ? 0 : Number(afterRaw);
  const log = deploys.log;
  // connection: close — the socket goes with the stream, so a shutdown never waits for it to idle out.
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'close', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  await new Promise<void>((resolve) => {
    let done = false;
    const finish = (shutdown = false): void => {
      if (done) return;
      done = true;
      unsubscribe();
      clearInterval(heartbeat);
      res.streams.delete(finish);
      res.end();
      if (shutdown) res.destroy();
      resolve();
    };
    const flush = (): void => {
      if (done) return;
      for (const e of log.events(job.id, last)) {
        res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
        last = e.seq;
      }
      const state = log.row(job.id)?.state;
      if (state === undefined || FINISHED_STATES.includes(state)) finish();
    };
    const unsubscribe = log.subscribe(job.id, flush);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    heartbeat.unref();
    res.streams.add(finish);
    // The response's close: the request's own 'close' has already fired once its (empty) body was read.
    res.on('close', () => finish());
    flush();
  });
}

/** GET …/status/events: the cluster's status now and on every change (src/dashboard/status-events.ts). */
export async function streamClusterStatus(svc: Service, deploys: DeployService, fleet: ProxyFleet | undefined, ref: string, res: EventResponse): Promise<void> {
  const id = svc.cluster(ref).id;
  checkStreamCap(res, 'close a dashboard tab or a `cluster status --watch` that is no longer needed');
  await streamStatus(
    {
      status: () => svc.clusterStatus(String(id), deploys.log),
      waitForChange: async (ms, signal) => {
        if (!fleet) return new Promise((resolve) => setTimeout(resolve, ms).unref());
        const either = new AbortController();
        const stop = () => either.abort();
        signal.addEventListener('abort', stop, { once: true });
        await Promise.race([fleet.waitForChange(id, ms, either.signal), fleet.waitForReport(id, ms, either.signal)]);
        either.abort();
        signal.removeEventListener('abort', stop);
      },
      track: (finish) => {
        res.streams.add(finish);
        return () => res.streams.delete(finish);
      },
    },
    res,
  );
}

/** Refuses one more stream past the cap (503 with Retry-After), naming what to close. */
function checkStreamCap(res: EventResponse, hint: string): void {
  if (res.streams.size < res.maxStreams) return;
  res.setHeader('retry-after', '5');
  throw new HttpError(503, {
    code: 'unavailable',
    message: `${res.streams.size} event streams are open, the most this control plane serves at once`,
    rule: `at most ${res.maxStreams} open event streams`,
    hint,
  });
}
