// The API contract: every resource, request and response body, one source for the CLI's
// client, the local control plane and the generated OpenAPI document.
import * as z from 'zod';
import { edgeModeSchema } from '../inputs/index.js';
import { memberStatus, variantStatus, strategy } from './requests.js';

// The request bodies (and the enums they share with the resources) live in ./requests.ts, so a
// command that only validates its input does not build every response schema.
export * from './requests.js';
export * from './cluster-document.js';

const id = z.number().int().positive();
const timestamp = z.string().describe('RFC 3339 time');

// ---------- errors ----------
/** The one error body every endpoint returns on failure. */
export const errorBody = z
  .object({
    error: z.object({
      code: z.enum(['invalid', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'timeout', 'unavailable', 'failed', 'internal']),
      message: z.string(),
      field: z.string().optional(),
      value: z.string().optional(),
      rule: z.string().optional(),
      hint: z.string().optional(),
      candidates: z.array(z.string()).optional(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof errorBody>;

// ---------- shared pieces ----------

export const healthSettings = z
  .object({ path: z.string(), interval: z.string(), timeout: z.string() })
  .meta({ id: 'HealthSettings' });

/** Edge settings as returned: secrets are masked, never returned. */
export const edgeConfigView = z
  .object({
    cloudflare_zone_id: z.string().optional(),
    cloudflare_api_token: z.string().optional().describe('masked: "…" + last 4 characters'),
    alb_target_group_arn: z.string().optional(),
    alb_region: z.string().optional(),
    dns_provider: z.enum(['zonefile', 'rfc2136']).optional(),
    dns_server: z.string().optional(),
    dns_zone: z.string().optional(),
  })
  .meta({ id: 'EdgeConfig' });

// ---------- resources ----------
export const cluster = z
  .object({
    id,
    name: z.string(),
    edge: edgeModeSchema,
    edge_config: edgeConfigView,
    edge_allow_private_addresses: z.boolean().default(false).describe('cloudflare and aws_alb publish loopback and private-use proxy addresses too'),
    proxy_count: z.number().int(),
    proxy_app: z.string().nullable(),
    health: healthSettings,
    hostnames: z.array(z.string()),
    variants: z.array(z.object({ name: z.string(), weight: z.number().int(), status: variantStatus })),
    upstream_count: z.number().int(),
    member_count: z.number().int(),
    generation: z.number().int().describe('increments on every routing change'),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Cluster' });
export type Cluster = z.infer<typeof cluster>;

export const domain = z
  .object({ id, cluster: z.string(), hostname: z.string(), env_name: z.string(), created_at: timestamp })
  .meta({ id: 'Domain' });
export type Domain = z.infer<typeof domain>;

export const variant = z
  .object({
    id,
    cluster: z.string(),
    name: z.string(),
    weight: z.number().int(),
    status: variantStatus,
    description: z.string(),
    routed: z.boolean().describe('weight > 0 and status active'),
    created_at: timestamp,
  })
  .meta({ id: 'Variant' });
export type Variant = z.infer<typeof variant>;

export const upstream = z
  .object({
    id,
    cluster: z.string(),
    variant: z.string(),
    hostname: z.string().nullable().describe('null: serves every hostname of the cluster'),
    kind: z.enum(['url', 'app']),
    url: z.string().nullable(),
    app: z.string().nullable(),
    addresses: z.array(z.string()).describe('what the upstream resolves to now'),
    weight: z.number().int(),
    status: memberStatus,
    host_header: z.string().nullable(),
    host_sent: z
      .string()
      .nullable()
      .optional()
      .describe("the Host header the proxies send it: host_header, else a URL upstream's own host:port (Caddy's {upstream_hostport}), else null for the requested hostname"),
    created_at: timestamp,
  })
  .meta({ id: 'Upstream' });
export type Upstream = z.infer<typeof upstream>;

export const member = z
  .object({
    cluster: z.string(),
    app: z.string(),
    status: z.enum(['active', 'draining', 'removed']),
    weight: z.number().int(),
    variants: z.array(z.string()),
    upstream_ids: z.array(id),
    addresses: z.array(z.string()),
  })
  .meta({ id: 'Member' });
export type Member = z.infer<typeof member>;

export const app = z
  .object({
    id,
    name: z.string(),
    addresses: z.array(z.string()),
    deploy_cmd: z.string().nullable(),
    health_path: z.string(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'App' });
export type App = z.infer<typeof app>;

// ---------- plans (dry runs and applied changes) ----------
export const edgeRecord = z
  .object({ hostname: z.string(), type: z.enum(['A', 'AAAA', 'target']), value: z.string() })
  .meta({ id: 'EdgeRecord' });
export type EdgeRecordView = z.infer<typeof edgeRecord>;

export const plan = z
  .object({
    cluster: z.string(),
    applied: z.boolean(),
    env: z.array(z.object({ name: z.string(), hostname: z.string().nullable(), before: z.string().nullable(), after: z.string().nullable(), changed: z.boolean() })),
    caddyfile_changed: z.boolean(),
    edge: z.object({ added: z.array(edgeRecord), removed: z.array(edgeRecord) }),
    settings: z
      .array(z.object({ name: z.string().describe('e.g. health.path, proxy_count, edge_config.dns_server'), before: z.string().nullable(), after: z.string().nullable() }))
      .optional()
      .describe('cluster settings the change sets (cluster update only); secrets show as "(changed)"'),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'Plan' });
export type Plan = z.infer<typeof plan>;

/** Every routing mutation answers with the resource it changed and the plan it applied (or would apply). */
export function mutation<T extends z.ZodType>(resource: T, name: string) {
  return z.object({ result: resource, plan }).meta({ id: `${name}Mutation` });
}

// ---------- status (topology) ----------
export const proxyStatus = z
  .object({
    index: z.number().int(),
    name: z.string().default('').describe('the proxy in its cluster: proxy-<i> for local replicas, the agent\'s --name elsewhere'),
    address: z.string().describe('the address the edge publishes'),
    port: z.number().int(),
    listen: z.string().nullable().default(null).describe('address:port the proxy serves on'),
    host: z.string().nullable().default(null).describe('the machine its agent runs on'),
    state: z.enum(['running', 'starting', 'stopped', 'failed', 'not_installed', 'external', 'lost']).describe('lost: its agent stopped reporting'),
    pid: z.number().int().nullable(),
    healthz: z.enum(['ok', 'failing', 'unknown']),
    generation_applied: z.number().int().nullable(),
    last_error: z.string().nullable(),
    agent_version: z.string().nullable().default(null),
    caddy_version: z.string().nullable().default(null),
    instance_id: z.string().nullable().default(null),
    last_seen: timestamp.nullable().default(null).describe('its agent\'s last report'),
    lagging: z.boolean().default(false).describe('it serves an older generation than the cluster\'s'),
    edge: z
      .enum(['published', 'out', 'refused'])
      .nullable()
      .default(null)
      .describe('published: the edge sends it traffic; out: left out while unhealthy or lost; refused: the edge may not publish it (edge_reason says why); null: edge none'),
    edge_reason: z.string().nullable().default(null).describe('why the edge leaves it out or refuses it'),
    fallbacks: z
      .array(z.object({ hostname: z.string(), fallback: z.enum(['draining', 'unhealthy']), detail: z.string() }))
      .default([])
      .describe('hostnames this proxy serves through draining members (every active one is down) or with no healthy member'),
  })
  .meta({ id: 'ProxyStatus' });

export const upstreamHealth = z.enum(['healthy', 'unhealthy', 'unknown']);

export const clusterStatus = z
  .object({
    cluster,
    generation: z.number().int(),
    proxies: z.array(proxyStatus),
    proxy_note: z.string().nullable().describe('e.g. how to install Caddy when it is missing'),
    hostnames: z.array(
      z.object({
        hostname: z.string(),
        env_name: z.string(),
        env_value: z.string(),
        draining_fallback: z.boolean(),
        variants: z.array(
          z.object({
            name: z.string(),
            weight: z.number().int(),
            status: variantStatus,
            routed: z.boolean(),
            upstreams: z.array(
              z.object({
                id,
                kind: z.enum(['url', 'app']),
                target: z.string(),
                host_header: z.string().nullable(),
                host_sent: z.string().optional().describe("the Host header the proxies send this upstream for this hostname: host_header, else a URL upstream's own host:port, else the hostname"),
                weight: z.number().int(),
                status: memberStatus,
                share: z.number().describe('fraction of the hostname traffic, 0..1'),
                addresses: z.array(z.object({ address: z.string(), health: upstreamHealth })),
                health: upstreamHealth,
              }),
            ),
          }),
        ),
      }),
    ),
    edge: z.object({
      mode: edgeModeSchema,
      records: z.array(edgeRecord),
      reconciled_at: timestamp.nullable(),
      error: z.string().nullable(),
      note: z.string().nullable(),
      targets: z
        .array(z.object({ target: z.string().describe('ip:port'), state: z.string().describe('e.g. healthy, initial, draining, unhealthy'), reason: z.string().nullable() }))
        .nullable()
        // A control plane from before this field sends none: read as null, not as a broken contract.
        .default(null)
        .describe("the provider's own view of each target (aws_alb: DescribeTargetHealth); null for edges that have none"),
    }),
    deploy: z.object({ id, state: z.string() }).nullable(),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'ClusterStatus' });
export type ClusterStatus = z.infer<typeof clusterStatus>;

export const proxyConfig = z
  .object({
    cluster: z.string(),
    generation: z.number().int(),
    caddyfile: z.string(),
    env: z.record(z.string(), z.string()),
    files: z.object({ caddyfile: z.string(), env: z.string() }).describe('paths on the control plane host'),
  })
  .meta({ id: 'ProxyConfig' });
export type ProxyConfig = z.infer<typeof proxyConfig>;

// ---------- deploys ----------
export const memberStep = z.enum(['pending', 'draining', 'deploying', 'health-checking', 'undraining', 'done', 'failed', 'skipped']);
export const deployState = z.enum(['queued', 'running', 'succeeded', 'failed', 'aborted', 'interrupted']);
export const deploy = z
  .object({
    id,
    cluster: z.string(),
    strategy,
    state: deployState,
    members: z.array(
      z.object({
        app: z.string(),
        addresses: z.array(z.string()),
        step: memberStep,
        started_at: timestamp.nullable(),
        finished_at: timestamp.nullable(),
        error: z.string().nullable(),
      }),
    ),
    skipped: z.array(z.object({ upstream_id: id, url: z.string(), reason: z.string() })),
    error: z.string().nullable(),
    created_at: timestamp,
    finished_at: timestamp.nullable(),
  })
  .meta({ id: 'Deploy' });
export type Deploy = z.infer<typeof deploy>;

/** States after which a deploy job never changes again. */
export const FINISHED_STATES: readonly Deploy['state'][] = ['succeeded', 'failed', 'aborted', 'interrupted'];

export const deployEvent = z
  .object({
    seq: z.number().int(),
    deploy_id: id,
    at: timestamp,
    type: z.enum(['state', 'step', 'log', 'warning', 'result']),
    app: z.string().nullable(),
    step: memberStep.nullable(),
    state: deployState.nullable(),
    message: z.string(),
  })
  .meta({ id: 'DeployEvent' });
export type DeployEvent = z.infer<typeof deployEvent>;

// ---------- responses to requests ----------
export const switchResult = z
  .object({ cluster: z.string(), to: z.string(), variants: z.array(variant), plan })
  .meta({ id: 'SwitchResult' });
export type SwitchResult = z.infer<typeof switchResult>;

export const health = z
  .object({ ok: z.literal(true), service: z.literal('ownstack-control-plane'), version: z.string(), pid: z.number().int() })
  .meta({ id: 'Health' });
export type Health = z.infer<typeof health>;

// list wrappers
export const clusterList = z.object({ clusters: z.array(cluster) }).meta({ id: 'ClusterList' });
export const domainList = z.object({ domains: z.array(domain) }).meta({ id: 'DomainList' });
export const variantList = z.object({ variants: z.array(variant) }).meta({ id: 'VariantList' });
export const upstreamList = z.object({ upstreams: z.array(upstream) }).meta({ id: 'UpstreamList' });
export const memberList = z.object({ members: z.array(member) }).meta({ id: 'MemberList' });
export const appList = z.object({ apps: z.array(app) }).meta({ id: 'AppList' });
export const deployList = z.object({ deploys: z.array(deploy) }).meta({ id: 'DeployList' });
export const clusterDetail = z
  .object({ cluster, domains: z.array(domain), variants: z.array(variant), upstreams: z.array(upstream), members: z.array(member) })
  .meta({ id: 'ClusterDetail' });
export type ClusterDetail = z.infer<typeof clusterDetail>;

// ---------- cluster documents (export / apply) ----------
/** One setting or field a change touches, before and after (null: absent). */
const fieldChange = z.object({ field: z.string(), before: z.string().nullable(), after: z.string().nullable() });
/** An upstream named as a document names it (no id: ids differ between control planes). */
const upstreamRef = z.object({
  variant: z.string(),
  hostname: z.string().nullable().describe('null: every hostname'),
  url: z.string().nullable(),
  app: z.string().nullable(),
});

/** GET /api/clusters/:cluster/export: the cluster's desired state, secrets left out, no ids. */
export const clusterExport = z
  .object({
    name: z.string(),
    edge: edgeModeSchema,
    edge_config: z.record(z.string(), z.string()).describe('the stored edge settings without secrets (the Cloudflare token and TSIG secret are never exported)'),
    edge_allow_private_addresses: z.boolean().optional().describe('present (true) when cloudflare or aws_alb may publish private addresses'),
    proxy_count: z.number().int(),
    proxy_app: z.string().nullable(),
    health: healthSettings,
    hostnames: z.array(z.string()),
    variants: z.array(z.object({ name: z.string(), weight: z.number().int(), status: variantStatus, description: z.string() })),
    upstreams: z.array(
      z.object({
        variant: z.string(),
        hostname: z.string().optional().describe('left out: every hostname'),
        url: z.string().optional(),
        app: z.string().optional(),
        weight: z.number().int(),
        status: memberStatus,
        host_header: z.string().optional().describe('left out: the default Host'),
      }),
    ),
    members: z.array(z.object({ app: z.string(), variants: z.array(z.string()), status: memberStatus })),
  })
  .meta({ id: 'ClusterExport' });
export type ClusterExport = z.infer<typeof clusterExport>;

/** POST /api/clusters/:cluster/apply: what changed (or would), and the plan. */
export const clusterApplyResult = z
  .object({
    cluster: z.string(),
    created: z.boolean().describe('the cluster did not exist and was created (dry run: would be)'),
    changed: z.boolean().describe('false: the cluster already matched the document; nothing was written and the generation stayed'),
    generation: z.number().int().describe('the generation after the apply (dry run: the current one)'),
    changes: z.object({
      settings: z.array(fieldChange),
      hostnames: z.object({ added: z.array(z.string()), removed: z.array(z.string()) }),
      variants: z.object({
        added: z.array(z.string()),
        updated: z.array(z.object({ name: z.string(), fields: z.array(fieldChange) })),
        removed: z.array(z.string()),
      }),
      upstreams: z.object({
        added: z.array(upstreamRef),
        updated: z.array(upstreamRef.extend({ fields: z.array(fieldChange) })),
        removed: z.array(upstreamRef),
      }),
    }),
    plan,
  })
  .meta({ id: 'ClusterApplyResult' });
export type ClusterApplyResult = z.infer<typeof clusterApplyResult>;
export type UpstreamRef = z.infer<typeof upstreamRef>;
