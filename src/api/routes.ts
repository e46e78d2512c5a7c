// The endpoint table: one entry per endpoint. The client builds requests from it, the local
// control plane mounts handlers on it, and the OpenAPI document is generated from it.
import * as z from 'zod';
import * as s from './schemas.js';
import * as agent from './agent.js';
import { dashboardLink } from './dashboard.js';
import * as tokens from './tokens.js';
import * as maintenance from './maintenance.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route<B extends z.ZodType | undefined = z.ZodType | undefined, R extends z.ZodType = z.ZodType> {
  method: Method;
  /** Path template: `:cluster` accepts a name or a numeric id; `:id` is numeric. */
  path: string;
  summary: string;
  body?: B;
  /** Query parameters (all strings on the wire). */
  query?: Record<string, string>;
  response: R;
  status: number;
  /** Answered without a bearer token. */
  public?: boolean;
  /** Server-sent events instead of JSON. */
  stream?: boolean;
  /** Also answered for the cluster's agent tokens (the proxy agents' endpoints). */
  agent?: boolean;
  /**
   * The route can be previewed: `dry_run` (in the body where the body has it, or `?dry_run=true`)
   * computes the answer and changes nothing. Any other mutating route refuses `dry_run` with 400.
   */
  dryRun?: boolean;
  /** A larger body limit than the default 1 MiB (a whole cluster document). */
  maxBodyBytes?: number;
}

/** The body limit of POST …/apply: a document at the cluster limits (1,000 hostnames, 2,000 upstreams) with room to spare. */
export const MAX_DOCUMENT_BYTES = 8 * 1024 * 1024;

const route = <B extends z.ZodType | undefined, R extends z.ZodType>(r: Route<B, R>) => r;

const dryRunQuery = { dry_run: 'true to compute the plan without applying it' };
const preview = { query: dryRunQuery, dryRun: true } as const;

