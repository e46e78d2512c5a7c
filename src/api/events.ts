// Following a deploy job: the server-sent events of GET …/deploys/:id/events over
// ApiClient.stream, parsed and validated with the contract's deployEvent schema. A dropped
// connection is resumed with after=<last seq> (bounded retries with backoff), so no event is lost
// or repeated; the stream ends with the job's `result` event.
import { deployEvent, FINISHED_STATES, type Deploy, type DeployEvent } from './schemas.js';
import { backoffDelay, type ApiClient } from './client.js';
import type { Clock } from '../clock.js';
import { AuthError, FailedError, NotFoundError, UsageError } from '../errors.js';

/** Whether a job in `state` is over (it never changes again). */
export function isFinished(state: Deploy['state']): boolean {
  return FINISHED_STATES.includes(state);
}

/** One server-sent event as it appeared on the wire. */
export interface SseMessage {
  id: string | null;
  event: string | null;
  data: string;
}

/** Parses a text/event-stream body into messages (comments and heartbeats are skipped). */
export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  const flush = function* (final: boolean): Generator<SseMessage> {
    const blocks = buffer.split(/\r?\n\r?\n/);
    buffer = final ? '' : blocks.pop()!;
    for (const block of blocks) {
      let id: string | null = null;
      let event: string | null = null;
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line === '' || line.startsWith(':')) continue;
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
        else if (field === 'event') event = value;
      }
      if (data.length > 0) yield { id, event, data: data.join('\n') };
    }
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    yield* flush(false);
  }
  buffer += decoder.decode();
  if (buffer.trim() !== '') {
    buffer += '\n\n';
    yield* flush(true);
  }
}

export interface FollowOptions {
  cluster: string;
  id: number;
  /** Resume after this event seq (0: from the first event). */
  after?: number;
  signal?: AbortSignal;
  clock: Clock;
  /** Consecutive failed connections before giving up. Default 6. */
  maxRetries?: number;
  random?: () => number;
  /** Told about every reconnect (for a notice). */
  onRetry?: (attempt: number, error: unknown) => void;
}

/** Errors that a reconnect cannot fix. */
function permanent(err: unknown): boolean {
  return err instanceof NotFoundError || err instanceof AuthError || err instanceof UsageError;
}

/**
 * Yields the job's events in order, from `after` on, until its `result` event (or until the job
 * is finished and the stream ends). Reconnects on dropped streams; throws when the control plane
 * stays unreachable, or at once on 401/403/404.
 */
export async function* followDeployEvents(api: ApiClient, o: FollowOptions): AsyncGenerator<DeployEvent> {
  let after = o.after ?? 0;
  let failures = 0;
  const max = o.maxRetries ?? 6;
  for (;;) {
    let lastError: unknown = null;
    try {
      const res = await api.stream('deployEvents', { params: { cluster: o.cluster, id: o.id }, query: { after }, signal: o.signal });
      if (!res.body) throw new FailedError('the control plane sent an empty event stream');
      for await (const msg of parseSse(res.body as unknown as AsyncIterable<Uint8Array>)) {
        let parsed: DeployEvent;
        try {
          parsed = deployEvent.parse(JSON.parse(msg.data));
        } catch {
          throw new FailedError(`the control plane sent a deploy event that does not match the contract: ${msg.data.slice(0, 200)}`, {
            hint: 'the CLI and the control plane may be different versions',
          });
        }
        if (parsed.seq <= after) continue;
        after = parsed.seq;
        failures = 0;
        yield parsed;
        if (parsed.type === 'result') return;
      }
    } catch (err) {
      if (o.signal?.aborted) throw o.signal.reason ?? err;
      if (permanent(err) || (err instanceof FailedError && /does not match the contract/.test(err.message))) throw err;
      lastError = err;
    }
    // The stream ended (or broke) before a result event: finished without one, or the server went away.
    if (lastError === null) {
      try {
        const snap = await api.call('deployShow', { params: { cluster: o.cluster, id: o.id }, signal: o.signal });
        // The server ends a stream after the final state's events: nothing is left unread.
        if (isFinished(snap.state)) return;
      } catch (err) {
        if (o.signal?.aborted) throw o.signal.reason ?? err;
        if (permanent(err)) throw err;
        lastError = err;
      }
    }
    failures++;
    if (failures > max) throw lastError ?? new FailedError('the deploy event stream keeps ending before the job finished');
    o.onRetry?.(failures, lastError);
    await o.clock.sleep(backoffDelay(failures, o.random ?? Math.random, 250, 4_000), o.signal);
  }
}
