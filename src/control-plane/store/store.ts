// Typed queries over the state database and the mapping from rows to the contract's resources.
import type { App, Cluster, Domain, Member, Upstream, Variant } from '../../api/schemas.js';
import { maskSecret } from '../../edge/secrets.js';
import { urlHostPort } from '../../inputs/upstream-url.js';
import type { RenderCluster } from '../../proxy/types.js';
import type Database from 'better-sqlite3';
import type { Db } from './db.js';
import { notFound } from '../http-error.js';

export type EdgeMode = Cluster['edge'];
export type Status = 'active' | 'draining';

export interface ClusterRow {
  id: number;
  name: string;
  edge: EdgeMode;
  edge_config: string;
  proxy_count: number;
  proxy_app: string | null;
  health_path: string;
  health_interval: string;
  health_timeout: string;
  port: number;
  bridge_base_port: number;
  generation: number;
  rendered_hash: string | null;
  edge_reconciled_at: string | null;
  edge_error: string | null;
  /** JSON { hosts, proxies } of the last successful edge publish. */
  edge_published: string | null;
  /** 1: cloudflare / aws_alb may publish loopback and private-use addresses. */
  edge_allow_private_addresses: number;
  created_at: string;
  updated_at: string;
}

export interface DomainRow {
  id: number;
  cluster_id: number;
  hostname: string;
  env_name: string;
  created_at: string;
}

export interface VariantRow {
  id: number;
  cluster_id: number;
  name: string;
  weight: number;
  status: Status;
  description: string;
  created_at: string;
}

export interface AppRow {
  id: number;
  name: string;
  addresses: string;
  deploy_cmd: string | null;
  health_path: string;
  created_at: string;
  updated_at: string;
}

/** An upstream joined with its variant's and app's names. */
export interface UpstreamRow {
  id: number;
  cluster_id: number;
  variant_id: number;
  variant_name: string;
  hostname: string | null;
  kind: 'url' | 'app';
  url: string | null;
  app_id: number | null;
  app_name: string | null;
  app_addresses: string | null;
  weight: number;
  status: Status;
  host_header: string | null;
  created_at: string;
}

/** RFC 3339 timestamp of now. */
export function now(): string {
  return new Date().toISOString();
}

/** Typed access to the state database. Every method is synchronous (better-sqlite3). */
export class Store {
  private readonly cache = new Map<string, Database.Statement<unknown[]>>();

  constructor(readonly db: Db) {}

