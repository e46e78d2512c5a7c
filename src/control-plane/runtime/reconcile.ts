// Reconcile: make the files, the proxy runtime and the edge match the database. The database
// is the only source of truth; everything here can be re-run at any time (e.g. after a kill -9).
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../atomic-file.js';
import type { z } from 'zod';
import type { EdgeRecordView, proxyStatus } from '../../api/schemas.js';
import {
  admitProxies,
  chooseHealthyProxies,
  createEdgeDriver,
  EdgeError,
  type EdgeDeps,
  type EdgeDriver,
  type EdgeLogger,
  type EdgeProxy,
  type EdgeTargetHealth,
  type RefusedProxy,
} from '../../edge/index.js';
import { proxyAddresses, renderRow, type Rendered } from './render.js';
import { edgeConfigOf, now, type ClusterRow, type Store } from '../store/store.js';

export type ProxyStatus = z.infer<typeof proxyStatus>;

/** What a proxy runtime is told about a cluster. */
export interface RuntimeCluster {
  id: number;
  name: string;
  port: number;
  bridgeBasePort: number;
  proxyCount: number;
  generation: number;
  /** $OWNSTACK_HOME/local/clusters/<name> (Caddyfile, proxy.env). */
  dir: string;
  /** Bring-your-own proxy — the cluster's proxy app, its command (deploy_cmd) and whether it exists; null = default Caddy. */
  proxy?: { app: string; command: string | null; exists: boolean } | null;
}

/** The process side of the proxy tier (agent-runtime.ts). */
export interface ProxyRuntime {
  /** Make the proxies serve `rendered` (called after the files were written); resolves once they do. */
  apply(cluster: RuntimeCluster, rendered: Rendered): Promise<void>;
  /** After apply resolves, how long until every new request follows the new routing (cached answers expire). */
  readonly settleMs?: number;
  /** One entry per proxy. */
  status(cluster: RuntimeCluster): Promise<ProxyStatus[]>;
  /** Stop the cluster's proxies (destroy). */
  stop?(cluster: RuntimeCluster): Promise<void>;
  /** A sentence for `cluster status` (e.g. how to install Caddy), or null. */
  note?(cluster: RuntimeCluster): string | null;
  /** An upstream address's health as the proxies' probes see it (for `cluster status`). */
  upstreamHealth?(cluster: RuntimeCluster, address: string, hostname: string): 'healthy' | 'unhealthy' | 'unknown';
  /** The last probe error of an address (for refusals that name it). */
  upstreamError?(cluster: RuntimeCluster, address: string, hostname: string): string | null;
  /** After the edge was published: retire proxies the cluster no longer has (they got no traffic from it). */
  afterEdge?(cluster: RuntimeCluster): Promise<void>;
  /** Called when the control plane closes; the proxies keep serving unless stopProxies. */
  close?(opts?: { stopProxies?: boolean }): Promise<unknown>;
}

export const NO_RUNTIME_NOTE = 'the local proxy runtime is not running yet';

/** A proxy that nothing reports on: `stopped`, health unknown (for runtimes and fallbacks to fill in). */
export function blankProxyStatus(index: number, address: string, port: number, name = `proxy-${index}`): ProxyStatus {
  return {
    index,
    name,
    address,
    port,
    listen: `${address}:${port}`,
    host: null,
    state: 'stopped',
    pid: null,
    healthz: 'unknown',
    generation_applied: null,
    last_error: null,
    agent_version: null,
    caddy_version: null,
    instance_id: null,
    last_seen: null,
    lagging: false,
    edge: null,
    edge_reason: null,
    fallbacks: [],
  };
}

/** The default runtime: nothing runs; every replica reports `stopped`. */
export const noopRuntime: ProxyRuntime = {
  apply: async () => undefined,
  status: async (c) => proxyAddresses({ proxy_count: c.proxyCount, port: c.port }).map((p) => blankProxyStatus(p.index, p.address, p.port)),
  note: () => NO_RUNTIME_NOTE,
};

interface Published {
  hosts: string[];
  proxies: EdgeProxy[];
}

export interface ReconcileResult {
  /** Problems that did not undo the change (files, runtime or edge); the next reconcile retries. */
  warnings: string[];
  /** A running proxy refused the new config (it keeps the old one): the mutation must fail. */
  failed?: string[];
}

