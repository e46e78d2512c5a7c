// The request bodies of the API contract, and the enums they share with the resources. Kept apart
// from ./schemas.ts (which re-exports all of this) so that a command's parse step, which validates
// its input with these same schemas, loads only them: a rejected command builds no response schema.
import * as z from 'zod';
import {
  addRuleIssue,
  addressSchema,
  appNameSchema,
  appRefSchema,
  clusterNameSchema,
  dnsProviderSchema,
  dnsServerSchema,
  endpointUrlSchema,
  envNameForHostname,
  freeTextSchema,
  tsigAlgorithmSchema,
  tsigNameSchema,
  tsigSecretSchema,
  variantRefSchema,
  durationSchema,
  edgeModeSchema,
  healthPathSchema,
  hostnameSchema,
  proxyCountSchema,
  upstreamUrlSchema,
  variantNameSchema,
  weightSchema,
  cloudflareZoneIdSchema,
  cloudflareTokenSchema,
  albTargetGroupArnSchema,
  awsRegionSchema,
  regionFromArn,
  parseDuration,
  MAX_APP_ADDRESSES,
  MAX_HOSTNAMES_PER_CLUSTER,
} from '../inputs/index.js';

export const memberStatus = z.enum(['active', 'draining']);
export const variantStatus = z.enum(['active', 'draining']);
export const strategy = z.enum(['parallel', 'rolling']);

const dryRun = z.boolean().optional().default(false);
/** Overrides a refusal the control plane can be told to skip (e.g. the health gate). */
const force = z.boolean().optional().default(false);

/** The dns_rr settings that only the rfc2136 provider uses. */
export const RFC2136_FIELDS = ['dns_server', 'dns_zone', 'dns_tsig_name', 'dns_tsig_secret', 'dns_tsig_algorithm'] as const;

/** True when a hostname (or wildcard) is the zone or inside it. */
export function inZone(hostname: string, zone: string): boolean {
  const h = hostname.replace(/^\*\./, '');
  return h === zone || h.endsWith(`.${zone}`);
}

/** A variant's description: free text without control characters. */
export const descriptionSchema = freeTextSchema('a description', 500);
const description = descriptionSchema;
/** An app's deploy command (run through /bin/sh): one line, no control characters. */
export const deployCmdSchema = freeTextSchema('a deploy command', 4000).refine((s) => s.trim() !== '', { message: 'a deploy command must not be empty (leave it out, or null for none)' });

