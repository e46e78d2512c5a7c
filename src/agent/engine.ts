// What an agent drives to serve its cluster: Caddy with dynamic upstreams (caddy-engine.ts), or a
// bring-your-own proxy command with the contract env (command-engine.ts).
import type { AgentConfig } from '../api/agent.js';
import type { HealthOf } from '../proxy/routing.js';

/** A config the proxy did not take: it keeps serving the one before. */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
}

export interface EngineContext {
  /** Member health as this agent's probes see it. */
  health: HealthOf;
  log: (line: string) => void;
}

export interface Engine {
  readonly kind: AgentConfig['mode'];
  /** Takes over what an earlier agent left running for `config` (true when something was adopted). */
  adopt(config: AgentConfig, bridges: Record<string, number>): Promise<boolean>;
  /** Serves `config` (starting the proxy process if it is not running); RefusedError keeps the old one. */
  apply(config: AgentConfig, bridges: Record<string, number>): Promise<Record<string, number>>;
  /** Recomputes what the proxy routes to after a health verdict changed (no process change). */
  healthChanged(): void;
  /** The proxy process, or null when it is not running. */
  pid(): number | null;
  /** Resolves when a process this engine started exits. */
  exited(): Promise<string> | null;
  /** Restarts a proxy process that died, with the last applied config. */
  restart(): Promise<void>;
  /** The proxy's own version (Caddy's), when known. */
  version(): string | null;
  /** Requests in flight per upstream address (`host:port`), when the proxy can tell. */
  inFlight(): Promise<Map<string, number> | null>;
  /** Stops serving: the proxy process exits (used to take a proxy out of service on purpose). */
  stop(): Promise<void>;
  /** Releases what the agent itself holds (sockets), leaving the proxy process running. */
  detach(): Promise<void>;
}
