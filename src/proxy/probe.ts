// The control plane's own health probes, made the way the proxies make theirs:
// - probeHttp: one GET with a chosen Host header and timeout; any 2xx passes and redirects within
//   the same origin are followed, like Caddy 2.6's active checks (health_uri / health_headers Host
//   / health_timeout). A redirect to another origin is not followed: it fails the probe, so an
//   upstream cannot make the control plane send requests (with its Host header) anywhere else.
// - UpstreamProber: probes every upstream address of a cluster with the cluster's health path,
//   interval and timeout (Host = the hostname, or the upstream's --host-header; a URL upstream
//   gets its own host, as its bridge sends it), with bounded concurrency, and caches the result
//   for `cluster status`. Caddy 2.6's admin API does not expose active-check results, hence a
//   probe of our own with the same path, Host and timeout.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseDuration } from '../inputs/duration.js';
import type { RenderCluster } from './types.js';

export interface ProbeResult {
  ok: boolean;
  status: number | null;
  error: string | null;
  ms: number;
}

export interface ProbeOptions {
  /** `http://host:port` or `https://host[:port]` (no path). */
  origin: string;
  path: string;
  /** Host header; default: the origin's host. */
  host?: string;
  timeoutMs: number;
  maxRedirects?: number;
}

/** One health probe: GET origin+path with the Host header, 2xx = ok, same-origin redirects followed (bounded). */
export async function probeHttp(opts: ProbeOptions): Promise<ProbeResult> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  let url = new URL(opts.path, opts.origin);
  const host: string | undefined = opts.host;
  for (let hop = 0; ; hop++) {
    const left = deadline - Date.now();
    if (left <= 0) return { ok: false, status: null, error: `timed out after ${opts.timeoutMs} ms`, ms: Date.now() - started };
    const r = await getOnce(url, host, left);
    if (r.error !== null || r.status === null) return { ok: false, status: null, error: r.error, ms: Date.now() - started };
    if (r.status >= 300 && r.status < 400 && r.location && hop < (opts.maxRedirects ?? 5)) {
      let next: URL | null = null;
      try {
        next = new URL(r.location, url);
      } catch {
        next = null;
      }
      if (next === null || next.origin !== url.origin) {
        return { ok: false, status: r.status, error: `HTTP ${r.status}: a redirect to another origin, which a health probe does not follow`, ms: Date.now() - started };
      }
      url = next;
      continue;
    }
    const ok = r.status >= 200 && r.status < 300;
    return { ok, status: r.status, error: ok ? null : `HTTP ${r.status}`, ms: Date.now() - started };
  }
}

function getOnce(url: URL, host: string | undefined, timeoutMs: number): Promise<{ status: number | null; location: string | null; error: string | null }> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (v: { status: number | null; location: string | null; error: string | null }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(v);
    };
    const https = url.protocol === 'https:';
    const headers: Record<string, string> = { 'user-agent': 'ownstack-health-probe', accept: '*/*', connection: 'close' };
    if (host) headers.host = host;
    let req: ReturnType<typeof httpRequest>;
    try {
      const options = {
        method: 'GET',
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers,
        agent: false as const,
        // SNI follows the dialled host (as in Caddy), whatever the Host header says.
        ...(https ? { servername: url.hostname } : {}),
      };
      const onResponse = (res: IncomingMessage) => {
        // The status is all we need; drain a little and close.
        res.resume();
        finish({ status: res.statusCode ?? null, location: typeof res.headers.location === 'string' ? res.headers.location : null, error: null });
        res.destroy();
      };
      req = https ? httpsRequest(options, onResponse) : httpRequest(options, onResponse);
    } catch (err) {
      finish({ status: null, location: null, error: (err as Error).message });
      return;
    }
    const timer = setTimeout(() => {
      req.destroy();
      finish({ status: null, location: null, error: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ status: null, location: null, error: err.code ?? err.message }));
    req.end();
  });
}

export type UpstreamHealth = 'healthy' | 'unhealthy' | 'unknown';

/** One thing the prober checks: an origin with a Host header. */
export interface ProbeTarget {
  key: string;
  origin: string;
  host: string;
}

/** Most (origin, Host) pairs probed per round; beyond it each origin is probed with one Host. */
export const MAX_PROBE_PAIRS = 256;

/**
 * What to probe for a cluster: every (address, Host) pair its upstreams are reached with, and a
 * lookup from (address as shown in status, hostname) to the pair that answers for it.
 */