/** Serialises reconciles per cluster and remembers nothing the database does not hold. */
export class Reconciler {
  private readonly chains = new Map<number, { tail: Promise<unknown>; queued: Promise<ReconcileResult> | null }>();
  /** The last render of each cluster by its hash: a mutation hands over its "after" render. */
  private readonly renders = new Map<number, Rendered>();
  /** aws_alb target groups' target types by ARN (a group's type never changes). */
  private readonly albTargetTypes = new Map<string, 'ip' | 'instance'>();

  constructor(
    private readonly store: Store,
    readonly localDir: string,
    readonly runtime: ProxyRuntime,
    private readonly log: (line: string) => void,
    /** The control plane's environment: the edge drivers' knobs (OWNSTACK_CLOUDFLARE_API_URL, the test endpoint override). */
    readonly env: NodeJS.ProcessEnv = process.env,
    /** Wakes the agents waiting for a cluster's next generation. */
    private readonly published: (clusterId: number) => void = () => undefined,
  ) {}

  clusterDir(name: string): string {
    return join(this.localDir, 'clusters', name);
  }

  files(name: string): { caddyfile: string; env: string; zone: string } {
    const dir = this.clusterDir(name);
    return { caddyfile: join(dir, 'Caddyfile'), env: join(dir, 'proxy.env'), zone: join(dir, 'dns.zone') };
  }

  runtimeCluster(c: ClusterRow): RuntimeCluster {
    // A proxy app's command is its deploy_cmd (the agent runs it).
    const app = c.proxy_app === null ? undefined : this.store.appByName(c.proxy_app);
    const proxy = c.proxy_app === null ? null : { app: c.proxy_app, command: app?.deploy_cmd ?? null, exists: app !== undefined };
    return { id: c.id, name: c.name, port: c.port, bridgeBasePort: c.bridge_base_port, proxyCount: c.proxy_count, generation: c.generation, dir: this.clusterDir(c.name), proxy };
  }

  /** The edge driver of a cluster (throws EdgeError when its settings are incomplete). */
  edgeDriver(c: Pick<ClusterRow, 'name' | 'edge' | 'edge_config'>, extra: Partial<EdgeDeps> = {}): EdgeDriver {
    const { logger: also, ...rest } = extra;
    // An extra logger (verifyEdge keeps the driver's last warning) hears the lines server.log gets.
    const logger: EdgeLogger = {
      info: (m) => {
        this.log(`edge ${c.name}: ${m}`);
        also?.info(m);
      },
      warn: (m) => {
        this.log(`edge ${c.name}: warning: ${m}`);
        also?.warn(m);
      },
    };
    const edgeConfig = typeof c.edge_config === 'string' ? edgeConfigOf(c as ClusterRow) : (c.edge_config as Record<string, unknown>);
    const arn = c.edge === 'aws_alb' && typeof edgeConfig.alb_target_group_arn === 'string' ? edgeConfig.alb_target_group_arn : null;
    const knownType = arn === null ? undefined : this.albTargetTypes.get(arn);
    const driver = createEdgeDriver(
      { name: c.name, edge: c.edge, edge_config: edgeConfig },
      // The env carries the server's OWNSTACK_CLOUDFLARE_API_URL knob (src/edge/index.ts).
      { clusterDir: this.clusterDir(c.name), env: this.env, logger, ...(knownType ? { aws: { targetType: knownType } } : {}), ...rest },
    );
    return rememberTargetType(skipWildcards(driver), (type) => arn !== null && this.albTargetTypes.set(arn, type));
  }

  /** An aws_alb cluster's target type as last learned (null: not known yet, or another edge). */
  albTargetType(c: ClusterRow): 'ip' | 'instance' | null {
    if (c.edge !== 'aws_alb') return null;
    const arn = edgeConfigOf(c).alb_target_group_arn;
    return (typeof arn === 'string' ? this.albTargetTypes.get(arn) : undefined) ?? null;
  }