export const routes = {
  health: route({ method: 'GET', path: '/api/health', summary: 'Liveness of the control plane', response: s.health, status: 200, public: true }),
  openapi: route({ method: 'GET', path: '/api/openapi.json', summary: 'This document', response: z.unknown(), status: 200, public: true }),

  clusterList: route({ method: 'GET', path: '/api/clusters', summary: 'List clusters', response: s.clusterList, status: 200 }),
  clusterCreate: route({ method: 'POST', path: '/api/clusters', summary: 'Create a cluster', body: s.clusterCreateRequest, response: s.cluster, status: 201 }),
  clusterShow: route({ method: 'GET', path: '/api/clusters/:cluster', summary: 'A cluster with its domains, variants, upstreams and members', response: s.clusterDetail, status: 200 }),
  clusterUpdate: route({ method: 'PATCH', path: '/api/clusters/:cluster', summary: 'Change health settings, proxy count or edge credentials (what can change safely)', ...preview, body: s.clusterUpdateRequest, response: s.mutation(s.cluster, 'Cluster'), status: 200 }),
  clusterDestroy: route({ method: 'DELETE', path: '/api/clusters/:cluster', summary: 'Destroy a cluster (its proxy app stays unless with_proxy; dry_run names what would go)', query: { with_proxy: 'true to also remove the proxy app', ...dryRunQuery }, dryRun: true, response: s.cluster, status: 200 }),
  clusterStatus: route({ method: 'GET', path: '/api/clusters/:cluster/status', summary: 'Topology and live state', response: s.clusterStatus, status: 200 }),
  clusterEvents: route({ method: 'GET', path: '/api/clusters/:cluster/status/events', summary: 'Server-sent events: the status (event `status`) now and after every change', response: s.clusterStatus, status: 200, stream: true }),
  clusterExport: route({ method: 'GET', path: '/api/clusters/:cluster/export', summary: "The cluster's desired state as a document (what apply takes): no ids, no secrets", response: s.clusterExport, status: 200 }),
  clusterApply: route({
    method: 'POST',
    path: '/api/clusters/:cluster/apply',
    summary: 'Make a cluster match a document (creating it when missing): one transaction, one new generation; dry_run answers the plan',
    ...preview,
    body: s.clusterApplyRequest,
    response: s.clusterApplyResult,
    status: 200,
    maxBodyBytes: MAX_DOCUMENT_BYTES,
  }),
  proxyConfig: route({ method: 'GET', path: '/api/clusters/:cluster/proxy-config', summary: 'The rendered Caddyfile and proxy env vars', response: s.proxyConfig, status: 200 }),

  domainList: route({ method: 'GET', path: '/api/clusters/:cluster/domains', summary: 'List hostnames', response: s.domainList, status: 200 }),
  domainAdd: route({ method: 'POST', path: '/api/clusters/:cluster/domains', summary: 'Add a hostname', ...preview, body: s.domainAddRequest, response: s.mutation(s.domain, 'Domain'), status: 201 }),
  domainRemove: route({ method: 'DELETE', path: '/api/clusters/:cluster/domains/:hostname', summary: 'Remove a hostname', ...preview, response: s.mutation(s.domain, 'Domain'), status: 200 }),

  variantList: route({ method: 'GET', path: '/api/clusters/:cluster/variants', summary: 'List variants', response: s.variantList, status: 200 }),
  variantAdd: route({ method: 'POST', path: '/api/clusters/:cluster/variants', summary: 'Add a variant', ...preview, body: s.variantAddRequest, response: s.mutation(s.variant, 'Variant'), status: 201 }),
  variantUpdate: route({ method: 'PATCH', path: '/api/clusters/:cluster/variants/:variant', summary: 'Change a variant', ...preview, body: s.variantUpdateRequest, response: s.mutation(s.variant, 'Variant'), status: 200 }),
  variantRemove: route({ method: 'DELETE', path: '/api/clusters/:cluster/variants/:variant', summary: 'Remove a variant and its upstreams', ...preview, response: s.mutation(s.variant, 'Variant'), status: 200 }),

  upstreamList: route({ method: 'GET', path: '/api/clusters/:cluster/upstreams', summary: 'List upstreams', response: s.upstreamList, status: 200 }),
  upstreamAdd: route({ method: 'POST', path: '/api/clusters/:cluster/upstreams', summary: 'Add an upstream (URL or app) to a variant', ...preview, body: s.upstreamAddRequest, response: s.mutation(s.upstream, 'Upstream'), status: 201 }),
  upstreamRemove: route({ method: 'DELETE', path: '/api/clusters/:cluster/upstreams/:id', summary: 'Remove an upstream', query: { ...dryRunQuery, force: 'true to remove it even when a served hostname would be left with no healthy upstream' }, dryRun: true, response: s.mutation(s.upstream, 'Upstream'), status: 200 }),

  switch: route({ method: 'POST', path: '/api/clusters/:cluster/switch', summary: 'Route every hostname to one variant, atomically', ...preview, body: s.switchRequest, response: s.switchResult, status: 200 }),

  memberList: route({ method: 'GET', path: '/api/clusters/:cluster/members', summary: 'List members (apps in the cluster)', response: s.memberList, status: 200 }),
  memberAdd: route({ method: 'POST', path: '/api/clusters/:cluster/members', summary: 'Add an app as a member', ...preview, body: s.memberAddRequest, response: s.mutation(s.member, 'Member'), status: 201 }),
  memberDrain: route({ method: 'POST', path: '/api/clusters/:cluster/members/:app/drain', summary: 'Stop new traffic to a member', ...preview, body: s.memberDrainRequest, response: s.mutation(s.member, 'Member'), status: 200 }),
  memberUndrain: route({ method: 'POST', path: '/api/clusters/:cluster/members/:app/undrain', summary: 'Route new traffic to a member again', ...preview, body: s.dryRunRequest, response: s.mutation(s.member, 'Member'), status: 200 }),
  memberWeight: route({ method: 'PUT', path: '/api/clusters/:cluster/members/:app/weight', summary: "Set a member's weight (0 = no traffic)", ...preview, body: s.memberWeightRequest, response: s.mutation(s.member, 'Member'), status: 200 }),
  memberRemove: route({ method: 'DELETE', path: '/api/clusters/:cluster/members/:app', summary: 'Remove a member from routing', ...preview, response: s.mutation(s.member, 'Member'), status: 200 }),

  maintenanceList: route({ method: 'GET', path: '/api/maintenance', summary: 'Hosts under maintenance and what each drained', response: maintenance.maintenanceList, status: 200 }),
  maintenanceShow: route({ method: 'GET', path: '/api/maintenance/:host', summary: 'One host under maintenance: what it drained, requests still in flight to it', response: maintenance.maintenanceHost, status: 200 }),
  maintenanceStart: route({ method: 'POST', path: '/api/maintenance/:host/start', summary: 'Drain every upstream address on a host, in every cluster', ...preview, body: maintenance.maintenanceStartRequest, response: maintenance.maintenanceChange, status: 200 }),
  maintenanceEnd: route({ method: 'POST', path: '/api/maintenance/:host/end', summary: 'Undrain exactly what maintenance of the host drained', ...preview, body: maintenance.maintenanceEndRequest, response: maintenance.maintenanceChange, status: 200 }),

  deployStart: route({ method: 'POST', path: '/api/clusters/:cluster/deploys', summary: 'Start a deploy job', body: s.deployRequest, response: s.deploy, status: 202 }),
  deployList: route({ method: 'GET', path: '/api/clusters/:cluster/deploys', summary: 'Recent deploy jobs', response: s.deployList, status: 200 }),
  deployShow: route({ method: 'GET', path: '/api/clusters/:cluster/deploys/:id', summary: 'A deploy job snapshot', response: s.deploy, status: 200 }),
  deployEvents: route({ method: 'GET', path: '/api/clusters/:cluster/deploys/:id/events', summary: 'Server-sent events: every step and log line (query after=<seq>)', query: { after: 'last seen event seq' }, response: s.deployEvent, status: 200, stream: true }),
  deployAbort: route({ method: 'POST', path: '/api/clusters/:cluster/deploys/:id/abort', summary: 'Finish the current step safely, undrain, and stop', body: z.object({}).optional(), response: s.deploy, status: 202 }),

  agentConfig: route({
    method: 'GET',
    path: '/api/clusters/:cluster/agent/config',
    summary: "The cluster's config for its proxy agents; waits up to `wait` seconds for a generation newer than `after` (204 when none came)",
    query: { after: 'the generation the agent serves', wait: 'seconds to wait for a newer one (0-25, default 0)' },
    response: agent.agentConfig,
    status: 200,
    agent: true,
  }),
  agentReport: route({
    method: 'POST',
    path: '/api/clusters/:cluster/agent/report',
    summary: 'A proxy agent reports what it serves (registers it on the first report); answers the current generation',
    body: agent.agentReport,
    response: agent.agentReportResult,
    status: 200,
    agent: true,
  }),

  tokenList: route({ method: 'GET', path: '/api/tokens', summary: 'Operator and agent tokens (never their secrets)', response: tokens.tokenList, status: 200 }),
  tokenCreate: route({
    method: 'POST',
    path: '/api/tokens',
    summary: 'Create an operator token, or with `cluster` an agent token of that cluster; the secret is in this answer only',
    body: tokens.tokenCreateRequest,
    response: tokens.tokenCreated,
    status: 201,
  }),
  tokenRevoke: route({ method: 'DELETE', path: '/api/tokens/:id', summary: 'Revoke a token: it is refused from the next request on', response: tokens.token, status: 200 }),

  dashboardLink: route({ method: 'POST', path: '/api/dashboard/links', summary: 'A one-time login link for the web dashboard (valid once, for 5 minutes)', body: z.object({}).optional(), response: dashboardLink, status: 201 }),

  appList: route({ method: 'GET', path: '/api/local/apps', summary: 'List local apps', response: s.appList, status: 200 }),
  appCreate: route({ method: 'POST', path: '/api/local/apps', summary: 'Create a local app', body: s.appCreateRequest, response: s.app, status: 201 }),
  appShow: route({ method: 'GET', path: '/api/local/apps/:app', summary: 'A local app', response: s.app, status: 200 }),
  appUpdate: route({ method: 'PATCH', path: '/api/local/apps/:app', summary: "Change a local app (addresses changes reconcile every cluster that uses it)", body: s.appUpdateRequest, response: s.app, status: 200 }),
  appRemove: route({ method: 'DELETE', path: '/api/local/apps/:app', summary: 'Remove a local app (refused while a cluster uses it)', response: s.app, status: 200 }),
} as const;

export type Routes = typeof routes;
export type RouteName = keyof Routes;
export type ResponseOf<N extends RouteName> = z.output<Routes[N]['response']>;
export type BodyOf<N extends RouteName> = Routes[N] extends { body: infer B extends z.ZodType } ? z.input<B> : never;

/** Fills a path template; every value is URI-encoded. */
export function fillPath(template: string, params: Record<string, string | number>): string {
  return template.replace(/:([a-z_]+)/g, (_, k: string) => {
    const v = params[k];
    if (v === undefined) throw new Error(`missing path parameter ${k} for ${template}`);
    return encodeURIComponent(String(v));
  });
}
