// The edge tier contract: one interface, one module per mode (see docs/architecture.md).

/** One record the edge holds: a DNS A/AAAA record, or for an ALB a target (`id:port`, hostname '*'). */
export interface EdgeRecord {
  hostname: string;
  type: 'A' | 'AAAA' | 'target';
  /** IP address, or for ALB the target id[:port]. */
  value: string;
}

/** What a publish/remove changed. `writes` counts write requests sent to the provider. */
export interface EdgePublishResult {
  added: EdgeRecord[];
  removed: EdgeRecord[];
  unchanged: number;
  writes: number;
  /** Provider facts worth showing (e.g. ALB targets drain for the deregistration delay). */
  notes?: string[];
}

export type EdgeMode = 'dns_rr' | 'cloudflare' | 'aws_alb' | 'none';

/** A proxy as the edge sees it: where the edge sends traffic. */
export interface EdgeProxy {
  address: string;
  port: number;
  /** Its EC2 instance id: what an aws_alb `instance` target group registers instead of the address. */
  instanceId?: string;
}

/** One target's health as reported by the provider (ALB). */
export interface EdgeTargetHealth {
  target: string;
  state: string;
  reason?: string;
}

export interface EdgeDriver {
  readonly mode: EdgeMode;
  /** Check the credentials/settings once (create-time). Throws EdgeError with a clear message when refused. */
  verify(): Promise<void>;
  /** Make the provider hold exactly `desired` for these hostnames; create/delete only the difference. */
  publish(hostnames: string[], proxies: EdgeProxy[]): Promise<EdgePublishResult>;
  /** What the provider has now for these hostnames. */
  read(hostnames: string[]): Promise<EdgeRecord[]>;
  /** Remove everything this cluster published (destroy). */
  remove(hostnames: string[]): Promise<EdgePublishResult>;
  /** Extra health information for `cluster status` (ALB target health), if any. */
  health?(): Promise<EdgeTargetHealth[]>;
  /** aws_alb: what the target group registers, IP addresses or EC2 instance ids (it never changes for a group). */
  targetType?(): Promise<'ip' | 'instance'>;
}

export type EdgeErrorKind = 'auth' | 'invalid' | 'unavailable' | 'failed';

/**
 * A refused, invalid or failed edge operation. Messages never contain secrets, nor text a provider
 * sent beyond its error codes.
 */
export class EdgeError extends Error {
  /** Set when some writes were applied before the failure; the next reconcile finishes the rest. */
  partial?: EdgePublishResult;
  constructor(
    message: string,
    readonly kind: EdgeErrorKind,
    readonly hint?: string,
    /** The edge_config key at fault, when one is. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'EdgeError';
  }
}

/** An empty result: nothing changed, nothing sent. */
export function emptyResult(unchanged = 0): EdgePublishResult {
  return { added: [], removed: [], unchanged, writes: 0 };
}
