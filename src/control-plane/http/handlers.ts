// One thin handler per route of the contract: each names the service operation it runs and how
// (in the request's transaction, as an async read, or as a stream); the agent endpoints' long-poll.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentReport } from '../../api/agent.js';
import type { RouteName } from '../../api/routes.js';
import { HttpError, invalid } from '../http-error.js';
import { applyCluster, checkApply } from '../service/cluster-apply.js';
import { destroyCluster } from '../service/cluster-destroy.js';
import { parseId } from '../service/deploys.js';
import type { Maintenance } from '../service/maintenance.js';
import type { Outcome } from '../service/service.js';
import type { ClusterRow } from '../store/store.js';
import { queryBool } from './request-target.js';
import { sendJson } from './respond.js';
import type { HttpDeps } from './router.js';
import type { Dashboard } from '../../dashboard/server.js';
import { streamClusterStatus, streamEvents, type EventResponse } from './sse.js';

/** Longest long-poll of an agent (below the client's 30 s headers timeout). */
export const MAX_AGENT_WAIT_S = 25;

/** What a handler sees: decoded path parameters, the query, the validated body. */
export interface Ctx {
  params: Record<string, string>;
  query: URLSearchParams;
  // The validated body: its type is the route's schema output, checked by the schema at runtime.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  dryRun: boolean;
  caller: Caller;
}

/** The operator, or the agents of one cluster (`local`: the local replicas' token). */
export type Caller = { kind: 'operator' } | { kind: 'agent'; clusterId: number; local: boolean };