/** POST /api/clusters. Same rules as `cluster create`. */
export const clusterCreateRequest = z
  .object({
    name: clusterNameSchema,
    hostnames: z.array(hostnameSchema).max(MAX_HOSTNAMES_PER_CLUSTER, { error: `a cluster has at most ${MAX_HOSTNAMES_PER_CLUSTER} hostnames` }).default([]),
    edge: edgeModeSchema.default('dns_rr'),
    edge_allow_private_addresses: z
      .boolean()
      .optional()
      .default(false)
      .describe('cloudflare and aws_alb: publish loopback and private-use proxy addresses too (127/8, 10/8, 172.16/12, 192.168/16, 169.254/16, 100.64/10, ::1, fc00::/7, fe80::/10)'),
    proxy_count: proxyCountSchema.default(1),
    proxy_app: appNameSchema.nullable().optional().default(null),
    health: z
      .object({
        path: healthPathSchema.default('/'),
        interval: durationSchema.default('5s'),
        timeout: durationSchema.default('2s'),
      })
      .default({ path: '/', interval: '5s', timeout: '2s' }),
    edge_config: z
      .object({
        cloudflare_zone_id: cloudflareZoneIdSchema.optional(),
        cloudflare_api_token: cloudflareTokenSchema.optional(),
        alb_target_group_arn: albTargetGroupArnSchema.optional(),
        alb_region: awsRegionSchema.optional(),
        dns_provider: dnsProviderSchema.optional(),
        dns_server: dnsServerSchema.optional(),
        dns_zone: hostnameSchema.optional(),
        dns_tsig_name: tsigNameSchema.optional(),
        dns_tsig_secret: tsigSecretSchema.optional(),
        dns_tsig_algorithm: tsigAlgorithmSchema.optional(),
        cloudflare_base_url: endpointUrlSchema.optional(),
        aws_endpoint: endpointUrlSchema.optional(),
      })
      .default({}),
  })
  .superRefine((v, ctx) => {
    if (parseDuration(v.health.timeout) >= parseDuration(v.health.interval)) {
      ctx.addIssue({
        code: 'custom',
        path: ['health', 'timeout'],
        message: `the health timeout must be shorter than the interval (${v.health.interval})`,
        input: v.health.timeout,
      });
    }
    // Linear: a create may name up to MAX_HOSTNAMES_PER_CLUSTER hostnames (and apply runs this too).
    const seen = new Set<string>();
    const byEnv = new Map<string, string>();
    v.hostnames.forEach((h, i) => {
      if (seen.has(h)) addRuleIssue(ctx, `hostname ${h} is given twice`, undefined, ['hostnames', i]);
      else {
        const env = envNameForHostname(h);
        const clash = byEnv.get(env);
        if (clash !== undefined) {
          addRuleIssue(
            ctx,
            `hostnames ${clash} and ${h} both map to the env var ${env}: one cluster can front only one of them (keep one here and put the other in another cluster)`,
            undefined,
            ['hostnames', i],
          );
        } else byEnv.set(env, h);
      }
      seen.add(h);
    });
    const ec = v.edge_config;
    const need = (key: keyof typeof ec, rule: string) => {
      if (!ec[key]) ctx.addIssue({ code: 'custom', path: ['edge_config', key], message: rule, input: '' });
    };
    // The issue's value is shown (or hidden, for a secret field) from the request itself.
    const forbid = (keys: readonly (keyof typeof ec)[], what: string, actual: string) => {
      for (const k of keys) if (ec[k] !== undefined) ctx.addIssue({ code: 'custom', path: ['edge_config', k], message: `only applies to ${what}, not ${actual}`, input: undefined });
    };
    if (v.edge_allow_private_addresses && !ALLOWS_PRIVATE.includes(v.edge)) {
      ctx.addIssue({ code: 'custom', path: ['edge_allow_private_addresses'], message: privateOnlyRule(v.edge), input: true });
    }
    if (v.edge === 'cloudflare') {
      need('cloudflare_api_token', 'edge cloudflare needs an API token');
      need('cloudflare_zone_id', 'edge cloudflare needs a zone id (32 hex characters)');
    } else forbid(['cloudflare_api_token', 'cloudflare_zone_id', 'cloudflare_base_url'], 'edge cloudflare', v.edge);
    if (v.edge === 'aws_alb') {
      need('alb_target_group_arn', 'edge aws_alb needs a target group ARN');
      need('alb_region', 'edge aws_alb needs a region');
      if (ec.alb_target_group_arn && ec.alb_region && regionFromArn(ec.alb_target_group_arn) !== ec.alb_region)
        ctx.addIssue({ code: 'custom', path: ['edge_config', 'alb_region'], message: `the region must match the target group ARN's region (${regionFromArn(ec.alb_target_group_arn)})`, input: ec.alb_region, params: { fix: regionFromArn(ec.alb_target_group_arn) } });
    } else forbid(['alb_target_group_arn', 'alb_region', 'aws_endpoint'], 'edge aws_alb', v.edge);
    if (v.edge !== 'dns_rr') forbid(['dns_provider', ...RFC2136_FIELDS], 'edge dns_rr', v.edge);
    else if (ec.dns_provider === 'rfc2136') {
      need('dns_server', 'dns_provider rfc2136 needs the DNS server to update (host[:port], e.g. ns1.example.com:53)');
      need('dns_zone', 'dns_provider rfc2136 needs the zone to update (e.g. example.com)');
      need('dns_tsig_name', 'dns_provider rfc2136 needs the name of a TSIG key the server accepts updates from');
      need('dns_tsig_secret', 'dns_provider rfc2136 needs the TSIG secret (base64)');
      if (ec.dns_zone) {
        v.hostnames.forEach((h, i) => {
          if (!inZone(h, ec.dns_zone!)) addRuleIssue(ctx, `every hostname must be inside dns_zone ${ec.dns_zone} (the server only updates that zone)`, undefined, ['hostnames', i]);
        });
      }
    } else forbid(RFC2136_FIELDS, 'dns_provider rfc2136', `dns_provider ${ec.dns_provider ?? 'zonefile'}`);
  })
  .meta({ id: 'ClusterCreateRequest' });