  /** Which of these proxies the cluster's edge may publish, and which it refuses (src/edge/admission.ts). */
  admission<P extends { name: string; address: string; port: number; instance_id: string | null }>(c: ClusterRow, proxies: readonly P[]): { admitted: P[]; refused: RefusedProxy[] } {
    const { admitted, refused } = admitProxies(
      proxies.map((p) => ({ name: p.name, address: p.address, port: p.port, instanceId: p.instance_id, p })),
      { cluster: c.name, mode: c.edge, allowPrivate: c.edge_allow_private_addresses === 1, albTargetType: this.albTargetType(c) },
    );
    return { admitted: admitted.map((a) => a.p), refused };
  }

  /**
   * Remembers a committed render. Valid while the cluster's rendered_hash equals its hash: every
   * change of the rows a render depends on stores the new render's hash in the same transaction.
   */
  remember(clusterId: number, rendered: Rendered): void {
    this.renders.set(clusterId, rendered);
  }

  /** The last render remembered for a cluster (the caller checks its hash against the row). */
  recall(clusterId: number): Rendered | undefined {
    return this.renders.get(clusterId);
  }

  /**
   * Reconciles one cluster. Calls are serialised per cluster; a call made while another waits
   * joins it (the waiting run reads the database when it starts, so it sees every commit so far).
   */
  reconcile(clusterId: number): Promise<ReconcileResult> {
    const chain = this.chains.get(clusterId) ?? { tail: Promise.resolve(), queued: null };
    if (chain.queued) return chain.queued;
    const run = chain.tail.then(() => {
      chain.queued = null;
      return this.reconcileNow(clusterId);
    });
    chain.queued = run;
    chain.tail = run.catch(() => undefined);
    this.chains.set(clusterId, chain);
    return run;
  }

  /**
   * One pass of the proxy → edge loop — re-reads the proxies' health and republishes the
   * edge if the healthy set changed. No re-render and no proxy apply (those retry on the periodic
   * reconcile). Serialised with the cluster's reconciles.
   */
  refreshEdge(clusterId: number): Promise<string[]> {
    const chain = this.chains.get(clusterId) ?? { tail: Promise.resolve(), queued: null };
    const run = chain.tail.then(async () => {
      const c = this.store.clusterById(clusterId);
      if (!c) return [];
      return this.reconcileEdge(c, this.store.domains(c.id).map((d) => d.hostname), this.runtimeCluster(c));
    });
    chain.tail = run.catch(() => undefined);
    this.chains.set(clusterId, chain);
    return run;
  }

  async reconcileAll(): Promise<ReconcileResult> {
    const warnings: string[] = [];
    for (const c of this.store.clusters()) {
      try {
        warnings.push(...(await this.reconcile(c.id)).warnings);
      } catch (err) {
        // One cluster whose rows cannot be rendered must not stop the others (or the control
        // plane's start): it stays as it is until a change repairs it.
        const msg = `could not reconcile cluster ${c.name}: ${(err as Error).message} (a change that fixes it, e.g. ownstack cluster update, applies)`;
        this.log(msg);
        warnings.push(msg);
      }
    }
    return { warnings };
  }

  /**
   * What a starting control plane does before it serves: every cluster's generation and files match
   * the database. The proxies and the edge follow once it serves (they reach it to get their config).
   */
  async renderAll(): Promise<string[]> {
    const warnings: string[] = [];
    for (const c of this.store.clusters()) {
      try {
        const snap = this.snapshot(c.id);
        if (snap) warnings.push(...(await this.writeFiles(snap.c, snap.rendered)));
      } catch (err) {
        // Rows stored before today's rules may not render: that cluster waits for the change that repairs it.
        warnings.push(`could not render cluster ${c.name}: ${(err as Error).message} (a change that fixes it, e.g. ownstack cluster update, applies)`);
      }
    }
    return warnings;
  }

  /** In one transaction: the cluster, its render, its generation bumped if the render changed. */
  private snapshot(clusterId: number): { c: ClusterRow; rendered: Rendered; hosts: string[] } | undefined {
    return this.store.db
      .transaction(() => {
        const c = this.store.clusterById(clusterId);
        if (!c) {
          this.renders.delete(clusterId);
          return undefined;
        }
        const cached = this.renders.get(clusterId);
        const rendered = cached !== undefined && cached.hash === c.rendered_hash ? cached : renderRow(this.store, c);
        const row = bumpGenerationIfChanged(this.store, c, rendered);
        this.renders.set(clusterId, rendered);
        return { c: row, rendered, hosts: this.store.domains(c.id).map((d) => d.hostname) };
      })
      .immediate();
  }