export interface Handler {
  /** Async work before the transaction (e.g. verifying edge credentials). */
  prepare?: (ctx: Ctx) => Promise<void>;
  /** The synchronous operation; runs inside the request's transaction. */
  run?: (ctx: Ctx) => Outcome<unknown>;
  /** Read-only operations that need I/O (status). */
  read?: (ctx: Ctx) => Promise<unknown>;
  /** Streaming responses (SSE). */
  stream?: (ctx: Ctx, req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/** The handler of every route. */
export function buildHandlers(deps: HttpDeps & { maintenance: Maintenance }, dashboard: Dashboard): Record<RouteName, Handler> {
  const { service: svc, deploys } = deps;
  const tokenService = () => {
    if (!deps.tokens) throw new HttpError(501, { code: 'unavailable', message: 'this control plane keeps no tokens' });
    return deps.tokens;
  };
  // The router's one instance, shared with the dashboard.
  const { maintenance } = deps;
  return {
    health: {
      read: async () => ({ ok: true, service: 'ownstack-control-plane', version: deps.version, pid: process.pid }),
    },
    openapi: {
      read: async () => {
        try {
          return await deps.openapi();
        } catch (err) {
          throw new HttpError(501, { code: 'unavailable', message: `the OpenAPI document is not available in this build: ${(err as Error).message}` });
        }
      },
    },
    clusterList: { run: () => svc.clusterList() },
    clusterCreate: {
      prepare: (ctx) => svc.clusterCreateCheck(ctx.body),
      run: (ctx) => svc.clusterCreate(ctx.body),
    },
    clusterShow: { run: (ctx) => svc.clusterShow(ctx.params.cluster!) },
    clusterUpdate: {
      prepare: (ctx) => svc.clusterUpdateCheck(ctx.params.cluster!, ctx.body),
      run: (ctx) => svc.clusterUpdate(ctx.params.cluster!, ctx.body),
    },
    clusterDestroy: {
      read: async (ctx) =>
        destroyCluster(svc, ctx.params.cluster!, { withProxy: queryBool(ctx.query, 'with_proxy'), dryRun: ctx.dryRun, deployOf: (id) => deploys.log.current(id), log: deps.log }),
    },
    clusterExport: { run: (ctx) => svc.clusterExport(ctx.params.cluster!) },
    clusterApply: {
      prepare: (ctx) => checkApply(svc, ctx.params.cluster!, ctx.body.document, ctx.dryRun),
      run: (ctx) => applyCluster(svc, ctx.params.cluster!, ctx.body, (id) => deploys.log.current(id)),
    },
    clusterStatus: { read: (ctx) => svc.clusterStatus(ctx.params.cluster!, deploys.log) },
    proxyConfig: { read: async (ctx) => svc.proxyConfig(ctx.params.cluster!) },

    domainList: { run: (ctx) => svc.domainList(ctx.params.cluster!) },
    domainAdd: { run: (ctx) => svc.domainAdd(ctx.params.cluster!, ctx.body) },
    domainRemove: { run: (ctx) => svc.domainRemove(ctx.params.cluster!, ctx.params.hostname!, ctx.dryRun) },

    variantList: { run: (ctx) => svc.variantList(ctx.params.cluster!) },
    variantAdd: { run: (ctx) => svc.variantAdd(ctx.params.cluster!, ctx.body) },
    variantUpdate: { prepare: (ctx) => svc.prepareGate(ctx.params.cluster!), run: (ctx) => svc.variantUpdate(ctx.params.cluster!, ctx.params.variant!, ctx.body) },
    variantRemove: { run: (ctx) => svc.variantRemove(ctx.params.cluster!, ctx.params.variant!, ctx.dryRun) },

    upstreamList: { run: (ctx) => svc.upstreamList(ctx.params.cluster!) },
    upstreamAdd: { run: (ctx) => svc.upstreamAdd(ctx.params.cluster!, ctx.body) },
    upstreamRemove: { prepare: (ctx) => svc.prepareGate(ctx.params.cluster!), run: (ctx) => svc.upstreamRemove(ctx.params.cluster!, parseId(ctx.params.id!), ctx.dryRun, queryBool(ctx.query, 'force')) },

    switch: { prepare: (ctx) => svc.prepareGate(ctx.params.cluster!), run: (ctx) => svc.switch(ctx.params.cluster!, ctx.body) },

    memberList: { run: (ctx) => svc.memberList(ctx.params.cluster!) },
    memberAdd: { run: (ctx) => svc.memberAdd(ctx.params.cluster!, ctx.body) },
    memberDrain: { prepare: (ctx) => svc.prepareGate(ctx.params.cluster!), run: (ctx) => svc.memberDrain(ctx.params.cluster!, ctx.params.app!, ctx.dryRun, ctx.body?.force ?? false) },
    memberUndrain: { run: (ctx) => svc.memberUndrain(ctx.params.cluster!, ctx.params.app!, ctx.dryRun) },
    memberWeight: { prepare: (ctx) => svc.prepareGate(ctx.params.cluster!), run: (ctx) => svc.memberWeight(ctx.params.cluster!, ctx.params.app!, ctx.body) },
    memberRemove: { run: (ctx) => svc.memberRemove(ctx.params.cluster!, ctx.params.app!, ctx.dryRun) },

    maintenanceList: { run: () => maintenance.list() },
    maintenanceShow: { run: (ctx) => maintenance.show(ctx.params.host!) },
    maintenanceStart: { run: (ctx) => maintenance.start(ctx.params.host!, ctx.body) },
    maintenanceEnd: { run: (ctx) => maintenance.end(ctx.params.host!, ctx.body) },

    deployStart: { run: (ctx) => deploys.start(ctx.params.cluster!, ctx.body) },
    deployList: { run: (ctx) => deploys.list(ctx.params.cluster!) },
    deployShow: { run: (ctx) => deploys.show(ctx.params.cluster!, ctx.params.id!) },
    deployEvents: { stream: (ctx, _req, res) => streamEvents(deploys, ctx.params.cluster!, ctx.params.id!, ctx.query, res as EventResponse) },
    deployAbort: { run: (ctx) => deploys.abort(ctx.params.cluster!, ctx.params.id!) },
    clusterEvents: { stream: (ctx, _req, res) => streamClusterStatus(svc, deploys, deps.fleet, ctx.params.cluster!, res as EventResponse) },
    dashboardLink: { read: async () => dashboard.link() },

    agentConfig: { stream: (ctx, _req, res) => serveAgentConfig(deps, ctx, res) },
    agentReport: { stream: (ctx, _req, res) => receiveAgentReport(deps, ctx, res) },

    tokenList: { run: () => tokenService().list() },
    tokenCreate: { run: (ctx) => tokenService().create(ctx.body) },
    tokenRevoke: { run: (ctx) => tokenService().revoke(parseId(ctx.params.id!)) },

    appList: { run: () => svc.appList() },
    appCreate: { run: (ctx) => svc.appCreate(ctx.body) },
    appShow: { run: (ctx) => svc.appShow(ctx.params.app!) },
    appUpdate: { run: (ctx) => svc.appUpdate(ctx.params.app!, ctx.body) },
    appRemove: { run: (ctx) => svc.appRemove(ctx.params.app!) },
  };
}

/** The cluster an agent endpoint names, which an agent token must be for. */
function agentCluster(deps: HttpDeps, ctx: Ctx): ClusterRow {
  const c = deps.service.cluster(ctx.params.cluster!);
  if (ctx.caller.kind === 'agent' && ctx.caller.clusterId !== c.id) {
    throw new HttpError(403, { code: 'forbidden', message: `this agent token is not for cluster ${c.name}`, field: 'Authorization', rule: "an agent token of the cluster named in the path" });
  }
  return c;
}

/** GET …/agent/config: the config now, or (long-poll) once a generation newer than `after` exists. */
async function serveAgentConfig(deps: HttpDeps, ctx: Ctx, res: ServerResponse): Promise<void> {
  const c = agentCluster(deps, ctx);
  const after = ctx.query.get('after');
  const waitRaw = ctx.query.get('wait') ?? '0';
  if (after !== null && !/^\d{1,15}$/.test(after)) throw invalid(`invalid after ${JSON.stringify(after)}: a generation number`, { field: 'after', value: after, rule: 'a whole number' });
  if (!/^\d{1,2}$/.test(waitRaw) || Number(waitRaw) > MAX_AGENT_WAIT_S) {
    throw invalid(`invalid wait ${JSON.stringify(waitRaw)}: seconds from 0 to ${MAX_AGENT_WAIT_S}`, { field: 'wait', value: waitRaw, rule: `0 to ${MAX_AGENT_WAIT_S}` });
  }
  if (deps.fleet?.closed) throw shuttingDown();
  const deadline = Date.now() + Number(waitRaw) * 1_000;
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  for (;;) {
    const row = deps.service.clusterById(c.id);
    if (!row) throw new HttpError(404, { code: 'not_found', message: `cluster ${c.name} was destroyed` });
    if (after === null || row.generation > Number(after)) {
      sendJson(res, 200, deps.service.agentConfig(row));
      return;
    }
    const left = deadline - Date.now();
    if (left <= 0 || gone.signal.aborted || !deps.fleet || deps.fleet.closed) break;
    await deps.fleet.waitForChange(c.id, left, gone.signal);
  }
  if (deps.fleet?.closed) throw shuttingDown();
  if (!res.writableEnded && !res.destroyed) {
    res.writeHead(204, { 'cache-control': 'no-store' });
    res.end();
  }
}

/** What an agent hears while the control plane closes: try again later, on a new connection. */
function shuttingDown(): HttpError {
  return new HttpError(503, { code: 'unavailable', message: 'the control plane is shutting down', hint: 'the proxies keep serving; agents retry with backoff' });
}

/** POST …/agent/report: records a proxy's report; answers the cluster's generation. */
async function receiveAgentReport(deps: HttpDeps, ctx: Ctx, res: ServerResponse): Promise<void> {
  const c = agentCluster(deps, ctx);
  if (!deps.fleet) throw new HttpError(501, { code: 'unavailable', message: 'this control plane keeps no proxy reports' });
  const report = ctx.body as AgentReport;
  if (report.cluster !== c.name) throw invalid(`the report is for cluster ${JSON.stringify(report.cluster)}, not ${c.name}`, { field: 'cluster', value: report.cluster, rule: 'the cluster in the path' });
  // Only the local replicas' token may claim a local replica's slot.
  const m = /^proxy-(\d+)$/.exec(report.name);
  const localIndex = ctx.caller.kind === 'agent' && ctx.caller.local && m ? Number(m[1]) : null;
  deps.fleet.receive(c.id, report, localIndex);
  sendJson(res, 200, { generation: c.generation });
}
