// A whole cluster in one call: export a cluster as a document, and apply a document to a cluster
// (creating it when missing). An apply is one transaction like every other mutation (service.ts):
// the rows are diffed against the document by name (hostname, variant name, upstream identity),
// written with cached statements, rendered once, checked with the single commands' gates, and
// either rolled back (dry run) or committed as one new generation. Its cost grows with the size of
// the cluster and the file, never with their product.
import { existsSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import type { z } from 'zod';
import { clusterCreateRequest, documentPath, membersOf, upstreamKey, type clusterApplyRequest, type ClusterApplyResult, type ClusterDocument, type ClusterExport, type UpstreamRef } from '../../api/schemas.js';
import { envNameForHostname } from '../../inputs/index.js';
import { issueToDetails, secretFieldsOf } from '../../inputs/parse.js';
import { conflict, invalid, notFound } from '../http-error.js';
import { verifyEdge } from './edge-verify.js';
import { buildPlan, hostnamesLosingTraffic, listNames, snapshot } from './plan.js';
import { BRIDGE_BLOCK } from '../runtime/render.js';
import { edgeConfigOf, now, parseList, type AppRow, type ClusterRow, type Store, type UpstreamRow } from '../store/store.js';
import type { Outcome, Service } from './service.js';

type ApplyInput = z.output<typeof clusterApplyRequest>;
type CreateInput = z.output<typeof clusterCreateRequest>;

/** The edge_config keys marked secret in the create request (never exported, never changed by apply). */
const SECRET_EDGE_KEYS = new Set([...secretFieldsOf(clusterCreateRequest)].filter((p) => p.startsWith('edge_config.')).map((p) => p.slice('edge_config.'.length)));
/** Every edge_config key in the create request's order (export writes them in this order). */
const EDGE_KEYS = Object.keys(clusterCreateRequest.shape.edge_config.unwrap().shape);

const field = (...path: PropertyKey[]) => `document.${documentPath(path)}`;

/** The cluster's desired state as a document: no ids, no secrets, in creation order (upstreams grouped by variant). */
export function exportCluster(store: Store, c: ClusterRow): ClusterExport {
  const ec = edgeConfigOf(c);
  const upstreams = store.upstreams(c.id).map((u) => ({
    variant: u.variant_name,
    ...(u.hostname === null ? {} : { hostname: u.hostname }),
    ...(u.kind === 'url' ? { url: u.url! } : { app: u.app_name! }),
    weight: u.weight,
    status: u.status,
    ...(u.host_header === null ? {} : { host_header: u.host_header }),
  }));
  return {
    name: c.name,
    edge: c.edge,
    edge_config: Object.fromEntries(EDGE_KEYS.filter((k) => !SECRET_EDGE_KEYS.has(k) && typeof ec[k] === 'string').map((k) => [k, ec[k]!])),
    // Written only when set (false is the default a document leaves out).
    ...(c.edge_allow_private_addresses === 1 ? { edge_allow_private_addresses: true } : {}),
    proxy_count: c.proxy_count,
    proxy_app: c.proxy_app,
    health: { path: c.health_path, interval: c.health_interval, timeout: c.health_timeout },
    hostnames: store.domains(c.id).map((d) => d.hostname),
    variants: store.variants(c.id).map((v) => ({ name: v.name, weight: v.weight, status: v.status, description: v.description })),
    upstreams,
    members: membersOf(upstreams),
  };
}

/**
 * The create request a document makes when its cluster does not exist yet: the create rules again,
 * secrets required where the edge needs them. Refusals name the document's fields.
 */
export function createRequestOf(doc: ClusterDocument): CreateInput {
  const raw = { name: doc.name, hostnames: doc.hostnames, edge: doc.edge, edge_allow_private_addresses: doc.edge_allow_private_addresses, proxy_count: doc.proxy_count, proxy_app: doc.proxy_app, health: doc.health, edge_config: doc.edge_config };
  const parsed = clusterCreateRequest.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const details = issueToDetails(issue, field(...issue.path), raw, secretFieldsOf(clusterCreateRequest));
  const creating = `cluster ${doc.name} does not exist yet, so the file creates it: ${details.message}`;
  throw invalid(creating, { field: details.field, ...(details.value === undefined ? {} : { value: details.value }), ...(details.rule === undefined ? {} : { rule: details.rule }), ...(details.hint === undefined ? {} : { hint: details.hint }) });
}

/** The cluster a document applies to: the one the path names (by name or id), else none yet. */
export function clusterForDocument(store: Store, ref: string, doc: ClusterDocument): ClusterRow | undefined {
  const existing = store.clusterByName(ref) ?? (/^\d+$/.test(ref) ? store.clusterById(Number(ref)) : undefined);
  const named = existing?.name ?? ref;
  if (named !== doc.name) {
    throw invalid(`the file describes cluster ${doc.name}, but the request is for cluster ${named}`, {
      field: 'document.name',
      value: doc.name,
      rule: 'the document names the cluster it is applied to',
      hint: `apply it to ${doc.name}, or change name: in the file to ${named}`,
    });
  }
  return existing;
}

class Rollback {
  constructor(readonly value: ClusterApplyResult) {}
}

/** POST /api/clusters/:cluster/apply: the plan, then (unless a dry run) the change in one transaction. */
export function applyCluster(svc: Service, ref: string, input: ApplyInput, deployOf: (clusterId: number) => { id: number; state: string } | undefined): Outcome<ClusterApplyResult> {
  const store = svc.store;
  const doc = input.document;
  const dryRun = input.dry_run;
  try {
    const body = svc.tx(() => {
      const existing = clusterForDocument(store, ref, doc);
      const created = existing === undefined;
      if (existing) {
        refuseDuringDeploy(existing.name, deployOf(existing.id));
        refuseFixedChanges(existing, doc);
      }
      const apps = new Map(store.apps().map((a) => [a.name, a]));
      // Everything that can be refused is checked before the first write.
      const c = existing ?? svc.insertCluster(createRequestOf(doc));
      const diff = diffCluster(store, c, doc, apps);
      const before = snapshot(store, c, created ? undefined : svc.recallRender(c.id));
      const warnings = write(store, c, doc, diff, apps, dryRun);
      const row = store.clusterById(c.id)!;
      // Nothing written: the cluster renders as before (a re-apply costs no render).
      const after = created || diff.count > 0 ? snapshot(store, row) : before;
      const lost = hostnamesLosingTraffic(before, after);
      if (lost.length > 0 && !input.force) {
        throw conflict(`applying the file to cluster ${c.name} would leave ${lost.length === 1 ? 'a hostname' : `${lost.length} hostnames`} that ${lost.length === 1 ? 'is' : 'are'} served now with no upstream: ${listNames(lost)}`, {
          field: 'document.upstreams',
          rule: 'an apply may not take every upstream away from a hostname that is served now (as a switch may not)',
          hint: `give ${lost.length === 1 ? 'it' : 'them'} an upstream in a routed variant (or one without a hostname), or pass force: true (--force)`,
          details: { hostnames: lost },
        });
      }
      if (lost.length > 0) warnings.push(`forced: ${listNames(lost)} ${dryRun ? 'would have' : 'now has'} no upstream`);
      const changed = created || diff.count > 0;
      const result: ClusterApplyResult = {
        cluster: c.name,
        created,
        changed,
        generation: row.generation,
        changes: diff.changes,
        plan: buildPlan(c.name, before, after, !dryRun, warnings),
      };
      if (dryRun) throw new Rollback(result);
      if (changed) {
        result.generation = svc.commitRender(row, after.rendered).generation;
        store.touchCluster(c.id);
      }
      return result;
    });
    return { body, reconcile: body.changed ? [store.clusterByName(body.cluster)!.id] : [] };
  } catch (err) {
    if (err instanceof Rollback) return { body: err.value, reconcile: [] };
    throw err;
  }
}

/** 409 for what an apply cannot change in place: the edge mode and settings, secrets, the proxies. */
function refuseFixedChanges(c: ClusterRow, doc: ClusterDocument): void {
  if (doc.edge !== c.edge) {
    throw conflict(`cluster ${c.name} uses edge ${c.edge}, the file says edge ${doc.edge}`, {
      field: 'document.edge',
      value: doc.edge,
      rule: 'the edge mode is chosen when a cluster is created and cannot change in place',
      hint: `keep edge: ${c.edge}, or create a cluster with edge ${doc.edge} under another name and move the hostnames to it`,
    });
  }
  const stored = edgeConfigOf(c);
  const normal = (ec: Record<string, unknown>): Record<string, unknown> => (c.edge === 'dns_rr' && ec.dns_provider === undefined ? { ...ec, dns_provider: 'zonefile' } : ec);
  const have = normal(stored);
  const want = normal(doc.edge_config as Record<string, unknown>);
  for (const key of EDGE_KEYS) {
    const [h, w] = [have[key], want[key]];
    if (SECRET_EDGE_KEYS.has(key)) {
      // Left out: the stored secret stays. Given: it must be the stored one.
      if (w !== undefined && w !== h) {
        throw conflict(`the file sets ${key} of cluster ${c.name} to another value than the stored one`, {
          field: field('edge_config', key),
          value: '(hidden)',
          rule: 'apply never changes a stored secret (it would be saved without the provider checking it)',
          hint: 'leave it out of the file to keep the stored one (ownstack cluster update changes it and checks it with the provider)',
        });
      }
      continue;
    }
    if (h === w) continue;
    throw conflict(`cluster ${c.name} has edge_config.${key} ${h === undefined ? 'unset' : JSON.stringify(h)}, the file ${w === undefined ? 'leaves it out' : `says ${JSON.stringify(w)}`}`, {
      field: field('edge_config', key),
      ...(w === undefined ? {} : { value: String(w) }),
      rule: 'apply does not change the edge settings of an existing cluster',
      hint: h === undefined ? `remove ${key} from the file` : `keep ${key}: ${String(h)} in the file (ownstack cluster export ${c.name} writes the current settings)`,
    });
  }
  const allowed = c.edge_allow_private_addresses === 1;
  if (doc.edge_allow_private_addresses !== allowed) {
    throw conflict(`cluster ${c.name} has edge_allow_private_addresses ${allowed}, the file ${doc.edge_allow_private_addresses ? 'says true' : 'leaves it out (false)'}`, {
      field: 'document.edge_allow_private_addresses',
      value: String(doc.edge_allow_private_addresses),
      rule: 'apply does not change the edge settings of an existing cluster',
      hint: `${allowed ? 'keep edge_allow_private_addresses: true in' : 'leave edge_allow_private_addresses out of'} the file, and change it with ownstack cluster update ${c.name} --${doc.edge_allow_private_addresses ? '' : 'no-'}edge-allow-private-addresses`,
    });
  }
  if (doc.proxy_count !== c.proxy_count) {
    throw conflict(`cluster ${c.name} has ${c.proxy_count} ${c.proxy_count === 1 ? 'proxy' : 'proxies'}, the file says proxy_count ${doc.proxy_count}`, {
      field: 'document.proxy_count',
      value: String(doc.proxy_count),
      rule: 'apply does not add or remove proxies (the edge must stop sending traffic to one before it goes)',
      hint: `keep proxy_count: ${c.proxy_count} in the file, and change it with ownstack cluster update ${c.name} --proxy-count=${doc.proxy_count}`,
    });
  }
  if (doc.proxy_app !== c.proxy_app) {
    throw conflict(`cluster ${c.name} ${c.proxy_app === null ? 'runs the default Caddy proxies' : `uses proxy app ${c.proxy_app}`}, the file says proxy_app ${doc.proxy_app ?? 'null'}`, {
      field: 'document.proxy_app',
      value: doc.proxy_app ?? 'null',
      rule: 'the proxy app is chosen when a cluster is created and cannot change in place',
      hint: `keep proxy_app: ${c.proxy_app ?? 'null'} in the file`,
    });
  }
}

interface Diff {
  /** How many things change (0: the cluster already matches). */
  count: number;
  changes: ClusterApplyResult['changes'];
  health: boolean;
  removedUpstreams: UpstreamRow[];
  removedVariants: number[];
  removedDomains: number[];
  addedHostnames: string[];
  addedVariants: ClusterDocument['variants'];
  updatedVariants: { id: number; v: ClusterDocument['variants'][number] }[];
  updatedUpstreams: { id: number; u: ClusterDocument['upstreams'][number] }[];
  addedUpstreams: ClusterDocument['upstreams'];
}

const ref = (u: { variant: string; hostname: string | null; url?: string | null; app?: string | null }): UpstreamRef => ({ variant: u.variant, hostname: u.hostname, url: u.url ?? null, app: u.app ?? null });

/** What has to change (by name, never by id), after the checks that need the database. */
function diffCluster(store: Store, c: ClusterRow, doc: ClusterDocument, apps: Map<string, AppRow>): Diff {
  const changes: ClusterApplyResult['changes'] = {
    settings: [],
    hostnames: { added: [], removed: [] },
    variants: { added: [], updated: [], removed: [] },
    upstreams: { added: [], updated: [], removed: [] },
  };
  const h = doc.health;
  for (const [name, before, after] of [
    ['health.path', c.health_path, h.path],
    ['health.interval', c.health_interval, h.interval],
    ['health.timeout', c.health_timeout, h.timeout],
  ] as const) {
    if (before !== after) changes.settings.push({ field: name, before, after });
  }

  // Hostnames.
  const domains = store.domains(c.id);
  const want = new Set(doc.hostnames);
  const have = new Set(domains.map((d) => d.hostname));
  const removedDomains = domains.filter((d) => !want.has(d.hostname));
  const addedHostnames = doc.hostnames.filter((x) => !have.has(x));
  changes.hostnames = { added: addedHostnames, removed: removedDomains.map((d) => d.hostname) };
  if (addedHostnames.length > 0) {
    // One query for every new hostname: none may front another cluster.
    const owned = store.all<{ hostname: string; name: string }>(
      'SELECT d.hostname, c.name FROM domains d JOIN clusters c ON c.id = d.cluster_id WHERE d.cluster_id != ? AND d.hostname IN (SELECT value FROM json_each(?))',
      c.id,
      JSON.stringify(addedHostnames),
    );
    if (owned.length > 0) {
      const first = owned[0]!;
      throw conflict(`hostname ${first.hostname} already belongs to cluster ${first.name}${owned.length > 1 ? ` (and ${owned.length - 1} more of the file's hostnames belong to other clusters)` : ''}`, {
        field: field('hostnames', doc.hostnames.indexOf(first.hostname)),
        value: first.hostname,
        hint: `a hostname can front one cluster only; remove it from ${first.name} first`,
        details: { hostnames: owned.map((o) => ({ hostname: o.hostname, cluster: o.name })) },
      });
    }
  }

  // Variants.
  const variants = store.variants(c.id);
  const variantByName = new Map(variants.map((v) => [v.name, v]));
  const wantVariants = new Set(doc.variants.map((v) => v.name));
  const removedVariants = variants.filter((v) => !wantVariants.has(v.name));
  const addedVariants = doc.variants.filter((v) => !variantByName.has(v.name));
  const updatedVariants: Diff['updatedVariants'] = [];
  for (const v of doc.variants) {
    const row = variantByName.get(v.name);
    if (!row) continue;
    const fields = fieldChanges([
      ['weight', row.weight, v.weight],
      ['status', row.status, v.status],
      ['description', row.description, v.description],
    ]);
    if (fields.length > 0) {
      updatedVariants.push({ id: row.id, v });
      changes.variants.updated.push({ name: v.name, fields });
    }
  }
  changes.variants.added = addedVariants.map((v) => v.name);
  changes.variants.removed = removedVariants.map((v) => v.name);

  // Upstreams.
  const rows = store.upstreams(c.id);
  const rowByKey = new Map(rows.map((u) => [upstreamKey({ variant: u.variant_name, hostname: u.hostname, url: u.url, app: u.app_name }), u]));
  const wantKeys = new Set<string>();
  const addedUpstreams: ClusterDocument['upstreams'] = [];
  const updatedUpstreams: Diff['updatedUpstreams'] = [];
  doc.upstreams.forEach((u, i) => {
    const key = upstreamKey(u);
    wantKeys.add(key);
    const row = rowByKey.get(key);
    if (!row) {
      if (u.app !== undefined && !apps.has(u.app)) {
        throw notFound('app', u.app, apps.keys(), { field: field('upstreams', i, 'app'), ...(apps.size === 0 ? { hint: 'create it first: ownstack local app add <name> --addr=host:port' } : {}) });
      }
      addedUpstreams.push(u);
      changes.upstreams.added.push(ref(u));
      return;
    }
    const fields = fieldChanges([
      ['weight', row.weight, u.weight],
      ['status', row.status, u.status],
      ['host_header', row.host_header, u.host_header],
    ]);
    if (fields.length > 0) {
      updatedUpstreams.push({ id: row.id, u });
      changes.upstreams.updated.push({ ...ref(u), fields });
    }
  });
  const removedUpstreams = rows.filter((u) => !wantKeys.has(upstreamKey({ variant: u.variant_name, hostname: u.hostname, url: u.url, app: u.app_name })));
  changes.upstreams.removed = removedUpstreams.map((u) => ref({ variant: u.variant_name, hostname: u.hostname, url: u.url, app: u.app_name }));

  const bridged = doc.upstreams.filter((u) => u.url !== undefined || u.host_header !== null).length;
  if (bridged > BRIDGE_BLOCK) {
    throw conflict(`the file gives cluster ${c.name} ${bridged} URL or Host-override upstreams, more than one local cluster can bridge (${BRIDGE_BLOCK})`, {
      field: 'document.upstreams',
      rule: `at most ${BRIDGE_BLOCK} URL or Host-override upstreams per cluster`,
      hint: 'use app upstreams without a Host override where you can, or split the hostnames over two clusters',
    });
  }

  const count =
    changes.settings.length +
    addedHostnames.length +
    removedDomains.length +
    addedVariants.length +
    removedVariants.length +
    updatedVariants.length +
    addedUpstreams.length +
    updatedUpstreams.length +
    removedUpstreams.length;
  return {
    count,
    changes,
    health: changes.settings.length > 0,
    removedUpstreams,
    removedVariants: removedVariants.map((v) => v.id),
    removedDomains: removedDomains.map((d) => d.id),
    addedHostnames,
    addedVariants,
    updatedVariants,
    updatedUpstreams,
    addedUpstreams,
  };
}

function fieldChanges(pairs: [string, string | number | null, string | number | null][]): { field: string; before: string | null; after: string | null }[] {
  return pairs.filter(([, b, a]) => b !== a).map(([name, b, a]) => ({ field: name, before: b === null ? null : String(b), after: a === null ? null : String(a) }));
}

/**
 * Writes the diff in the caller's transaction: removals first (a hostname that leaves frees its
 * env var name for one that comes), then the cluster's settings, then additions and updates in the
 * file's order (so a cluster created from a file gets its rows in the file's order). Returns warnings.
 */
function write(store: Store, c: ClusterRow, doc: ClusterDocument, d: Diff, apps: Map<string, AppRow>, dryRun: boolean): string[] {
  const ids = (list: number[]) => JSON.stringify(list);
  if (d.removedUpstreams.length > 0) store.run('DELETE FROM upstreams WHERE id IN (SELECT value FROM json_each(?))', ids(d.removedUpstreams.map((u) => u.id)));
  if (d.removedVariants.length > 0) store.run('DELETE FROM variants WHERE id IN (SELECT value FROM json_each(?))', ids(d.removedVariants));
  if (d.removedDomains.length > 0) store.run('DELETE FROM domains WHERE id IN (SELECT value FROM json_each(?))', ids(d.removedDomains));
  if (d.health) store.run('UPDATE clusters SET health_path = ?, health_interval = ?, health_timeout = ? WHERE id = ?', doc.health.path, doc.health.interval, doc.health.timeout, c.id);
  const t = now();
  for (const hostname of d.addedHostnames) {
    store.run('INSERT INTO domains (cluster_id, hostname, env_name, created_at) VALUES (?, ?, ?, ?)', c.id, hostname, envNameForHostname(hostname), t);
  }
  for (const v of d.addedVariants) {
    store.run('INSERT INTO variants (cluster_id, name, weight, status, description, created_at) VALUES (?, ?, ?, ?, ?, ?)', c.id, v.name, v.weight, v.status, v.description, t);
  }
  for (const { id, v } of d.updatedVariants) store.run('UPDATE variants SET weight = ?, status = ?, description = ? WHERE id = ?', v.weight, v.status, v.description, id);
  for (const { id, u } of d.updatedUpstreams) store.run('UPDATE upstreams SET weight = ?, status = ?, host_header = ? WHERE id = ?', u.weight, u.status, u.host_header, id);
  const variantId = new Map(store.variants(c.id).map((v) => [v.name, v.id]));
  const warnings: string[] = [];
  const empty = new Set<string>();
  for (const u of d.addedUpstreams) {
    const app = u.app === undefined ? undefined : apps.get(u.app)!;
    if (app && parseList(app.addresses).length === 0) empty.add(app.name);
    store.run(
      `INSERT INTO upstreams (cluster_id, variant_id, hostname, kind, url, app_id, weight, status, host_header, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      c.id,
      variantId.get(u.variant)!,
      u.hostname,
      app ? 'app' : 'url',
      app ? null : u.url!,
      app ? app.id : null,
      u.weight,
      u.status,
      u.host_header,
      t,
    );
  }
  for (const name of empty) warnings.push(`app ${name} has no addresses yet: it receives no traffic until it has some`);
  if (d.removedVariants.length > 0 || d.removedDomains.length > 0 || d.removedUpstreams.length > 0) {
    const parts = [
      d.removedDomains.length > 0 ? `${d.removedDomains.length} hostname(s)` : '',
      d.removedVariants.length > 0 ? `${d.removedVariants.length} variant(s)` : '',
      d.removedUpstreams.length > 0 ? `${d.removedUpstreams.length} upstream(s)` : '',
    ].filter(Boolean);
    warnings.push(`${dryRun ? 'would remove' : 'removed'} ${parts.join(', ')} the file does not list`);
  }
  return warnings;
}

/** Refuses an apply while a deploy is queued or runs: the deploy drains and undrains the members the file sets. */
function refuseDuringDeploy(name: string, deploy: { id: number; state: string } | undefined): void {
  if (!deploy) return;
  throw conflict(`cluster ${name} has a deploy in progress (${deploy.id}, ${deploy.state}): an apply would fight it over its members' status`, {
    hint: `wait for it to finish (ownstack cluster deploy:status ${name}) or abort it, then apply again`,
    details: { deploy_id: deploy.id, state: deploy.state },
  });
}

/**
 * What an apply checks before its transaction: a cluster the document creates has its edge
 * settings verified with the provider, as on create.
 */
export async function checkApply(svc: Service, ref: string, doc: ClusterDocument, dryRun: boolean): Promise<void> {
  if (clusterForDocument(svc.store, ref, doc)) return;
  const dir = svc.reconciler.clusterDir(doc.name);
  const had = existsSync(dir);
  try {
    await verifyEdge(svc.reconciler, createRequestOf(doc));
  } finally {
    // The zone-file check makes the cluster's folder: a dry run leaves nothing behind (rmdir: only if still empty).
    if (dryRun && !had) await rmdir(dir).catch(() => undefined);
  }
}