  /** Writes the bring-your-own proxy files (Caddyfile, proxy.env); returns warnings. */
  private async writeFiles(c: ClusterRow, rendered: Rendered): Promise<string[]> {
    const files = this.files(c.name);
    try {
      await writeIfChanged(files.caddyfile, rendered.caddyfile);
      await writeIfChanged(files.env, rendered.envFile);
      return [];
    } catch (err) {
      const msg = `could not write the proxy files of cluster ${c.name}: ${(err as Error).message}`;
      this.log(msg);
      return [`${msg} (the next reconcile retries)`];
    }
  }

  /** Waits for every queued reconcile (used on close). */
  async idle(): Promise<void> {
    await Promise.all([...this.chains.values()].map((c) => c.tail));
  }

  private async reconcileNow(clusterId: number): Promise<ReconcileResult> {
    const warnings: string[] = [];
    const failed: string[] = [];
    const snapshot = this.snapshot(clusterId);
    if (!snapshot) return { warnings };
    const { c, rendered, hosts } = snapshot;
    const fileWarnings = await this.writeFiles(c, rendered);
    if (fileWarnings.length > 0) return { warnings: fileWarnings };
    this.published(c.id);
    const rc = this.runtimeCluster(c);
    // Fewer proxies than the edge publishes (cluster update --proxy-count): take the ones that go
    // out of the edge before the runtime stops them, so no new client is sent to a proxy that stops.
    const published = parsePublished(c.edge_published);
    const kept = new Set(proxyAddresses(c).map((p) => `${p.address}:${p.port}`));
    if (c.edge !== 'none' && published !== null && published.proxies.some((p) => !kept.has(`${p.address}:${p.port}`))) {
      warnings.push(...(await this.reconcileEdge(c, hosts, rc)));
    }
    try {
      await this.runtime.apply(rc, rendered);
    } catch (err) {
      const msg = `the proxy runtime could not apply generation ${c.generation} of cluster ${c.name}: ${(err as Error).message}`;
      this.log(msg);
      warnings.push(msg);
      // Any replica that does not serve the committed generation after the apply fails the mutation,
      // whether a running one refused the config (it keeps its old one) or one could not start at all
      // (its address is taken, Caddy refused the config at load): one exit code for "not applied".
      // Other runtime problems (no Caddy, files) stay warnings.
      if ((err as Error).name === 'ProxyApplyError') failed.push(msg);
    }
    // Read again: the early publish above may have recorded a new set.
    warnings.push(...(await this.reconcileEdge(this.store.clusterById(c.id) ?? c, hosts, rc)));
    await this.runtime.afterEdge?.(rc).catch((err: Error) => warnings.push(`could not retire a proxy of cluster ${c.name}: ${err.message}`));
    return { warnings, failed };
  }

