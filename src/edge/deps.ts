// What an edge driver needs from the outside world, injected so tests can swap it.
import { Agent, type Dispatcher } from 'undici';
import { redact } from './secrets.js';

/** The subset of fetch the drivers use; `dispatcher` carries the undici connection settings. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal; dispatcher?: Dispatcher },
) => Promise<Response>;

export interface EdgeLogger {
  debug?(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export interface EdgeDeps {
  /** Defaults to `globalThis.fetch`, looked up at call time (so msw and test doubles see it). */
  fetch?: FetchLike;
  /** Defaults to an undici Agent with connect/headers/body timeouts. */
  dispatcher?: Dispatcher;
  sleep?: (ms: number) => Promise<void>;
  /** Wall clock in milliseconds. */
  now?: () => number;
  logger?: EdgeLogger;
  /** Folder for the cluster's local files (dns.zone, dns.hosts) when dns_rr uses the zone file provider. */
  clusterDir?: string;
  /**
   * The control plane's environment: OWNSTACK_CLOUDFLARE_API_URL replaces the Cloudflare
   * API base URL when edge_config has no cloudflare_base_url (tests, or an egress proxy/gateway).
   * AWS needs no knob here: the SDK reads AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 itself.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** AWS settings that do not belong in edge_config: explicit credentials (tests), retry cap. */
  aws?: {
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    maxAttempts?: number;
    /** The target group's target type when the caller knows it already (saves a DescribeTargetGroups). */
    targetType?: 'ip' | 'instance';
  };
}

/** EdgeDeps with every default filled in and a logger that redacts the given secrets. */
export interface ResolvedEdgeDeps {
  fetch: FetchLike;
  dispatcher: () => Dispatcher;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  log: Required<EdgeLogger>;
  redact: (text: string) => string;
}

const noop = (): void => undefined;

export function resolveEdgeDeps(deps: EdgeDeps, secrets: readonly string[]): ResolvedEdgeDeps {
  const scrub = (text: string): string => redact(text, secrets);
  const logger = deps.logger;
  let agent: Dispatcher | undefined = deps.dispatcher;
  return {
    fetch: (url, init) => {
      const f = deps.fetch ?? (globalThis.fetch as unknown as FetchLike);
      return f(url, init);
    },
    dispatcher: () => {
      agent ??= new Agent({ connect: { timeout: 10_000 }, headersTimeout: 20_000, bodyTimeout: 30_000, keepAliveTimeout: 4_000 });
      return agent;
    },
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    now: deps.now ?? (() => Date.now()),
    log: {
      debug: (m) => (logger?.debug ?? noop)(scrub(m)),
      info: (m) => (logger?.info ?? noop)(scrub(m)),
      warn: (m) => (logger?.warn ?? noop)(scrub(m)),
    },
    redact: scrub,
  };
}