  /** A cached prepared statement. */
  stmt(sql: string): Database.Statement<unknown[]> {
    let s = this.cache.get(sql);
    if (s === undefined) {
      s = this.db.prepare<unknown[]>(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  all<T>(sql: string, ...params: unknown[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }

  get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  run(sql: string, ...params: unknown[]): { changes: number; lastInsertRowid: number } {
    const r = this.stmt(sql).run(...params);
    return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) };
  }

  // ---------- clusters ----------
  clusters(): ClusterRow[] {
    return this.all<ClusterRow>('SELECT * FROM clusters ORDER BY id');
  }

  clusterById(id: number): ClusterRow | undefined {
    return this.get<ClusterRow>('SELECT * FROM clusters WHERE id = ?', id);
  }

  clusterByName(name: string): ClusterRow | undefined {
    return this.get<ClusterRow>('SELECT * FROM clusters WHERE name = ?', name);
  }

  /**
   * A cluster by numeric id when `ref` is all digits, else by name; 404 with candidates otherwise.
   * Digits always mean the id (names cannot be all digits), so a name never hides an id.
   */
  cluster(ref: string): ClusterRow {
    const hit = byRef(ref, (id) => this.clusterById(id), (name) => this.clusterByName(name));
    if (hit) return hit;
    throw notFound('cluster', ref, this.all<{ name: string }>('SELECT name FROM clusters ORDER BY name').map((r) => r.name), { field: 'cluster' });
  }

  touchCluster(id: number): void {
    this.run('UPDATE clusters SET updated_at = ? WHERE id = ?', now(), id);
  }

  // ---------- domains ----------
  domains(clusterId: number): DomainRow[] {
    return this.all<DomainRow>('SELECT * FROM domains WHERE cluster_id = ? ORDER BY id', clusterId);
  }

  // ---------- variants ----------
  variants(clusterId: number): VariantRow[] {
    return this.all<VariantRow>('SELECT * FROM variants WHERE cluster_id = ? ORDER BY id', clusterId);
  }

  /** A variant of a cluster by numeric id (all digits) or name; 404 with candidates otherwise. */
  variant(c: ClusterRow, ref: string, field = 'variant'): VariantRow {
    const rows = this.variants(c.id);
    const hit = byRef(ref, (id) => rows.find((v) => v.id === id), (name) => rows.find((v) => v.name === name));
    if (hit) return hit;
    throw notFound('variant', ref, rows.map((v) => v.name), { field, scope: `cluster ${c.name}` });
  }

  // ---------- apps ----------
  apps(): AppRow[] {
    return this.all<AppRow>('SELECT * FROM apps ORDER BY name');
  }

  appByName(name: string): AppRow | undefined {
    return this.get<AppRow>('SELECT * FROM apps WHERE name = ?', name);
  }

  /** A local app by numeric id (all digits) or name; 404 with candidates otherwise. */
  app(ref: string, field = 'app'): AppRow {
    const hit = byRef(ref, (id) => this.get<AppRow>('SELECT * FROM apps WHERE id = ?', id), (name) => this.appByName(name));
    if (hit) return hit;
    throw notFound('app', ref, this.apps().map((a) => a.name), {
      field,
      ...(this.apps().length === 0 ? { hint: 'create it first: POST /api/local/apps (ownstack local app add)' } : {}),
    });
  }

  // ---------- upstreams ----------
  private static readonly UPSTREAM_SELECT = `
    SELECT u.id, u.cluster_id, u.variant_id, v.name AS variant_name, u.hostname, u.kind, u.url, u.app_id,
           a.name AS app_name, a.addresses AS app_addresses, u.weight, u.status, u.host_header, u.created_at
    FROM upstreams u JOIN variants v ON v.id = u.variant_id LEFT JOIN apps a ON a.id = u.app_id`;

  upstreams(clusterId: number): UpstreamRow[] {
    return this.all<UpstreamRow>(`${Store.UPSTREAM_SELECT} WHERE u.cluster_id = ? ORDER BY u.variant_id, u.id`, clusterId);
  }

  upstream(c: ClusterRow, id: number): UpstreamRow {
    const row = this.get<UpstreamRow>(`${Store.UPSTREAM_SELECT} WHERE u.cluster_id = ? AND u.id = ?`, c.id, id);
    if (row) return row;
    const ids = this.all<{ id: number }>('SELECT id FROM upstreams WHERE cluster_id = ? ORDER BY id', c.id).map((r) => String(r.id));
    throw notFound('upstream', String(id), ids, { field: 'id', scope: `cluster ${c.name}` });
  }

  /** Ids of the clusters that route to an app. */
  clustersUsingApp(appId: number): ClusterRow[] {
    return this.all<ClusterRow>('SELECT * FROM clusters WHERE id IN (SELECT DISTINCT cluster_id FROM upstreams WHERE app_id = ?) ORDER BY id', appId);
  }

  /** Deletes a cluster; the rows that reference it go with it (ON DELETE CASCADE). */
  deleteCluster(id: number): void {
    this.run('DELETE FROM clusters WHERE id = ?', id);
  }

  deleteApp(id: number): void {
    this.run('DELETE FROM apps WHERE id = ?', id);
  }

  // ---------- rendering input ----------
  /** The cluster as the proxy renderers see it. */
  renderCluster(c: ClusterRow): RenderCluster {
    // Addresses host maintenance drained (service/maintenance.ts), by upstream; absent when none.
    const drained = new Map<number, string[]>();
    for (const r of this.all<{ upstream_id: number; address: string }>(
      'SELECT m.upstream_id, m.address FROM maintenance_drained m JOIN upstreams u ON u.id = m.upstream_id WHERE u.cluster_id = ? ORDER BY m.upstream_id, m.address',
      c.id,
    )) {
      const list = drained.get(r.upstream_id) ?? [];
      if (!list.includes(r.address)) list.push(r.address);
      drained.set(r.upstream_id, list);
    }
    return {
      name: c.name,
      health: { path: c.health_path, interval: c.health_interval, timeout: c.health_timeout },
      domains: this.domains(c.id).map((d) => ({ hostname: d.hostname })),
      variants: this.variants(c.id).map((v) => ({ id: v.id, name: v.name, weight: v.weight, status: v.status })),
      upstreams: this.upstreams(c.id).map((u) => ({
        id: u.id,
        variantId: u.variant_id,
        hostname: u.hostname,
        kind: u.kind,
        url: u.url,
        app: u.app_name,
        addresses: u.kind === 'app' ? parseList(u.app_addresses) : [],
        weight: u.weight,
        status: u.status,
        hostHeader: u.host_header,
        ...(drained.has(u.id) ? { drainedAddresses: drained.get(u.id)! } : {}),
      })),
    };
  }

  // ---------- resources ----------
  toCluster(c: ClusterRow): Cluster {
    const variants = this.variants(c.id);
    const upstreams = this.upstreams(c.id);
    return {
      id: c.id,
      name: c.name,
      edge: c.edge,
      edge_config: edgeConfigView(c),
      edge_allow_private_addresses: c.edge_allow_private_addresses === 1,
      proxy_count: c.proxy_count,
      proxy_app: c.proxy_app,
      health: { path: c.health_path, interval: c.health_interval, timeout: c.health_timeout },
      hostnames: this.domains(c.id).map((d) => d.hostname),
      variants: variants.map((v) => ({ name: v.name, weight: v.weight, status: v.status })),
      upstream_count: upstreams.length,
      member_count: new Set(upstreams.filter((u) => u.kind === 'app').map((u) => u.app_id)).size,
      generation: c.generation,
      created_at: c.created_at,
      updated_at: c.updated_at,
    };
  }

  toDomain(c: ClusterRow, d: DomainRow): Domain {
    return { id: d.id, cluster: c.name, hostname: d.hostname, env_name: d.env_name, created_at: d.created_at };
  }

  toVariant(c: ClusterRow, v: VariantRow): Variant {
    return {
      id: v.id,
      cluster: c.name,
      name: v.name,
      weight: v.weight,
      status: v.status,
      description: v.description,
      routed: v.weight > 0 && v.status === 'active',
      created_at: v.created_at,
    };
  }

  toUpstream(c: ClusterRow, u: UpstreamRow): Upstream {
    return {
      id: u.id,
      cluster: c.name,
      variant: u.variant_name,
      hostname: u.hostname,
      kind: u.kind,
      url: u.url,
      app: u.app_name,
      addresses: u.kind === 'app' ? parseList(u.app_addresses) : [u.url!],
      weight: u.weight,
      status: u.status,
      host_header: u.host_header,
      host_sent: u.host_header ?? (u.kind === 'url' ? urlHostPort(u.url!) : null),
      created_at: u.created_at,
    };
  }

  toApp(a: AppRow): App {
    return {
      id: a.id,
      name: a.name,
      addresses: parseList(a.addresses),
      deploy_cmd: a.deploy_cmd,
      health_path: a.health_path,
      created_at: a.created_at,
      updated_at: a.updated_at,
    };
  }

  /** Members: the apps routed by a cluster, grouped from its app upstreams (first-upstream order). */
  members(c: ClusterRow): Member[] {
    const byApp = new Map<string, UpstreamRow[]>();
    const rows = this.upstreams(c.id)
      .filter((u) => u.kind === 'app')
      .sort((a, b) => a.id - b.id);
    for (const u of rows) {
      const list = byApp.get(u.app_name!) ?? [];
      list.push(u);
      byApp.set(u.app_name!, list);
    }
    return [...byApp].map(([app, ups]) => memberOf(c, app, ups));
  }

  /** One member (an app with upstreams in the cluster); 404 with candidates otherwise. */
  member(c: ClusterRow, ref: string): { member: Member; upstreams: UpstreamRow[] } {
    // A numeric reference is the app's id (as everywhere else); the member is then found by its name.
    const app = /^\d+$/.test(ref) ? (this.get<{ name: string }>('SELECT name FROM apps WHERE id = ?', Number(ref))?.name ?? ref) : ref;
    const ups = this.upstreams(c.id).filter((u) => u.kind === 'app' && u.app_name === app);
    if (ups.length > 0) return { member: memberOf(c, app, ups.sort((a, b) => a.id - b.id)), upstreams: ups };
    throw notFound('member', app, this.members(c).map((m) => m.app), { field: 'app', scope: `cluster ${c.name}` });
  }
}

/**
 * Resolves a name-or-id reference: all digits is an id. A name of digits alone stored before names
 * were refused that shape is found by name only when no row has that id (it can never hide one).
 */
function byRef<T>(ref: string, byId: (id: number) => T | undefined, byName: (name: string) => T | undefined): T | undefined {
  if (/^\d+$/.test(ref)) return (ref.length <= 15 ? byId(Number(ref)) : undefined) ?? byName(ref);
  return byName(ref);
}

/** A member's view: active when any of its upstreams is active; its weight is its first upstream's. */
export function memberOf(c: ClusterRow, app: string, ups: UpstreamRow[]): Member {
  return {
    cluster: c.name,
    app,
    status: ups.some((u) => u.status === 'active') ? 'active' : 'draining',
    weight: ups[0]?.weight ?? 0,
    variants: [...new Set(ups.map((u) => u.variant_name))],
    upstream_ids: ups.map((u) => u.id),
    addresses: parseList(ups[0]?.app_addresses ?? '[]'),
  };
}

/** The stored edge settings (secrets included); only for the server's own use. */
export function edgeConfigOf(c: ClusterRow): Record<string, string> {
  try {
    return JSON.parse(c.edge_config) as Record<string, string>;
  } catch {
    return {};
  }
}

/** edge_config as returned by the API: secrets masked, internal keys left out. */
export function edgeConfigView(c: ClusterRow): Cluster['edge_config'] {
  const ec = edgeConfigOf(c);
  const view: Cluster['edge_config'] = {};
  if (ec.cloudflare_zone_id) view.cloudflare_zone_id = ec.cloudflare_zone_id;
  if (ec.cloudflare_api_token) view.cloudflare_api_token = maskSecret(ec.cloudflare_api_token);
  if (ec.alb_target_group_arn) view.alb_target_group_arn = ec.alb_target_group_arn;
  if (ec.alb_region) view.alb_region = ec.alb_region;
  if (c.edge === 'dns_rr') view.dns_provider = (ec.dns_provider as 'zonefile' | 'rfc2136' | undefined) ?? 'zonefile';
  if (ec.dns_server) view.dns_server = ec.dns_server;
  if (ec.dns_zone) view.dns_zone = ec.dns_zone;
  return view;
}

export function parseList(json: string | null): string[] {
  if (json === null) return [];
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}