  /** Publishes the edge records when the hostnames or the healthy proxies changed (or the last try failed). */
  private async reconcileEdge(c: ClusterRow, hosts: string[], rc: RuntimeCluster): Promise<string[]> {
    if (c.edge === 'none') return [];
    const warnings: string[] = [];
    const statuses = await this.runtime.status(rc).catch(() => [] as ProxyStatus[]);
    const all = statuses.length > 0 ? statuses : noopStatuses(rc);
    const last = parsePublished(c.edge_published);
    // aws_alb: an instance target group registers instance ids, an ip group addresses: ask once.
    if (c.edge === 'aws_alb' && this.albTargetType(c) === null) {
      try {
        await this.edgeDriver(c).targetType?.();
      } catch (err) {
        return [...warnings, this.edgeFailed(c, err)];
      }
    }
    // What the edge may publish at all: cloudflare and aws_alb refuse private addresses unless allowed.
    const { admitted, refused } = this.admission(c, all);
    for (const r of refused) warnings.push(`edge of cluster ${c.name}: ${refusedLine(c, r)}`);
    if (admitted.length === 0 && refused.length > 0) {
      // Publishing nothing would take every hostname down: the edge keeps what it has.
      warnings.push(`edge of cluster ${c.name}: ${nothingPublishable(c, last?.proxies ?? [])}`);
      return warnings;
    }
    // A replica is dropped only when its health check fails; unknown (no runtime yet) is kept.
    const chosen = chooseHealthyProxies(
      // A restarted replica reports `starting` for one health interval before it rejoins.
      admitted.map((p) => ({
        address: p.address,
        port: p.port,
        ...(this.albTargetType(c) === 'instance' && p.instance_id ? { instanceId: p.instance_id } : {}),
        healthy: p.healthz !== 'failing' && p.state !== 'starting',
      })),
      last?.proxies ?? null,
    );
    if (chosen.warning) warnings.push(`edge of cluster ${c.name}: ${chosen.warning}`);
    // A wildcard hostname is not published (and must not stop the others from being published).
    const { publish: edgeHosts, skipped } = edgeHostnames(c.edge, hosts);
    if (skipped.length > 0) warnings.push(wildcardWarning(c, skipped));
    const want: Published = { hosts: [...edgeHosts].sort(), proxies: chosen.proxies };
    if (last && c.edge_error === null && JSON.stringify(last) === JSON.stringify(want)) return warnings;
    try {
      const driver = this.edgeDriver(c);
      const kept = new Set(want.hosts);
      const gone = (last?.hosts ?? []).filter((h) => !kept.has(h));
      if (gone.length > 0) await driver.remove(gone);
      if (want.proxies.length > 0) await driver.publish(want.hosts, want.proxies);
      this.store.run('UPDATE clusters SET edge_published = ?, edge_error = NULL, edge_reconciled_at = ? WHERE id = ?', JSON.stringify(want), now(), c.id);
    } catch (err) {
      warnings.push(this.edgeFailed(c, err));
    }
    return warnings;
  }

  /** Records a failed edge update (status shows it; the next reconcile retries); returns the warning. */
  private edgeFailed(c: ClusterRow, err: unknown): string {
    const msg = err instanceof EdgeError ? `${err.message}${err.hint ? ` (${err.hint})` : ''}` : (err as Error).message;
    this.store.run('UPDATE clusters SET edge_error = ? WHERE id = ?', msg, c.id);
    this.log(`edge ${c.name}: ${msg}`);
    return `the ${c.edge} edge of cluster ${c.name} was not updated: ${msg} (the next reconcile retries)`;
  }

  /** What the edge holds now for a cluster (status); errors are returned, not thrown. */
  async edgeRecords(c: ClusterRow): Promise<{ records: EdgeRecordView[]; error: string | null; health?: EdgeTargetHealth[] }> {
    if (c.edge === 'none') return { records: [], error: null };
    try {
      const hosts = this.store.domains(c.id).map((d) => d.hostname);
      const driver = this.edgeDriver(c);
      const records = await driver.read(hosts);
      // Provider-side target health (aws_alb: DescribeTargetHealth, draining targets included).
      const health = driver.health ? await driver.health() : undefined;
      return { records: records.map((r) => ({ hostname: r.hostname, type: r.type, value: r.value })), error: null, ...(health ? { health } : {}) };
    } catch (err) {
      return { records: [], error: (err as Error).message };
    }
  }

