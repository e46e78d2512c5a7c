// Types shared by the local proxy runtime (runtime.ts) and its replica drivers (Caddy, a
// bring-your-own command). Type-only imports from the control plane: the runtime implements
// its ProxyRuntime seam.
import type { Rendered } from '../control-plane/render.js';
import type { RuntimeCluster } from '../control-plane/reconcile.js';
import type { Spawned } from './runtime-process.js';

/** One replica's fixed coordinates: its loopback address and the cluster's listen port. */
export interface ReplicaInfo {
  index: number;
  address: string;
  port: number;
}

/** What a driver is given for one cluster. */
export interface DriverContext {
  rc: RuntimeCluster;
  rendered: Rendered;
  /** The cluster folder ($OWNSTACK_HOME/local/clusters/<name>). */
  dir: string;
  /** The runtime's own copy of the rendered Caddyfile (stable while a reconcile rewrites the public one). */
  caddyfilePath: string;
  /** The control plane's environment (PATH, HOME, …) for child processes. */
  baseEnv: NodeJS.ProcessEnv;
}

/** A replica's config for one generation, ready to start with. */
export interface Prepared {
  generation: number;
}

/** How one kind of proxy process is started, replaced and recognised. */
export interface ReplicaDriver<P extends Prepared = Prepared> {
  readonly kind: 'caddy' | 'command';
  /**
   * true: a new process can listen next to the old one (SO_REUSEPORT), so a config change starts
   * the new one, waits until it serves, then retires the old one. false: stop, then start.
   */
  readonly swap: boolean;
  /** Builds the replica's config for ctx.rendered; throws when it is refused (nothing changes then). */
  prepare(ctx: DriverContext, r: ReplicaInfo): Promise<P>;
  /** Starts the process (in its own session, so it outlives a killed control plane). */
  spawn(ctx: DriverContext, r: ReplicaInfo, prepared: P): Spawned;
  /** True once the started process serves its config. */
  ready(ctx: DriverContext, r: ReplicaInfo, spawned: Spawned): Promise<boolean>;
  /** True when a live pid is this replica (adoption after a control plane restart). */
  owns(pid: number, ctx: Pick<DriverContext, 'dir'>, r: Pick<ReplicaInfo, 'index'>): boolean;
  /** The generation a live replica process runs, when the driver can tell (else null). */
  generationOf?(pid: number, ctx: Pick<DriverContext, 'dir'>, r: Pick<ReplicaInfo, 'index'>): number | null;
  /** Removes files of generations no process uses any more. */
  cleanup?(ctx: Pick<DriverContext, 'dir'>, r: Pick<ReplicaInfo, 'index'>, keep: number[]): void;
}