export function probePlan(input: RenderCluster, cap = MAX_PROBE_PAIRS): { targets: ProbeTarget[]; keyOf: Map<string, string> } {
  const hostnames = input.domains.map((d) => d.hostname);
  const pairs: { address: string; hostname: string; origin: string; host: string }[] = [];
  for (const u of input.upstreams) {
    const served = u.hostname === null ? hostnames : [u.hostname];
    for (const hostname of served) {
      if (u.kind === 'url') {
        if (!u.url) continue;
        const origin = u.url.replace(/\/+$/, '');
        pairs.push({ address: u.url, hostname, origin, host: u.hostHeader ?? new URL(origin).host });
      } else {
        for (const address of new Set(u.addresses)) {
          pairs.push({ address, hostname, origin: `http://${address}`, host: u.hostHeader ?? hostname });
        }
      }
    }
  }
  const pairKey = (origin: string, host: string) => `${origin}\u0000${host}`;
  const distinct = new Set(pairs.map((p) => pairKey(p.origin, p.host)));
  const collapse = distinct.size > cap;
  const representative = new Map<string, string>();
  const targets = new Map<string, ProbeTarget>();
  const keyOf = new Map<string, string>();
  for (const p of pairs) {
    let host = p.host;
    if (collapse) {
      // Too many pairs: one Host per origin (the first one it serves), shared by every hostname.
      host = representative.get(p.origin) ?? p.host;
      representative.set(p.origin, host);
    }
    const key = pairKey(p.origin, host);
    if (!targets.has(key)) targets.set(key, { key, origin: p.origin, host });
    keyOf.set(`${p.address}\u0000${p.hostname}`, key);
  }
  return { targets: [...targets.values()], keyOf };
}

interface Verdict {
  health: UpstreamHealth;
  at: number;
  error: string | null;
}

function durationMs(value: string, fallback: number): number {
  try {
    return parseDuration(value);
  } catch {
    return fallback;
  }
}

/** Runs async jobs with at most `limit` in flight. */
async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i]!);
    }),
  );
}

/** Probes one cluster's upstreams on the cluster's health interval and keeps the verdicts. */
export class UpstreamProber {
  private targets: ProbeTarget[] = [];
  private live = new Set<string>();
  private keyOf = new Map<string, string>();
  private readonly verdicts = new Map<string, Verdict>();
  private path = '/';
  private intervalMs = 5_000;
  private timeoutMs = 2_000;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(private readonly opts: { concurrency?: number; cap?: number; onChange?: () => void } = {}) {}

  /** Takes the cluster's current upstreams and health settings (verdicts of kept targets stay). */
  update(input: RenderCluster): void {
    const plan = probePlan(input, this.opts.cap);
    this.targets = plan.targets;
    this.keyOf = plan.keyOf;
    this.path = input.health.path;
    this.intervalMs = Math.max(100, durationMs(input.health.interval, 5_000));
    this.timeoutMs = Math.max(50, durationMs(input.health.timeout, 2_000));
    this.live = new Set(this.targets.map((t) => t.key));
    for (const k of [...this.verdicts.keys()]) if (!this.live.has(k)) this.verdicts.delete(k);
    // New targets are probed now rather than after a whole interval.
    if (!this.stopped && this.targets.some((t) => !this.verdicts.has(t.key))) void this.runOnce();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      const started = Date.now();
      void this.runOnce().finally(() => {
        if (this.stopped) return;
        this.timer = setTimeout(loop, Math.max(0, this.intervalMs - (Date.now() - started)));
        this.timer.unref();
      });
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One round over every target (concurrent calls share the round in progress). */
  runOnce(): Promise<void> {
    if (this.running) return this.running;
    const round = (async () => {
      const targets = this.targets;
      let changed = false;
      await eachLimit(targets, this.opts.concurrency ?? 16, async (t) => {
        const r = await probeHttp({ origin: t.origin, path: this.path, host: t.host, timeoutMs: this.timeoutMs });
        if (this.live.has(t.key)) {
          const health = r.ok ? 'healthy' : 'unhealthy';
          const before = this.verdicts.get(t.key);
          if (before?.health !== health) changed = true;
          this.verdicts.set(t.key, { health, at: Date.now(), error: r.error });
        }
      });
      if (changed) this.opts.onChange?.();
    })();
    this.running = round.finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** The last verdict for an upstream address (app `host:port` or URL) as one hostname reaches it. */
  health(address: string, hostname: string): UpstreamHealth {
    const key = this.keyOf.get(`${address}\u0000${hostname}`);
    if (key === undefined) return 'unknown';
    return this.verdicts.get(key)?.health ?? 'unknown';
  }

  /** Each probe target (origin, Host) with its last verdict and error: at most MAX_PROBE_PAIRS. */
  report(): { origin: string; host: string; health: UpstreamHealth; error: string | null }[] {
    return this.targets.map((t) => {
      const v = this.verdicts.get(t.key);
      return { origin: t.origin, host: t.host, health: v?.health ?? 'unknown', error: v?.error ?? null };
    });
  }

  /** Probe settings in effect (for notes and tests). */
  settings(): { path: string; intervalMs: number; timeoutMs: number; targets: number } {
    return { path: this.path, intervalMs: this.intervalMs, timeoutMs: this.timeoutMs, targets: this.targets.length };
  }
}