  /**
   * Removes what a destroyed cluster left behind: its replicas and its folder. Serialised with the
   * cluster's reconciles: one still running (writing files, starting a proxy) finishes first, so
   * nothing writes into the folder while it is removed, and a later one finds no cluster.
   */
  teardown(c: ClusterRow): Promise<void> {
    const chain = this.chains.get(c.id) ?? { tail: Promise.resolve(), queued: null };
    const run = chain.tail.then(async () => {
      await this.runtime.stop?.(this.runtimeCluster(c));
      await rm(this.clusterDir(c.name), { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
      this.renders.delete(c.id);
    });
    chain.tail = run.catch(() => undefined);
    chain.queued = null;
    this.chains.set(c.id, chain);
    return run;
  }
}

/**
 * The hostnames the edge publishes records for. dns_rr and cloudflare publish one record
 * set per plain hostname; a wildcard (`*.example.com`) is skipped: the operator points it at the
 * proxies (the zone file provider's dns.hosts and the drivers' name checks take plain names only).
 * aws_alb ignores hostnames (its listener rules route by host).
 */
export function edgeHostnames(mode: ClusterRow['edge'], hosts: string[]): { publish: string[]; skipped: string[] } {
  if (mode !== 'dns_rr' && mode !== 'cloudflare') return { publish: hosts, skipped: [] };
  return { publish: hosts.filter((h) => !h.startsWith('*.')), skipped: hosts.filter((h) => h.startsWith('*.')) };
}

/** The driver with wildcard hostnames left out of publish/read/remove (so destroy and status work with them). */
function skipWildcards(driver: EdgeDriver): EdgeDriver {
  const plain = (hosts: string[]): string[] => edgeHostnames(driver.mode, hosts).publish;
  return {
    mode: driver.mode,
    verify: () => driver.verify(),
    publish: (hosts, proxies) => driver.publish(plain(hosts), proxies),
    read: (hosts) => driver.read(plain(hosts)),
    remove: (hosts) => driver.remove(plain(hosts)),
    ...(driver.health ? { health: () => driver.health!() } : {}),
    ...(driver.targetType ? { targetType: () => driver.targetType!() } : {}),
  };
}

/** The line that names a proxy the edge refuses, the rule and the fix. */
export function refusedLine(c: Pick<ClusterRow, 'edge'>, r: RefusedProxy): string {
  return `proxy ${r.name} (${r.address}:${r.port}) is not published by the ${c.edge} edge: ${r.reason}`;
}

/** Why the edge keeps its records when every proxy is refused. */
export function nothingPublishable(c: Pick<ClusterRow, 'edge'>, kept: readonly EdgeProxy[]): string {
  const what = kept.length > 0 ? `the ${kept.map((p) => `${p.instanceId ?? p.address}:${p.port}`).join(', ')} published before` : 'nothing (no proxy was ever published)';
  return `no proxy can be published by the ${c.edge} edge (each is refused, see above): it keeps ${what} instead of publishing none`;
}

/** The driver, telling `learn` the aws_alb target type whenever it is known (after verify or a lookup). */
function rememberTargetType(driver: EdgeDriver, learn: (type: 'ip' | 'instance') => void): EdgeDriver {
  if (!driver.targetType) return driver;
  const targetType = driver.targetType.bind(driver);
  return {
    ...driver,
    // verify() read the group: its type is known to the driver without another request.
    verify: async () => {
      await driver.verify();
      learn(await targetType());
    },
    targetType: async () => {
      const type = await targetType();
      learn(type);
      return type;
    },
  };
}

export function wildcardWarning(c: Pick<ClusterRow, 'name' | 'edge'>, skipped: string[]): string {
  return `the ${c.edge} edge of cluster ${c.name} does not publish wildcard hostnames (${skipped.join(', ')}): create ${skipped.length === 1 ? 'that record' : 'those records'} yourself, pointing at the proxies`;
}

/** In the caller's transaction: records the render's hash and bumps the generation when it changed. */
export function bumpGenerationIfChanged(store: Store, c: ClusterRow, rendered: Rendered): ClusterRow {
  if (c.rendered_hash === rendered.hash) return c;
  const generation = c.generation + 1;
  store.run('UPDATE clusters SET generation = ?, rendered_hash = ? WHERE id = ?', generation, rendered.hash, c.id);
  return { ...c, generation, rendered_hash: rendered.hash };
}

function noopStatuses(rc: RuntimeCluster): ProxyStatus[] {
  return proxyAddresses({ proxy_count: rc.proxyCount, port: rc.port }).map((p) => blankProxyStatus(p.index, p.address, p.port));
}

function parsePublished(json: string | null): Published | null {
  if (json === null) return null;
  try {
    return JSON.parse(json) as Published;
  } catch {
    return null;
  }
}

/** Writes a file atomically (temp file in the same folder, fsync, rename) unless it already holds `data`. */
export async function writeIfChanged(path: string, data: string): Promise<boolean> {
  try {
    if ((await readFile(path, 'utf8')) === data) return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await writeFileAtomic(path, data);
  return true;
}

export { writeFileAtomic };
