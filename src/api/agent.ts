// The proxy agent's half of the contract: what the control plane hands an agent (its cluster's
// config at one generation) and what an agent reports back (what it serves, and how the members
// look from where it stands). Apart from schemas.ts so the agent loads only this.
import * as z from 'zod';

const memberStatus = z.enum(['active', 'draining']);

/** A cluster's routing input (src/proxy/types.ts RenderCluster), as the wire carries it. */
export const renderClusterSchema = z
  .object({
    name: z.string(),
    health: z.object({ path: z.string(), interval: z.string(), timeout: z.string() }),
    domains: z.array(z.object({ hostname: z.string() })),
    variants: z.array(z.object({ id: z.number().int(), name: z.string(), weight: z.number().int().min(0), status: memberStatus })),
    upstreams: z.array(
      z.object({
        id: z.number().int(),
        variantId: z.number().int(),
        hostname: z.string().nullable(),
        kind: z.enum(['app', 'url']),
        url: z.string().nullable(),
        app: z.string().nullable(),
        addresses: z.array(z.string()),
        weight: z.number().int().min(0),
        status: memberStatus,
        hostHeader: z.string().nullable(),
        drainedAddresses: z.array(z.string()).optional(),
      }),
    ),
  })
  .meta({ id: 'RoutingInput' });

/** Version of the agent document; an agent refuses a document it does not know. */
export const AGENT_SCHEMA = 1;

export const agentConfig = z
  .object({
    schema: z.literal(AGENT_SCHEMA),
    cluster: z.string(),
    cluster_id: z.number().int(),
    generation: z.number().int(),
    /** caddy: the agent runs Caddy with dynamic upstreams; command: a bring-your-own proxy command with the contract env. */
    mode: z.enum(['caddy', 'command']),
    command: z.string().nullable(),
    input: renderClusterSchema,
  })
  .meta({ id: 'AgentConfig' });
export type AgentConfig = z.infer<typeof agentConfig>;

/** One probe target's verdict: an origin probed with a Host header (src/proxy/probe.ts probePlan). */
export const agentProbeVerdict = z.object({
  origin: z.string(),
  host: z.string(),
  health: z.enum(['healthy', 'unhealthy', 'unknown']),
  error: z.string().nullable(),
});

export const agentReport = z
  .object({
    name: z.string().min(1).max(63).regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'lowercase letters, digits and inner hyphens'),
    cluster: z.string(),
    agent_version: z.string(),
    caddy_version: z.string().nullable(),
    host: z.string().describe('the machine the agent runs on (its host name)'),
    public_address: z.string().describe('the address the edge publishes for this proxy'),
    listen: z.string().describe('address:port the proxy serves on'),
    instance_id: z.string().nullable().describe('an EC2 instance id, for aws_alb instance target groups'),
    pid: z.number().int(),
    proxy_pid: z.number().int().nullable(),
    state: z.enum(['starting', 'running', 'failed', 'not_installed']),
    applied_generation: z.number().int().nullable(),
    /** The last generation this proxy refused, and why (it keeps serving applied_generation). */
    refused: z.object({ generation: z.number().int(), error: z.string() }).nullable(),
    healthz: z.enum(['ok', 'failing', 'unknown']),
    last_error: z.string().nullable(),
    /** Its probes' verdicts (which address and hostname each answers for follows from the config: probePlan). */
    probes: z.array(agentProbeVerdict).max(1024),
    /** Hostnames whose traffic the health fallback moved (serving through draining members, or nothing healthy). */
    fallbacks: z.array(z.object({ hostname: z.string(), fallback: z.enum(['draining', 'unhealthy']), detail: z.string() })).max(4096),
    /**
     * Requests in flight through this proxy per upstream address (only those with some), in the
     * heartbeat's reports; null: this proxy cannot count them; absent: not counted in this report.
     */
    in_flight: z.array(z.object({ address: z.string(), requests: z.number().int().min(0) })).max(4096).nullable().optional(),
  })
  .meta({ id: 'AgentReport' });
export type AgentReport = z.infer<typeof agentReport>;

export const agentReportResult = z.object({ generation: z.number().int() }).meta({ id: 'AgentReportResult' });
