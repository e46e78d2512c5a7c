// A small, bounded load generator for the proxy proofs and the benchmark: `concurrency` workers
// send GETs round-robin over (proxy address, hostname) targets with the Host header, loopback
// only, until `durationMs` passes or `maxRequests` were sent. A share of the workers
// (keepAliveShare) reuse one keep-alive connection each; the others open a new connection per
// request, so both reused and new connections cross every change. Every request is recorded
// (start, end, status, body) so a test can ask "what did requests started after time T get?".
//
// Like an application's HTTP client as configured by default (Node's http.Agent, most SDKs), it
// never retries: a request that fails for any reason — a reset keep-alive connection included —
// is a failed request.
import { Agent, request } from 'node:http';

export interface LoadTarget {
  address: string;
  port: number;
  host: string;
}

export interface LoadOptions {
  targets: LoadTarget[];
  concurrency?: number;
  durationMs?: number;
  maxRequests?: number;
  /** Fraction of workers with a persistent keep-alive connection (default 0.5). */
  keepAliveShare?: number;
  path?: string;
  timeoutMs?: number;
  /**
   * Retry a GET that failed on a reused idle keep-alive connection (RFC 9112 §9.3.1), as pooling
   * clients do (default true). False: a plain client that never retries; every such failure counts.
   */
}

export interface Sample {
  /** ms since the epoch when the request was sent / answered. */
  start: number;
  end: number;
  target: number;
  status: number;
  body: string;
  error: string | null;
  keepAlive: boolean;
  /** The upstream that answered (its `x-member` response header), when it says. */
  member: string | null;
  /** True when it went out on a reused keep-alive connection. */
  reused: boolean;
}

export interface LoadResult {
  samples: Sample[];
  total: number;
  failed: Sample[];
  durationMs: number;
}

function only(address: string): void {
  if (!/^127\.\d+\.\d+\.\d+$/.test(address) && address !== '::1') throw new Error(`load targets must be loopback, not ${address}`);
}

interface Attempt {
  status: number;
  body: string;
  error: string | null;
  member: string | null;
  reused: boolean;
}

function once(t: LoadTarget, path: string, agent: Agent | false, timeoutMs: number): Promise<Attempt> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: Omit<Attempt, 'reused' | 'member'> & { member?: string | null }) => {
      if (!done) {
        done = true;
        resolve({ ...v, member: v.member ?? null, reused: req.reusedSocket });
      }
    };
    const req = request({ host: t.address, port: t.port, path, method: 'GET', headers: { host: `${t.host}:${t.port}` }, agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => finish({ status: res.statusCode ?? 0, body, error: null, member: (res.headers['x-member'] as string | undefined) ?? null }));
      res.on('error', (err) => finish({ status: 0, body, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => finish({ status: 0, body: '', error: err.code ?? err.message }));
    req.end();
  });
}

/** Starts the load; `stop()` ends it early and resolves with everything recorded. */
export function startLoad(opts: LoadOptions): { done: Promise<LoadResult>; stop(): Promise<LoadResult>; samples: Sample[] } {
  for (const t of opts.targets) only(t.address);
  const concurrency = opts.concurrency ?? 50;
  const durationMs = opts.durationMs ?? 20_000;
  const maxRequests = opts.maxRequests ?? 200_000;
  const keepAliveWorkers = Math.round(concurrency * (opts.keepAliveShare ?? 0.5));
  const path = opts.path ?? '/';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const samples: Sample[] = [];
  const started = Date.now();
  const deadline = started + durationMs;
  let sent = 0;
  let stopping = false;
  let next = 0;
  const agents: Agent[] = [];

  const worker = async (i: number) => {
    const keepAlive = i < keepAliveWorkers;
    const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : false;
    if (agent) agents.push(agent);
    while (!stopping && Date.now() < deadline && sent < maxRequests) {
      sent++;
      const target = next++ % opts.targets.length;
      const start = Date.now();
      const r = await once(opts.targets[target]!, path, agent, timeoutMs);
      samples.push({ start, end: Date.now(), target, status: r.status, body: r.body, error: r.error, keepAlive, member: r.member, reused: r.reused });
    }
  };

  const done = Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i))).then(() => {
    for (const a of agents) a.destroy();
    return summarise(samples, Date.now() - started);
  });
  return {
    done,
    samples,
    stop: () => {
      stopping = true;
      return done;
    },
  };
}

export function summarise(samples: Sample[], durationMs: number): LoadResult {
  const failed = samples.filter((s) => s.error !== null || s.status !== 200);
  return { samples, total: samples.length, failed, durationMs };
}

/** Samples of requests sent at or after `t` (ms since the epoch). */
export function sentAfter(samples: Sample[], t: number): Sample[] {
  return samples.filter((s) => s.start >= t);
}

/** Short description of failures for assertion messages. */
export function describeFailures(failed: Sample[], max = 5): string {
  return failed
    .slice(0, max)
    .map((s) => `${s.error ?? `HTTP ${s.status} ${s.body.trim().slice(0, 80)}`} (target ${s.target}, ${s.reused ? 'reused connection' : 'new connection'})`)
    .join('; ');
}
