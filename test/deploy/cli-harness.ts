// Shared pieces of the deploy CLI tests: an in-process run with a chosen signal and clock, a
// clock whose long sleeps (the --timeout) wait for the test, and a scripted deploy job served as
// the contract's snapshot + server-sent events.
import { Readable } from 'node:stream';
import { http, HttpResponse } from 'msw';
import { ApiClient } from '../../src/api/client.js';
import type { Clock } from '../../src/clock.js';
import type { Deploy, DeployEvent } from '../../src/api/schemas.js';
import { runCli } from '../../src/cli.js';
import { createIO } from '../../src/output/io.js';
import { API } from '../helpers/cli.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A clock for waits: now() starts at T and advances with short sleeps (retries, backoff), which
 * return at once; sleeps of a minute or more (the wait's time limit) wait until fireLong().
 */
export function waitClock(start = Date.parse('2026-01-15T10:00:00Z')): Clock & { fireLong(): void; longSleeps: number[] } {
  let now = start;
  const longs: (() => void)[] = [];
  const longSleeps: number[] = [];
  return {
    longSleeps,
    now: () => now,
    sleep: (ms, signal) => {
      if (ms < 60_000) {
        now += ms;
        return Promise.resolve();
      }
      longSleeps.push(ms);
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        longs.push(() => {
          now += ms;
          resolve();
        });
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    },
    fireLong: () => longs.splice(0).forEach((f) => f()),
  };
}

/** Runs `ownstack <argv>` in-process against http://cp.test, like runOwnstack, with a signal and clock of our choice. */
export async function run(argv: string[], opts: { tty?: boolean; env?: NodeJS.ProcessEnv; clock?: Clock; signal?: AbortSignal; columns?: number } = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const tty = opts.tty ?? false;
  const env: NodeJS.ProcessEnv = { OWNSTACK_API_URL: API, OWNSTACK_API_TOKEN: 'test-token', NO_COLOR: '1', ...opts.env };
  const io = createIO({
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([]),
    stdoutIsTTY: tty,
    stderrIsTTY: tty,
    stdinIsTTY: false,
    env,
    columns: opts.columns ?? 120,
  });
  const clock = opts.clock ?? waitClock();
  const code = await runCli(argv, {
    env,
    io,
    clock,
    prompt: {
      confirmName: async () => false,
      readSecret: async () => '',
    },
    signal: opts.signal ?? new AbortController().signal,
    makeClient: async (profile) => new ApiClient({ baseUrl: profile.apiUrl ?? API, token: profile.token, clock, random: () => 0.5, maxRetryMs: 10_000 }),
  });
  return { code, stdout, stderr };
}

const T = (s: number) => new Date(Date.parse('2026-01-15T10:00:00Z') + s * 1000).toISOString();

/** A job snapshot with members a, b, c (rolling). */
export function job(over: Partial<Deploy> = {}, apps = ['web-1', 'web-2', 'web-3']): Deploy {
  return {
    id: 12,
    cluster: 'api',
    strategy: 'rolling',
    state: 'queued',
    members: apps.map((app, i) => ({ app, addresses: [`127.0.0.1:${4001 + i}`], step: 'pending', started_at: null, finished_at: null, error: null })),
    skipped: [],
    error: null,
    created_at: T(0),
    finished_at: null,
    ...over,
  };
}

/** Builds the event log of a job: helpers append events with increasing seq and time. */
export function eventLog(id = 12) {
  const events: DeployEvent[] = [];
  let t = 0;
  const push = (e: Omit<DeployEvent, 'seq' | 'deploy_id' | 'at'>) => {
    t += 1;
    events.push({ seq: events.length + 1, deploy_id: id, at: T(t), ...e });
    return api;
  };
  const api = {
    events,
    state: (state: DeployEvent['state'], message = '') => push({ type: 'state', app: null, step: null, state, message }),
    step: (app: string, step: NonNullable<DeployEvent['step']>, message = '') => push({ type: 'step', app, step, state: null, message }),
    log: (app: string | null, message: string) => push({ type: 'log', app, step: null, state: null, message }),
    result: (state: DeployEvent['state'], message: string, app: string | null = null) => push({ type: 'result', app, step: null, state, message }),
    /** A member's full rolling sequence. */
    member: (app: string, lines: string[] = []) => {
      api.step(app, 'draining', `draining ${app}`);
      api.step(app, 'deploying', `running the deploy command of ${app}`);
      for (const l of lines) api.log(app, l);
      api.step(app, 'health-checking', 'waiting until healthy');
      api.step(app, 'undraining', `undraining ${app}`);
      return api.step(app, 'done', `${app} deployed in 4s`);
    },
  };
  return api;
}

export function sse(events: DeployEvent[]): string {
  return events.map((e) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
}

export interface Served {
  /** Every `after` the events endpoint was asked with. */
  afters: number[];
  aborts: number;
}

/**
 * msw handlers for one job: POST deploys → `start`, GET show/list → `final`, GET events → the
 * log after `after` (each connection may end early with `cutAt`, or hang at the end with `hang`).
 */
export function jobHandlers(o: { start: Deploy; final: Deploy; events: DeployEvent[]; cutAt?: number[]; hang?: boolean; list?: Deploy[] }) {
  const served: Served = { afters: [], aborts: 0 };
  const cuts = [...(o.cutAt ?? [])];
  const enc = new TextEncoder();
  const handlers = [
    http.post(`${API}/api/clusters/:cluster/deploys`, () => HttpResponse.json(o.start, { status: 202 })),
    http.get(`${API}/api/clusters/:cluster/deploys`, () => HttpResponse.json({ deploys: o.list ?? [o.final] })),
    http.get(`${API}/api/clusters/:cluster/deploys/:id`, () => HttpResponse.json(o.final)),
    http.post(`${API}/api/clusters/:cluster/deploys/:id/abort`, () => {
      served.aborts++;
      return HttpResponse.json({ ...o.start, state: 'running' }, { status: 202 });
    }),
    http.get(`${API}/api/clusters/:cluster/deploys/:id/events`, ({ request }) => {
      const after = Number(new URL(request.url).searchParams.get('after') ?? '0');
      served.afters.push(after);
      const cut = cuts.shift();
      const batch = o.events.filter((e) => e.seq > after && (cut === undefined || e.seq <= cut));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(enc.encode(': keep-alive\n\n'));
          controller.enqueue(enc.encode(sse(batch)));
          if (!o.hang || cut !== undefined) controller.close();
          else request.signal.addEventListener('abort', () => controller.error(new Error('aborted')));
        },
      });
      return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
    }),
  ];
  return { handlers, served };
}

/** The final snapshot of a finished rolling job of web-1..3. */
export function finished(state: Deploy['state'], steps: Deploy['members'][number]['step'][], error: string | null = null, apps = ['web-1', 'web-2', 'web-3']): Deploy {
  const d = job({ state, error, finished_at: T(60) }, apps);
  d.members = d.members.map((m, i) => ({
    ...m,
    step: steps[i]!,
    started_at: steps[i] === 'skipped' ? null : T(1 + i * 10),
    finished_at: T(5 + i * 10),
    error: steps[i] === 'failed' ? 'the deploy command exited with code 1' : steps[i] === 'skipped' ? 'not deployed: the job stopped before its turn' : null,
  }));
  return d;
}