export type ClusterCreateRequest = z.input<typeof clusterCreateRequest>;

/** The edges that refuse private addresses unless the cluster allows them (src/edge/admission.ts). */
export const ALLOWS_PRIVATE: readonly string[] = ['cloudflare', 'aws_alb'];

/** Why edge_allow_private_addresses does not apply to an edge mode. */
export function privateOnlyRule(edge: string): string {
  return `only applies to edge cloudflare or aws_alb, not ${edge} (${edge === 'dns_rr' ? 'dns_rr publishes every registered address' : 'edge none publishes nothing'})`;
}

/** A field `create` sets for good: present in an update, it is refused with the reason. */
function fixedField(reason: string) {
  return z.never({ error: reason }).optional().meta({ description: `cannot change: ${reason}` });
}
const RECREATE = 'destroy the cluster and create it again (destroy removes its edge records first)';

/** PATCH /api/clusters/:cluster. What `cluster update` can change safely; the rest is refused with the reason. */
export const clusterUpdateRequest = z
  .strictObject({
    health: z
      .strictObject({ path: healthPathSchema.optional(), interval: durationSchema.optional(), timeout: durationSchema.optional() })
      .optional(),
    proxy_count: proxyCountSchema.optional(),
    edge_allow_private_addresses: z.boolean().optional().describe('cloudflare and aws_alb: publish loopback and private-use proxy addresses too (false: refuse them again)'),
    edge_config: z
      .strictObject({
        cloudflare_api_token: cloudflareTokenSchema.optional(),
        dns_server: dnsServerSchema.optional(),
        dns_tsig_name: tsigNameSchema.optional(),
        dns_tsig_secret: tsigSecretSchema.optional(),
        dns_tsig_algorithm: tsigAlgorithmSchema.optional(),
        cloudflare_zone_id: fixedField(`the Cloudflare zone holds the cluster's records; moving them is not supported: ${RECREATE}`),
        alb_target_group_arn: fixedField(`the target group holds the proxies as targets; moving them is not supported: ${RECREATE}`),
        alb_region: fixedField(`the region belongs to the target group: ${RECREATE}`),
        dns_provider: fixedField(`the records live with the provider chosen at create: ${RECREATE}`),
        dns_zone: fixedField(`the zone holds the cluster's records; moving them is not supported: ${RECREATE}`),
        cloudflare_base_url: fixedField(`the Cloudflare API endpoint is chosen at create: ${RECREATE}`),
        aws_endpoint: fixedField(`the AWS endpoint is chosen at create: ${RECREATE}`),
      })
      .optional(),
    name: fixedField('a cluster keeps its name (files, proxies and records are named after it); create a new cluster instead'),
    edge: fixedField(`the edge mode cannot change: the old provider's records would have to be removed first; ${RECREATE}`),
    hostnames: fixedField('hostnames are added and removed one at a time: cluster domain add / cluster domain remove'),
    proxy_app: fixedField(`the proxy app (or the default Caddy proxy) is chosen at create: ${RECREATE}`),
    dry_run: dryRun,
  })
  .superRefine((v, ctx) => {
    const h = v.health;
    const edge = v.edge_config ?? {};
    const changes = [h?.path, h?.interval, h?.timeout, v.proxy_count, v.edge_allow_private_addresses, edge.cloudflare_api_token, edge.dns_server, edge.dns_tsig_name, edge.dns_tsig_secret, edge.dns_tsig_algorithm];
    if (changes.every((x) => x === undefined)) {
      addRuleIssue(ctx, 'nothing to update: give at least one of health.path, health.interval, health.timeout, proxy_count, edge_allow_private_addresses or an edge setting (cloudflare_api_token, dns_server, dns_tsig_name, dns_tsig_secret, dns_tsig_algorithm)');
    }
    if (h?.interval !== undefined && h.timeout !== undefined && parseDuration(h.timeout) >= parseDuration(h.interval)) {
      addRuleIssue(ctx, `the health timeout must be shorter than the interval (${h.interval})`, undefined, ['health', 'timeout']);
    }
  })
  .meta({ id: 'ClusterUpdateRequest' });
