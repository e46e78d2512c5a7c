// The control plane's settings from its environment (OWNSTACK_*): parsed in one place, with the
// variable, the value and the rule in every error.
import { parseDuration } from '../inputs/duration.js';
import { FIRST_BRIDGE_PORT, FIRST_LISTEN_PORT, BRIDGE_BLOCK } from './runtime/render.js';

/** A duration setting like `500ms`, `1s`, `1m` (undefined when unset). */
export function durationFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  try {
    return parseDuration(raw);
  } catch {
    throw new Error(`invalid ${name} "${raw}": a whole number followed by ms, s, m or h (e.g. 500ms, 1s, 1m)`);
  }
}

/** OWNSTACK_PROXY_PORT_BASE: the first local cluster's listen port (default 18080). */
export function proxyPortBaseFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.OWNSTACK_PROXY_PORT_BASE?.trim();
  if (raw === undefined || raw === '') return FIRST_LISTEN_PORT;
  const n = Number(raw);
  // Listen ports base.., bridges base+(FIRST_BRIDGE_PORT-FIRST_LISTEN_PORT)+BRIDGE_BLOCK·k: one cluster must fit.
  const max = 65536 - (FIRST_BRIDGE_PORT - FIRST_LISTEN_PORT) - BRIDGE_BLOCK;
  if (!/^\d{1,5}$/.test(raw) || n < 1024 || n > max) throw new Error(`invalid OWNSTACK_PROXY_PORT_BASE "${raw}": a port from 1024 to ${max}`);
  return n;
}

/** Default of OWNSTACK_PROXY_HEARTBEAT_TIMEOUT: three missed reports of an agent's default 5 s heartbeat. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 15_000;

/** OWNSTACK_PROXY_HEARTBEAT_TIMEOUT: how long a proxy may go without reporting before it is lost (and leaves the edge). */
export function heartbeatTimeoutFromEnv(env: NodeJS.ProcessEnv): number {
  const ms = durationFromEnv(env, 'OWNSTACK_PROXY_HEARTBEAT_TIMEOUT');
  if (ms === undefined) return DEFAULT_HEARTBEAT_TIMEOUT_MS;
  // Liveness is checked once a second; a shorter timeout would lose healthy agents between two reports.
  if (ms < 1_000) throw new Error(`invalid OWNSTACK_PROXY_HEARTBEAT_TIMEOUT "${env.OWNSTACK_PROXY_HEARTBEAT_TIMEOUT}": at least 1s (and longer than the agents' --heartbeat, 5s by default)`);
  return ms;
}
