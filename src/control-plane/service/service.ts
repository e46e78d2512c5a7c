// One function per API operation. Every mutation is one SQLite transaction that also renders
// the cluster before and after, so the plan, the refusal checks and the generation bump all see
// exactly the committed state; a dry run computes the same plan and rolls the transaction back.
import type { z } from 'zod';
import type * as s from '../../api/schemas.js';
import { checkHostname, envNameForHostname, findEnvNameCollision, MAX_HOSTNAMES_PER_CLUSTER, MAX_UPSTREAMS_PER_CLUSTER, parseDuration } from '../../inputs/index.js';
import { secretFieldsOf } from '../../inputs/parse.js';
import { isSecretPath } from '../../inputs/secret.js';
import { ALLOWS_PRIVATE, clusterUpdateRequest, privateOnlyRule } from '../../api/requests.js';
import type { Db } from '../store/db.js';
import { conflict, HttpError, invalid, notFound } from '../http-error.js';
import type { AgentConfig } from '../../api/agent.js';
import { exportCluster } from './cluster-apply.js';
import type { DeployLog } from './deploys.js';
import { verifyEdge } from './edge-verify.js';
import { agentConfigOf, clusterStatus, proxyConfig } from './status.js';
import { buildPlan, hostnamesLosingTraffic, listNames, snapshot, unrenderedSnapshot, type Snapshot } from './plan.js';
import { bumpGenerationIfChanged, type Reconciler } from '../runtime/reconcile.js';
import { BRIDGE_BLOCK, FIRST_BRIDGE_PORT, FIRST_LISTEN_PORT, MAX_LOCAL_CLUSTERS, proxyAddresses, type Rendered } from '../runtime/render.js';
import { edgeConfigOf, now, parseList, type ClusterRow, type Store, type UpstreamRow } from '../store/store.js';
import type { HealthGate } from './health-gate.js';

type Out<T extends z.ZodType> = z.output<T>;

/** What an operation returns: the response body and the clusters whose files must be reconciled. */
export interface Outcome<T> {
  body: T;
  reconcile: number[];
}

export interface Mutation<T> {
  result: T;
  plan: s.Plan;
}

class Rollback<T> {
  constructor(readonly value: T) {}
}

export class Service {
  readonly db: Db;

  /** `listenBase` moves every local cluster's ports (OWNSTACK_PROXY_PORT_BASE; default FIRST_LISTEN_PORT). */
  constructor(
    readonly store: Store,
    /** Brings files, proxies and the edge to the committed state; keeps the last committed render. */
    readonly reconciler: Reconciler,
    private readonly opts: { listenBase?: number } = {},
  ) {
    this.db = store.db;
  }

  /** The health gate of routing changes (null: nothing probes the upstreams, nothing is gated). */
  gate: HealthGate | null = null;

  /** Before a gated change: probes what no proxy has a verdict on yet (see health-gate.ts). */
  async prepareGate(ref: string): Promise<void> {
    if (!this.gate) return;
    const c = this.store.cluster(ref);
    await this.gate.prepare(c, this.store.renderCluster(c));
  }

  /** The mutate() check of a change that may not take the last healthy upstream from a served hostname. */
  private healthCheck(c: ClusterRow, o: { force: boolean; dryRun: boolean; what: string; field: string; value: string }): (before: Snapshot, after: Snapshot) => string[] {
    return (before, after) => this.gate?.check(c, before, after, o) ?? [];
  }

  /** Bumps the generation when the render changed and hands the render to the reconciler (it reuses it). */
  commitRender(c: ClusterRow, rendered: Rendered): ClusterRow {
    const row = bumpGenerationIfChanged(this.store, c, rendered);
    this.reconciler.remember(c.id, rendered);
    return row;
  }

  /** The last committed render of a cluster, if remembered (used only when its hash is the row's). */
  recallRender(clusterId: number): Rendered | undefined {
    return this.reconciler.recall(clusterId);
  }

  /**
   * Runs a mutation in one transaction, then reconciles the clusters its outcome names. A plan in
   * the body gets the reconcile's warnings. A proxy that refused the new config (it keeps serving
   * the old one) is a 500 `failed` naming the saved response: the change is saved but did not take effect.
   */
  async commit<R extends { outcome?: Outcome<unknown> }>(work: () => R): Promise<R> {
    const result = this.tx(work);
    const outcome = result.outcome;
    if (outcome === undefined) return result;
    const warnings: string[] = [];
    const failed: string[] = [];
    for (const id of new Set(outcome.reconcile)) {
      const r = await this.reconciler.reconcile(id);
      warnings.push(...r.warnings);
      failed.push(...(r.failed ?? []));
    }
    const plan = (outcome.body as { plan?: { warnings: string[] } } | null)?.plan;
    if (plan && warnings.length > 0) plan.warnings.push(...warnings);
    if (failed.length > 0) {
      throw new HttpError(500, {
        code: 'failed',
        message: `the change was saved, but the proxies did not apply it: ${failed.join('; ')}`,
        hint: 'a proxy that refused keeps serving its previous config; see `ownstack cluster status` (last_error), fix the cause, then retry: any later change, or the periodic reconcile within a minute, applies the current config',
        details: { saved: true, response: outcome.body },
      });
    }
    return result;
  }

