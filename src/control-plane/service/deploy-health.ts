// The deploy's health gate: every address of a member must answer the cluster's health check
// (the same path, Host header and timeout the proxies use) before the member gets traffic back.
// Bounded: a fixed number of rounds, one health interval apart, each round reported.
import type { Clock } from '../../clock.js';
import type { ProbeResult } from '../../proxy/probe.js';

/** One probe of one address (`host:port`). */
export type ProbeFn = (opts: { origin: string; path: string; host?: string; timeoutMs: number }) => Promise<ProbeResult>;

export interface HealthGate {
  addresses: string[];
  path: string;
  /** Host header (the hostname the proxies probe with); absent = the address itself. */
  host?: string;
  intervalMs: number;
  timeoutMs: number;
  attempts: number;
}

export interface HealthFailure {
  address: string;
  error: string;
}

export type HealthOutcome = { ok: true; attempts: number } | { ok: false; attempts: number; failing: HealthFailure[] };

/** Probes `addresses` once each, concurrently; returns the ones that failed. */
export async function probeAll(gate: Pick<HealthGate, 'path' | 'host' | 'timeoutMs'>, addresses: string[], probe: ProbeFn): Promise<HealthFailure[]> {
  const results = await Promise.all(
    addresses.map(async (address) => {
      const r = await probe({ origin: `http://${address}`, path: gate.path, ...(gate.host ? { host: gate.host } : {}), timeoutMs: gate.timeoutMs }).catch(
        (err: Error): ProbeResult => ({ ok: false, status: null, error: err.message, ms: 0 }),
      );
      return r.ok ? null : { address, error: r.error ?? (r.status === null ? 'no answer' : `HTTP ${r.status}`) };
    }),
  );
  return results.filter((r): r is HealthFailure => r !== null);
}

/**
 * Waits until every address passed once (an address that passed is not probed again), at most
 * `attempts` rounds `intervalMs` apart. `onRound` hears about every round that left some failing.
 */
export async function waitHealthy(
  gate: HealthGate,
  deps: { clock: Clock; probe: ProbeFn; signal?: AbortSignal; onRound?: (attempt: number, failing: HealthFailure[]) => void },
): Promise<HealthOutcome> {
  let pending = [...new Set(gate.addresses)];
  let failing: HealthFailure[] = [];
  const attempts = Math.max(1, gate.attempts);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (deps.signal?.aborted) throw deps.signal.reason;
    if (pending.length === 0) return { ok: true, attempts: attempt - 1 };
    failing = await probeAll(gate, pending, deps.probe);
    if (failing.length === 0) return { ok: true, attempts: attempt };
    pending = failing.map((f) => f.address);
    deps.onRound?.(attempt, failing);
    if (attempt < attempts) await deps.clock.sleep(gate.intervalMs, deps.signal);
  }
  return { ok: false, attempts, failing };
}

/** "127.0.0.1:4002 (connection refused)" for messages. */
export function describeFailing(failing: HealthFailure[]): string {
  return failing.map((f) => `${f.address} (${humanProbeError(f.error)})`).join(', ');
}

function humanProbeError(e: string): string {
  if (e === 'ECONNREFUSED') return 'connection refused';
  if (e === 'ECONNRESET') return 'connection reset';
  return e;
}