export type ClusterUpdateRequest = z.input<typeof clusterUpdateRequest>;

export const domainAddRequest = z.object({ hostname: hostnameSchema, dry_run: dryRun }).meta({ id: 'DomainAddRequest' });
export const variantAddRequest = z
  .object({
    name: variantNameSchema,
    weight: weightSchema.default(0),
    status: variantStatus.default('active'),
    description: description.default(''),
    dry_run: dryRun,
  })
  .meta({ id: 'VariantAddRequest' });
export const variantUpdateRequest = z
  .object({
    weight: weightSchema.optional(),
    status: variantStatus.optional(),
    description: description.optional(),
    dry_run: dryRun,
    force: force.describe('change it even when it would leave a served hostname with no healthy upstream'),
  })
  .refine((v) => v.weight !== undefined || v.status !== undefined || v.description !== undefined, {
    message: 'nothing to update: give a weight, a status or a description',
    path: ['weight'],
  })
  .meta({ id: 'VariantUpdateRequest' });
export const upstreamAddRequest = z
  .object({
    variant: variantRefSchema,
    hostname: hostnameSchema.nullable().optional().default(null),
    url: upstreamUrlSchema.optional(),
    app: appRefSchema.optional(),
    weight: weightSchema.default(100),
    host_header: hostnameSchema.nullable().optional().default(null),
    dry_run: dryRun,
  })
  .superRefine((v, ctx) => {
    if ((v.url === undefined) === (v.app === undefined))
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'give exactly one of url or app', input: v.url ?? '' });
  })
  .meta({ id: 'UpstreamAddRequest' });
export const switchRequest = z
  .object({ to: variantRefSchema, dry_run: dryRun, force: z.boolean().optional().default(false) })
  .meta({ id: 'SwitchRequest' });
export const memberAddRequest = z
  .object({ app: appRefSchema, variant: variantRefSchema.optional(), weight: weightSchema.default(100), dry_run: dryRun })
  .meta({ id: 'MemberAddRequest' });
export const memberWeightRequest = z
  .object({ weight: weightSchema, dry_run: dryRun, force: force.describe('change it even when it would leave a served hostname with no healthy upstream') })
  .meta({ id: 'MemberWeightRequest' });
export const dryRunRequest = z.object({ dry_run: dryRun }).meta({ id: 'DryRunRequest' });
export const memberDrainRequest = z
  .object({ dry_run: dryRun, force: force.describe('drain it even when it would leave a served hostname with no healthy upstream') })
  .meta({ id: 'MemberDrainRequest' });
export const deployRequest = z
  .object({ strategy: strategy.default('parallel'), force: z.boolean().optional().default(false) })
  .meta({ id: 'DeployRequest' });

export const appCreateRequest = z
  .object({
    name: appNameSchema,
    addresses: z.array(addressSchema).max(MAX_APP_ADDRESSES, { error: `an app has at most ${MAX_APP_ADDRESSES} addresses` }).optional(),
    deploy_cmd: deployCmdSchema.nullable().optional().default(null),
    health_path: healthPathSchema.default('/'),
  })
  .superRefine((v, ctx) => {
    // Required, [] included for an app without addresses (a proxy app): a forgotten --addr must not
    // create an app that silently receives no traffic.
    if (v.addresses === undefined) {
      addRuleIssue(ctx, 'addresses is required: the host:port list the app listens on ([] for an app without addresses, e.g. a proxy app run elsewhere)', undefined, ['addresses']);
    }
  })
  .meta({ id: 'AppCreateRequest' });
export const appUpdateRequest = z
  .object({
    addresses: z.array(addressSchema).max(MAX_APP_ADDRESSES, { error: `an app has at most ${MAX_APP_ADDRESSES} addresses` }).optional(),
    deploy_cmd: deployCmdSchema.nullable().optional(),
    health_path: healthPathSchema.optional(),
  })
  .meta({ id: 'AppUpdateRequest' });