  /** Runs `fn` in one BEGIN IMMEDIATE transaction (a savepoint when already inside one). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /**
   * The frame of every routing mutation: snapshot, change, snapshot, checks, plan; then either
   * roll back (dry run) or bump the generation and commit.
   */
  private mutate<T>(
    c: ClusterRow,
    dryRun: boolean,
    change: () => { result: T; warnings?: string[]; settings?: s.Plan['settings'] },
    check?: (before: Snapshot, after: Snapshot) => string[],
  ): Outcome<Mutation<T>> {
    try {
      const body = this.tx(() => {
        const current = this.store.clusterById(c.id) ?? c;
        let before: Snapshot;
        const unrendered: string[] = [];
        try {
          before = snapshot(this.store, current, this.recallRender(c.id));
        } catch (err) {
          // Rows that cannot be rendered must not block the change that repairs them.
          before = unrenderedSnapshot(this.store, current);
          unrendered.push(`the previous config of cluster ${c.name} could not be rendered (${(err as Error).message}); the plan compares with an empty one`);
        }
        const { result, warnings = [], settings } = change();
        const row = this.store.clusterById(c.id)!;
        const after = snapshot(this.store, row);
        const more = check?.(before, after) ?? [];
        const plan = buildPlan(c.name, before, after, !dryRun, [...unrendered, ...warnings, ...more]);
        if (settings !== undefined) plan.settings = settings;
        if (dryRun) throw new Rollback({ result, plan });
        this.commitRender(row, after.rendered);
        this.store.touchCluster(c.id);
        return { result, plan };
      });
      return { body, reconcile: [c.id] };
    } catch (err) {
      if (err instanceof Rollback) return { body: err.value as Mutation<T>, reconcile: [] };
      throw err;
    }
  }

  // ---------- clusters ----------
  /** The cluster a reference names (404 with suggestions otherwise). */
  cluster(ref: string): ClusterRow {
    return this.store.cluster(ref);
  }

  /** The cluster with this id, or undefined once it is destroyed. */
  clusterById(id: number): ClusterRow | undefined {
    return this.store.clusterById(id);
  }

  /** The cluster as one export document, read in one transaction (one consistent moment). */
  clusterExport(ref: string): Outcome<s.ClusterExport> {
    return { body: this.db.transaction(() => exportCluster(this.store, this.store.cluster(ref)))(), reconcile: [] };
  }

  /** `cluster status`: the stored topology plus what the runtime and the edge report now. */
  clusterStatus(ref: string, deploys: DeployLog): Promise<s.ClusterStatus> {
    return clusterStatus(this.store, this.reconciler, deploys, this.store.cluster(ref));
  }

  /** The rendered proxy config of a cluster. */
  proxyConfig(ref: string): s.ProxyConfig {
    return proxyConfig(this.store, this.reconciler, this.store.cluster(ref));
  }

  /** What an agent of the cluster runs: the config of its current generation. */
  agentConfig(c: ClusterRow): AgentConfig {
    return agentConfigOf(this.store, this.reconciler, c);
  }

  clusterList(): Outcome<Out<typeof s.clusterList>> {
    return { body: { clusters: this.store.clusters().map((c) => this.store.toCluster(c)) }, reconcile: [] };
  }

  clusterShow(ref: string): Outcome<s.ClusterDetail> {
    const c = this.store.cluster(ref);
    return {
      body: {
        cluster: this.store.toCluster(c),
        domains: this.store.domains(c.id).map((d) => this.store.toDomain(c, d)),
        variants: this.store.variants(c.id).map((v) => this.store.toVariant(c, v)),
        upstreams: this.store.upstreams(c.id).map((u) => this.store.toUpstream(c, u)),
        members: this.store.members(c),
      },
      reconcile: [],
    };
  }

  /** Refuses a cluster name that is taken (checked before the edge is verified, and again in the transaction). */
  assertClusterNameFree(name: string): void {
    if (this.store.clusterByName(name)) throw conflict(`cluster ${name} already exists`, { field: 'name', value: name, hint: 'pick another name or destroy the existing cluster first' });
  }

  /** What a create checks before its transaction: the name is free and the provider accepts the edge settings. */
  async clusterCreateCheck(input: Out<typeof s.clusterCreateRequest>): Promise<void> {
    this.assertClusterNameFree(input.name);
    await verifyEdge(this.reconciler, input);
  }

  clusterCreate(input: Out<typeof s.clusterCreateRequest>): Outcome<s.Cluster> {
    const id = this.tx(() => {
      const c = this.insertCluster(input);
      const byEnv = new Map<string, string>();
      input.hostnames.forEach((hostname, i) => this.insertDomain(c, hostname, `hostnames.${i}`, byEnv));
      this.commitRender(c, snapshot(this.store, c).rendered);
      return c.id;
    });
    return { body: this.store.toCluster(this.store.clusterById(id)!), reconcile: [id] };
  }

  /**
   * The edge settings a cluster update would store (the stored ones with the new values), or null
   * when it changes none. A setting that does not belong to the cluster's edge is a 409: the
   * request is valid, the cluster is not of that kind.
   */
  edgeUpdate(c: ClusterRow, input: Out<typeof s.clusterUpdateRequest>): { name: string; edge: ClusterRow['edge']; edge_config: Record<string, string> } | null {
    const given = Object.fromEntries(Object.entries(input.edge_config ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const keys = Object.keys(given);
    if (keys.length === 0) return null;
    const stored = edgeConfigOf(c);
    const provider = c.edge === 'dns_rr' ? (stored.dns_provider ?? 'zonefile') : null;
    const mode = provider === null ? `edge ${c.edge}` : `edge dns_rr with dns_provider ${provider}`;
    for (const key of keys) {
      const wants = key === 'cloudflare_api_token' ? 'edge cloudflare' : 'edge dns_rr with dns_provider rfc2136';
      const fits = key === 'cloudflare_api_token' ? c.edge === 'cloudflare' : provider === 'rfc2136';
      if (!fits) {
        throw conflict(`cluster ${c.name} uses ${mode}: ${key} applies only to ${wants}`, {
          field: `edge_config.${key}`,
          rule: "an update may change only the settings of the cluster's own edge mode",
          hint: `see the cluster's edge with \`ownstack cluster show ${c.name}\`; a different edge needs a new cluster`,
        });
      }
    }
    return { name: c.name, edge: c.edge, edge_config: { ...stored, ...given } };
  }

  /** New edge credentials are checked with the provider before the update's transaction, as at create (dry runs too). */
  async clusterUpdateCheck(ref: string, input: Out<typeof s.clusterUpdateRequest>): Promise<void> {
    const edge = this.edgeUpdate(this.store.cluster(ref), input);
    if (edge) await verifyEdge(this.reconciler, edge);
  }

  /** Changes what `create` set that can change safely: health settings, proxy count, edge credentials. */
  clusterUpdate(ref: string, input: Out<typeof s.clusterUpdateRequest>): Outcome<Mutation<s.Cluster>> {
    const c = this.store.cluster(ref);
    const edge = this.edgeUpdate(c, input);
    const health = {
      path: input.health?.path ?? c.health_path,
      interval: input.health?.interval ?? c.health_interval,
      timeout: input.health?.timeout ?? c.health_timeout,
    };
    if (parseDuration(health.timeout) >= parseDuration(health.interval)) {
      const field = input.health?.timeout !== undefined ? 'health.timeout' : 'health.interval';
      throw conflict(`the health timeout (${health.timeout}) must stay shorter than the interval (${health.interval}) of cluster ${c.name}`, {
        field,
        value: field === 'health.timeout' ? health.timeout : health.interval,
        rule: 'the health timeout must be shorter than the interval',
        hint: 'change both together (--health-interval and --health-timeout)',
      });
    }
    const proxyCount = input.proxy_count ?? c.proxy_count;
    const allowPrivate = input.edge_allow_private_addresses ?? c.edge_allow_private_addresses === 1;
    if (input.edge_allow_private_addresses === true && !ALLOWS_PRIVATE.includes(c.edge)) {
      throw conflict(`cluster ${c.name} uses edge ${c.edge}: edge_allow_private_addresses ${privateOnlyRule(c.edge)}`, {
        field: 'edge_allow_private_addresses',
        value: 'true',
        rule: 'edge_allow_private_addresses applies to edge cloudflare or aws_alb',
        hint: `see the cluster's edge with \`ownstack cluster show ${c.name}\``,
      });
    }
    const stored = edgeConfigOf(c);
    const settings: NonNullable<s.Plan['settings']> = [];
    const note = (name: string, before: string | null, after: string | null, secret = false) => {
      if (before === after) return;
      settings.push(secret ? { name, before: before === null ? null : '(hidden)', after: '(changed)' } : { name, before, after });
    };
    note('health.path', c.health_path, health.path);
    note('health.interval', c.health_interval, health.interval);
    note('health.timeout', c.health_timeout, health.timeout);
    note('proxy_count', String(c.proxy_count), String(proxyCount));
    note('edge_allow_private_addresses', String(c.edge_allow_private_addresses === 1), String(allowPrivate));
    // A secret field (marked where its schema is defined) shows only that it changed.
    const secrets = secretFieldsOf(clusterUpdateRequest);
    for (const [key, value] of Object.entries(edge?.edge_config ?? {})) note(`edge_config.${key}`, stored[key] ?? null, value, isSecretPath(['edge_config', key], secrets));
    const warnings: string[] = [];
    if (proxyCount < c.proxy_count) {
      const gone = proxyAddresses({ proxy_count: c.proxy_count, port: c.port }).slice(proxyCount);
      warnings.push(`${input.dry_run ? 'would stop' : 'stops'} ${gone.map((p) => `${p.address}:${p.port}`).join(', ')} after taking ${gone.length === 1 ? 'it' : 'them'} out of the edge; clients connected there reconnect to the other proxies`);
    }
    const edgeChanged = edge !== null && settings.some((x) => x.name.startsWith('edge_config.'));
    const out = this.mutate(c, input.dry_run, () => {
      this.store.run(
        `UPDATE clusters SET health_path = ?, health_interval = ?, health_timeout = ?, proxy_count = ?, edge_config = ?, edge_allow_private_addresses = ?,
           edge_published = CASE WHEN ? THEN NULL ELSE edge_published END, edge_error = CASE WHEN ? THEN NULL ELSE edge_error END WHERE id = ?`,
        health.path,
        health.interval,
        health.timeout,
        proxyCount,
        JSON.stringify(edge?.edge_config ?? stored),
        allowPrivate ? 1 : 0,
        // New credentials or server: the next reconcile publishes again (and so proves they work).
        edgeChanged ? 1 : 0,
        edgeChanged ? 1 : 0,
        c.id,
      );
      return { result: this.store.toCluster(this.store.clusterById(c.id)!), warnings, settings };
    });
    // Applied: the cluster as committed, with the generation the new render gave it.
    if (!input.dry_run) out.body.result = this.store.toCluster(this.store.clusterById(c.id)!);
    return out;
  }

  /** In the caller's transaction: the cluster's row (ports allocated), without hostnames and not rendered yet. */
  insertCluster(input: Omit<Out<typeof s.clusterCreateRequest>, 'hostnames'>): ClusterRow {
    this.assertClusterNameFree(input.name);
    // The same layout as FIRST_LISTEN_PORT / FIRST_BRIDGE_PORT, shifted by the configured base.
    const listenBase = this.opts.listenBase ?? FIRST_LISTEN_PORT;
    const bridgeBase = listenBase + (FIRST_BRIDGE_PORT - FIRST_LISTEN_PORT);
    const maxClusters = this.opts.listenBase === undefined ? MAX_LOCAL_CLUSTERS : Math.min(MAX_LOCAL_CLUSTERS, Math.floor((65536 - bridgeBase) / BRIDGE_BLOCK));
    const used = new Set(this.store.clusters().map((c) => c.port));
    const usedBridges = new Set(this.store.clusters().map((c) => c.bridge_base_port));
    let slot = 0;
    while (used.has(listenBase + slot) || usedBridges.has(bridgeBase + BRIDGE_BLOCK * slot)) slot++;
    if (slot >= maxClusters) throw conflict(`the local control plane holds at most ${maxClusters} clusters`, { hint: 'destroy a cluster you no longer need' });
    // clusterCreateRequest (the only way in) has already refused settings of another edge mode.
    const edgeConfig = Object.fromEntries(Object.entries(input.edge_config).filter(([, v]) => v !== undefined));
    const t = now();
    const { lastInsertRowid } = this.store.run(
      `INSERT INTO clusters (name, edge, edge_config, edge_allow_private_addresses, proxy_count, proxy_app, health_path, health_interval, health_timeout, port, bridge_base_port, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      input.name,
      input.edge,
      JSON.stringify(edgeConfig),
      input.edge_allow_private_addresses ? 1 : 0,
      input.proxy_count,
      input.proxy_app,
      input.health.path,
      input.health.interval,
      input.health.timeout,
      listenBase + slot,
      bridgeBase + BRIDGE_BLOCK * slot,
      t,
      t,
    );
    return this.store.clusterById(lastInsertRowid)!;
  }

  // ---------- domains ----------
  domainList(ref: string): Outcome<Out<typeof s.domainList>> {
    const c = this.store.cluster(ref);
    return { body: { domains: this.store.domains(c.id).map((d) => this.store.toDomain(c, d)) }, reconcile: [] };
  }

  /**
   * Inserts a hostname after the duplicate, other-cluster and env-name collision checks.
   * `existing` (the cluster's hostnames by env var name) is read when not given and updated.
   */
  private insertDomain(c: ClusterRow, hostname: string, field: string, existing?: Map<string, string>): number {
    const creating = existing !== undefined;
    const byEnv = existing ?? new Map(this.store.domains(c.id).map((d) => [d.env_name, d.hostname]));
    const envName = envNameForHostname(hostname);
    const same = byEnv.get(envName);
    if (same === hostname) throw conflict(`cluster ${c.name} already fronts ${hostname}`, { field, value: hostname });
    const owner = this.store.get<{ name: string }>('SELECT c.name FROM domains d JOIN clusters c ON c.id = d.cluster_id WHERE d.hostname = ?', hostname);
    if (owner) {
      throw conflict(`hostname ${hostname} already belongs to cluster ${owner.name}`, {
        field,
        value: hostname,
        hint: `a hostname can front one cluster only; remove it from ${owner.name} first`,
      });
    }
    // Only a hostname with the same env var name can collide; findEnvNameCollision decides.
    const clash = same === undefined ? null : findEnvNameCollision([same], hostname);
    if (clash !== null) {
      throw conflict(`hostname ${hostname} and ${clash} both map to the env var ${envName} in cluster ${c.name}`, {
        field,
        value: hostname,
        rule: 'each hostname of a cluster needs its own CLUSTER_UPSTREAMS_<HOST> variable (the name is the hostname upper-cased with non-alphanumerics turned into _)',
        // Creating: both names are in the same request, so nothing exists yet to remove.
        hint: creating ? `keep only one of ${clash} and ${hostname} in this cluster (drop one --hostname) and put the other in another cluster` : `remove ${clash} first, or put ${hostname} in another cluster`,
        details: { hostname, collides_with: clash, env_name: envName },
      });
    }
    byEnv.set(envName, hostname);
    return this.store.run('INSERT INTO domains (cluster_id, hostname, env_name, created_at) VALUES (?, ?, ?, ?)', c.id, hostname, envName, now()).lastInsertRowid;
  }

  domainAdd(ref: string, input: Out<typeof s.domainAddRequest>): Outcome<Mutation<s.Domain>> {
    const c = this.store.cluster(ref);
    return this.mutate(c, input.dry_run, () => {
      const count = this.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM domains WHERE cluster_id = ?', c.id)!.n;
      if (count >= MAX_HOSTNAMES_PER_CLUSTER) {
        throw conflict(`cluster ${c.name} already fronts ${count} hostnames, the most a cluster holds`, {
          field: 'hostname',
          value: input.hostname,
          rule: `at most ${MAX_HOSTNAMES_PER_CLUSTER} hostnames per cluster`,
          hint: 'remove hostnames it no longer serves, or put this one in another cluster',
        });
      }
      const id = this.insertDomain(c, input.hostname, 'hostname');
      const d = this.store.domains(c.id).find((x) => x.id === id)!;
      return { result: this.store.toDomain(c, d) };
    });
  }

  domainRemove(ref: string, rawHostname: string, dryRun: boolean): Outcome<Mutation<s.Domain>> {
    const c = this.store.cluster(ref);
    const checked = checkHostname(rawHostname);
    if (!checked.ok) {
      throw invalid(`invalid hostname ${JSON.stringify(rawHostname)}: ${checked.rule}${checked.fix ? ` — try ${checked.fix}` : ''}`, {
        field: 'hostname',
        value: rawHostname,
        rule: checked.rule,
        ...(checked.fix ? { hint: checked.fix } : {}),
      });
    }
    const hostname = checked.value;
    const d = this.store.domains(c.id).find((x) => x.hostname === hostname);
    if (!d) throw notFound('hostname', rawHostname, this.store.domains(c.id).map((x) => x.hostname), { field: 'hostname', scope: `cluster ${c.name}` });
    return this.mutate(c, dryRun, () => {
      const pinned = this.store.upstreams(c.id).filter((u) => u.hostname === hostname);
      this.store.run('DELETE FROM upstreams WHERE cluster_id = ? AND hostname = ?', c.id, hostname);
      this.store.run('DELETE FROM domains WHERE id = ?', d.id);
      const warnings = pinned.length > 0 ? [`${dryRun ? 'would remove' : 'removed'} ${pinned.length} upstream(s) that served only ${hostname}: ${pinned.map(describeUpstream).join(', ')}`] : [];
      return { result: this.store.toDomain(c, d), warnings };
    });
  }

  // ---------- variants ----------
  variantList(ref: string): Outcome<Out<typeof s.variantList>> {
    const c = this.store.cluster(ref);
    return { body: { variants: this.store.variants(c.id).map((v) => this.store.toVariant(c, v)) }, reconcile: [] };
  }

  variantAdd(ref: string, input: Out<typeof s.variantAddRequest>): Outcome<Mutation<s.Variant>> {
    const c = this.store.cluster(ref);
    return this.mutate(c, input.dry_run, () => {
      if (this.store.variants(c.id).some((v) => v.name === input.name)) {
        throw conflict(`cluster ${c.name} already has a variant ${input.name}`, { field: 'name', value: input.name, hint: 'change it with variant update' });
      }
      const { lastInsertRowid } = this.store.run(
        'INSERT INTO variants (cluster_id, name, weight, status, description, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        c.id,
        input.name,
        input.weight,
        input.status,
        input.description,
        now(),
      );
      return { result: this.store.toVariant(c, this.store.variants(c.id).find((v) => v.id === lastInsertRowid)!) };
    });
  }

  variantUpdate(ref: string, name: string, input: Out<typeof s.variantUpdateRequest>): Outcome<Mutation<s.Variant>> {
    const c = this.store.cluster(ref);
    const v = this.store.variant(c, name);
    return this.mutate(c, input.dry_run, () => {
      this.store.run(
        'UPDATE variants SET weight = COALESCE(?, weight), status = COALESCE(?, status), description = COALESCE(?, description) WHERE id = ?',
        input.weight ?? null,
        input.status ?? null,
        input.description ?? null,
        v.id,
      );
      return { result: this.store.toVariant(c, this.store.variants(c.id).find((x) => x.id === v.id)!) };
    }, this.healthCheck(c, { force: input.force, dryRun: input.dry_run, what: `changing variant ${v.name} of cluster ${c.name}`, field: 'name', value: v.name }));
  }

  variantRemove(ref: string, name: string, dryRun: boolean): Outcome<Mutation<s.Variant>> {
    const c = this.store.cluster(ref);
    const v = this.store.variant(c, name);
    return this.mutate(c, dryRun, () => {
      const ups = this.store.upstreams(c.id).filter((u) => u.variant_id === v.id);
      this.store.run('DELETE FROM variants WHERE id = ?', v.id);
      const warnings = ups.length > 0 ? [`${dryRun ? 'would remove' : 'removed'} the variant's ${ups.length} upstream(s): ${ups.map(describeUpstream).join(', ')}`] : [];
      return { result: this.store.toVariant(c, v), warnings };
    });
  }

  // ---------- upstreams ----------
  upstreamList(ref: string): Outcome<Out<typeof s.upstreamList>> {
    const c = this.store.cluster(ref);
    return { body: { upstreams: this.store.upstreams(c.id).map((u) => this.store.toUpstream(c, u)) }, reconcile: [] };
  }

  upstreamAdd(ref: string, input: Out<typeof s.upstreamAddRequest>): Outcome<Mutation<s.Upstream>> {
    const c = this.store.cluster(ref);
    const v = this.store.variant(c, input.variant);
    if (input.hostname !== null) {
      const hosts = this.store.domains(c.id).map((d) => d.hostname);
      if (!hosts.includes(input.hostname)) {
        throw notFound('hostname', input.hostname, hosts, {
          field: 'hostname',
          scope: `cluster ${c.name}`,
          ...(hosts.length === 0 ? { hint: `add it to the cluster first (cluster domain add ${c.name} ${input.hostname}), or leave hostname out to serve every hostname` } : {}),
        });
      }
    }
    const app = input.app !== undefined ? this.store.app(input.app) : undefined;
    return this.mutate(c, input.dry_run, () => {
      const dup = this.store
        .upstreams(c.id)
        .find((u) => u.variant_id === v.id && u.hostname === input.hostname && (app ? u.app_id === app.id : u.url === input.url));
      if (dup) {
        throw conflict(`variant ${v.name} already routes ${input.hostname ?? 'every hostname'} to ${describeUpstream(dup)}`, {
          field: app ? 'app' : 'url',
          value: app ? app.name : input.url,
          hint: `change its weight instead, or remove upstream ${dup.id} first`,
        });
      }
      if (!app || input.host_header !== null) {
        const bridged = this.store.get<{ n: number }>("SELECT COUNT(*) AS n FROM upstreams WHERE cluster_id = ? AND (kind = 'url' OR host_header IS NOT NULL)", c.id)!.n;
        if (bridged >= BRIDGE_BLOCK) {
          throw conflict(`cluster ${c.name} already has ${bridged} URL or Host-override upstreams, the most one local cluster can bridge`, {
            field: app ? 'host_header' : 'url',
            hint: 'remove unused upstreams, or split the hostnames over two clusters',
          });
        }
      }
      this.assertUpstreamRoom(c, app ? 'app' : 'url', app ? app.name : input.url);
      const { lastInsertRowid } = this.store.run(
        `INSERT INTO upstreams (cluster_id, variant_id, hostname, kind, url, app_id, weight, status, host_header, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)`,
        c.id,
        v.id,
        input.hostname,
        app ? 'app' : 'url',
        app ? null : input.url,
        app ? app.id : null,
        input.weight,
        input.host_header,
        now(),
      );
      return { result: this.store.toUpstream(c, this.store.upstream(c, lastInsertRowid)) };
    });
  }

  upstreamRemove(ref: string, id: number, dryRun: boolean, force = false): Outcome<Mutation<s.Upstream>> {
    const c = this.store.cluster(ref);
    const u = this.store.upstream(c, id);
    return this.mutate(
      c,
      dryRun,
      () => {
        this.store.run('DELETE FROM upstreams WHERE id = ?', u.id);
        return { result: this.store.toUpstream(c, u) };
      },
      this.healthCheck(c, { force, dryRun, what: `removing upstream ${describeUpstream(u)} from cluster ${c.name}`, field: 'id', value: String(u.id) }),
    );
  }

  // ---------- switch ----------
  switch(ref: string, input: Out<typeof s.switchRequest>): Outcome<s.SwitchResult> {
    const c = this.store.cluster(ref);
    const target = this.store.variant(c, input.to, 'to');
    const out = this.mutate(
      c,
      input.dry_run,
      () => {
        // One statement reweights every variant: the target keeps its weight (or gets 100) and
        // becomes active; every other variant goes to 0. Hostnames follow from the variants.
        this.store.run(
          `UPDATE variants SET
             weight = CASE WHEN id = ? THEN (CASE WHEN weight > 0 THEN weight ELSE 100 END) ELSE 0 END,
             status = CASE WHEN id = ? THEN 'active' ELSE status END
           WHERE cluster_id = ?`,
          target.id,
          target.id,
          c.id,
        );
        return { result: this.store.variants(c.id).map((v) => this.store.toVariant(c, v)) };
      },
      (before, after) => {
        const lost = hostnamesLosingTraffic(before, after);
        if (lost.length > 0 && !input.force) {
          throw conflict(
            `switching cluster ${c.name} to ${target.name} would leave ${lost.length === 1 ? 'a hostname' : `${lost.length} hostnames`} that ${lost.length === 1 ? 'is' : 'are'} served now with no upstream: ${listNames(lost)}`,
            {
              field: 'to',
              value: target.name,
              rule: 'a switch may not take every upstream away from a hostname that is served now',
              hint: `add upstreams to variant ${target.name} for ${lost.length === 1 ? 'it' : 'them'} (or one without a hostname), or pass force: true (--force)`,
              details: { hostnames: lost },
            },
          );
        }
        const gated = this.gate?.check(c, before, after, { force: input.force, dryRun: input.dry_run, what: `switching cluster ${c.name} to ${target.name}`, field: 'to', value: target.name, except: lost }) ?? [];
        return [...(lost.length > 0 ? [`forced: ${listNames(lost)} ${input.dry_run ? 'would have' : 'now has'} no upstream`] : []), ...gated];
      },
    );
    return {
      body: { cluster: c.name, to: target.name, variants: out.body.result, plan: out.body.plan },
      reconcile: out.reconcile,
    };
  }

  // ---------- members (the legacy single-variant convenience) ----------
  memberList(ref: string): Outcome<Out<typeof s.memberList>> {
    const c = this.store.cluster(ref);
    return { body: { members: this.store.members(c) }, reconcile: [] };
  }

  memberAdd(ref: string, input: Out<typeof s.memberAddRequest>): Outcome<Mutation<s.Member>> {
    const c = this.store.cluster(ref);
    const app = this.store.app(input.app);
    const variants = this.store.variants(c.id);
    let variantId: number | null = null;
    if (input.variant !== undefined) variantId = this.store.variant(c, input.variant).id;
    else if (variants.length === 1) variantId = variants[0]!.id;
    else if (variants.length > 1) {
      const names = variants.map((v) => v.name);
      throw invalid(`cluster ${c.name} has several variants (${names.join(', ')}): say which one the member joins`, {
        field: 'variant',
        rule: 'variant is required when the cluster has more than one variant',
        hint: `add variant: "${names[0]}" (--variant=${names[0]})`,
        candidates: names,
      });
    }
    return this.mutate(c, input.dry_run, () => {
      const warnings: string[] = [];
      if (variantId === null) {
        variantId = this.store.run("INSERT INTO variants (cluster_id, name, weight, status, description, created_at) VALUES (?, 'default', 100, 'active', '', ?)", c.id, now()).lastInsertRowid;
        warnings.push(`${input.dry_run ? 'would create' : 'created'} variant default (weight 100): the cluster had no variant`);
      }
      this.assertUpstreamRoom(c, 'app', app.name);
      const vid = variantId;
      const dup = this.store.upstreams(c.id).find((u) => u.variant_id === vid && u.app_id === app.id && u.hostname === null);
      if (dup) throw conflict(`app ${app.name} is already a member of cluster ${c.name} in variant ${dup.variant_name} (upstream ${dup.id})`, { field: 'app', value: app.name });
      this.store.run(
        `INSERT INTO upstreams (cluster_id, variant_id, hostname, kind, url, app_id, weight, status, host_header, created_at)
         VALUES (?, ?, NULL, 'app', NULL, ?, ?, 'active', NULL, ?)`,
        c.id,
        vid,
        app.id,
        input.weight,
        now(),
      );
      if (parseList(app.addresses).length === 0) warnings.push(`app ${app.name} has no addresses yet: it receives no traffic until it has some`);
      return { result: this.store.member(c, app.name).member, warnings };
    });
  }

  /** Refuses one more upstream in a cluster that holds MAX_UPSTREAMS_PER_CLUSTER. */
  private assertUpstreamRoom(c: ClusterRow, field: string, value: string | undefined): void {
    const count = this.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM upstreams WHERE cluster_id = ?', c.id)!.n;
    if (count < MAX_UPSTREAMS_PER_CLUSTER) return;
    throw conflict(`cluster ${c.name} already has ${count} upstreams, the most a cluster holds`, {
      field,
      ...(value === undefined ? {} : { value }),
      rule: `at most ${MAX_UPSTREAMS_PER_CLUSTER} upstreams per cluster`,
      hint: 'remove upstreams of variants that no longer serve, or split the hostnames over two clusters',
    });
  }

  private memberChange(ref: string, app: string, dryRun: boolean, set: { status?: 'active' | 'draining'; weight?: number }, gate?: { force: boolean; what: string }): Outcome<Mutation<s.Member>> {
    const c = this.store.cluster(ref);
    const { upstreams } = this.store.member(c, app);
    const check = gate ? this.healthCheck(c, { force: gate.force, dryRun, what: `${gate.what} app ${app} in cluster ${c.name}`, field: 'app', value: app }) : undefined;
    return this.mutate(
      c,
      dryRun,
      () => {
        for (const u of upstreams) {
          this.store.run('UPDATE upstreams SET status = COALESCE(?, status), weight = COALESCE(?, weight) WHERE id = ?', set.status ?? null, set.weight ?? null, u.id);
        }
        return { result: this.store.member(c, app).member };
      },
      check,
    );
  }

  memberDrain(ref: string, app: string, dryRun: boolean, force = false): Outcome<Mutation<s.Member>> {
    return this.memberChange(ref, app, dryRun, { status: 'draining' }, { force, what: 'draining' });
  }

  memberUndrain(ref: string, app: string, dryRun: boolean): Outcome<Mutation<s.Member>> {
    return this.memberChange(ref, app, dryRun, { status: 'active' });
  }

  memberWeight(ref: string, app: string, input: Out<typeof s.memberWeightRequest>): Outcome<Mutation<s.Member>> {
    return this.memberChange(ref, app, input.dry_run, { weight: input.weight }, { force: input.force, what: `setting the weight ${input.weight} of` });
  }

  memberRemove(ref: string, app: string, dryRun: boolean): Outcome<Mutation<s.Member>> {
    const c = this.store.cluster(ref);
    const { member, upstreams } = this.store.member(c, app);
    return this.mutate(c, dryRun, () => {
      for (const u of upstreams) this.store.run('DELETE FROM upstreams WHERE id = ?', u.id);
      return { result: { ...member, status: 'removed' as const } };
    });
  }

  // ---------- apps ----------
  appList(): Outcome<Out<typeof s.appList>> {
    return { body: { apps: this.store.apps().map((a) => this.store.toApp(a)) }, reconcile: [] };
  }

  appShow(ref: string): Outcome<s.App> {
    return { body: this.store.toApp(this.store.app(ref)), reconcile: [] };
  }

  appCreate(input: Out<typeof s.appCreateRequest>): Outcome<s.App> {
    const id = this.tx(() => {
      if (this.store.appByName(input.name)) throw conflict(`app ${input.name} already exists`, { field: 'name', value: input.name, hint: 'change it with PATCH /api/local/apps/:app (ownstack local app update)' });
      const t = now();
      return this.store.run(
        'INSERT INTO apps (name, addresses, deploy_cmd, health_path, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        input.name,
        JSON.stringify(unique(input.addresses ?? [])),
        input.deploy_cmd,
        input.health_path,
        t,
        t,
      ).lastInsertRowid;
    });
    return { body: this.store.toApp(this.store.app(String(id))), reconcile: [] };
  }

  /** Changes an app; when its addresses change, every cluster routing to it is re-rendered in the same transaction. */
  appUpdate(ref: string, input: Out<typeof s.appUpdateRequest>): Outcome<s.App> {
    return this.tx(() => {
      const a = this.store.app(ref);
      this.store.run(
        'UPDATE apps SET addresses = COALESCE(?, addresses), deploy_cmd = CASE WHEN ? THEN ? ELSE deploy_cmd END, health_path = COALESCE(?, health_path), updated_at = ? WHERE id = ?',
        input.addresses === undefined ? null : JSON.stringify(unique(input.addresses)),
        input.deploy_cmd === undefined ? 0 : 1,
        input.deploy_cmd ?? null,
        input.health_path ?? null,
        now(),
        a.id,
      );
      const touched: number[] = [];
      for (const c of this.store.clustersUsingApp(a.id)) {
        const before = c.generation;
        const row = this.commitRender(c, snapshot(this.store, c).rendered);
        if (row.generation !== before) this.store.touchCluster(c.id);
        touched.push(c.id);
      }
      return { body: this.store.toApp(this.store.app(String(a.id))), reconcile: touched };
    });
  }

  appRemove(ref: string): Outcome<s.App> {
    return this.tx(() => {
      const a = this.store.app(ref);
      const users = this.store.clustersUsingApp(a.id).map((c) => c.name);
      if (users.length > 0) {
        throw conflict(`app ${a.name} is still used by cluster${users.length > 1 ? 's' : ''} ${users.join(', ')}`, {
          field: 'app',
          value: a.name,
          hint: `remove it from ${users.length > 1 ? 'those clusters' : 'that cluster'} first (cluster member remove / cluster upstream remove)`,
          details: { clusters: users },
        });
      }
      this.store.run('DELETE FROM apps WHERE id = ?', a.id);
      return { body: this.store.toApp(a), reconcile: [] };
    });
  }
}

/** How an upstream is named in messages: `#7 https://x.example.com` / `#8 app my-app`. */
export function describeUpstream(u: UpstreamRow): string {
  return u.kind === 'url' ? `#${u.id} ${u.url}` : `#${u.id} app ${u.app_name}`;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

