// The request bodies of the API contract, and the enums they share with the resources. Kept apart
// from ./schemas.ts (which re-exports all of this) so that a command's parse step, which validates
// its input with these same schemas, loads only them: a rejected command builds no response schema.
import * as z from 'zod';
import {
  addressSchema,
  appNameSchema,
  clusterNameSchema,
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
  tsigSecretSchema,
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

/** POST /api/clusters. Same rules as `cluster create`. */
export const clusterCreateRequest = z
  .object({
    name: clusterNameSchema,
    hostnames: z.array(hostnameSchema).max(MAX_HOSTNAMES_PER_CLUSTER, { error: `a cluster has at most ${MAX_HOSTNAMES_PER_CLUSTER} hostnames` }).default([]),
    edge: edgeModeSchema.default('dns_rr'),
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
        dns_provider: z.enum(['zonefile', 'rfc2136']).optional(),
        dns_server: z.string().optional(),
        dns_zone: hostnameSchema.optional(),
        dns_tsig_name: z.string().optional(),
        dns_tsig_secret: tsigSecretSchema.optional(),
        dns_tsig_algorithm: z.string().optional(),
        cloudflare_base_url: z.string().optional(),
        aws_endpoint: z.string().optional(),
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
    const ec = v.edge_config;
    const need = (key: keyof typeof ec, rule: string) => {
      if (!ec[key]) ctx.addIssue({ code: 'custom', path: ['edge_config', key], message: rule, input: '' });
    };
    // The issue's value is shown (or hidden, for a secret field) from the request itself.
    const forbid = (keys: (keyof typeof ec)[], mode: string) => {
      for (const k of keys) if (ec[k] !== undefined) ctx.addIssue({ code: 'custom', path: ['edge_config', k], message: `only applies to edge ${mode}, not ${v.edge}`, input: undefined });
    };
    if (v.edge === 'cloudflare') {
      need('cloudflare_api_token', 'edge cloudflare needs an API token');
      need('cloudflare_zone_id', 'edge cloudflare needs a zone id (32 hex characters)');
    } else forbid(['cloudflare_api_token', 'cloudflare_zone_id', 'cloudflare_base_url'], 'cloudflare');
    if (v.edge === 'aws_alb') {
      need('alb_target_group_arn', 'edge aws_alb needs a target group ARN');
      need('alb_region', 'edge aws_alb needs a region');
      if (ec.alb_target_group_arn && ec.alb_region && regionFromArn(ec.alb_target_group_arn) !== ec.alb_region)
        ctx.addIssue({ code: 'custom', path: ['edge_config', 'alb_region'], message: `the region must match the target group ARN's region (${regionFromArn(ec.alb_target_group_arn)})`, input: ec.alb_region, params: { fix: regionFromArn(ec.alb_target_group_arn) } });
    } else forbid(['alb_target_group_arn', 'alb_region', 'aws_endpoint'], 'aws_alb');
    if (v.edge !== 'dns_rr') forbid(['dns_provider', 'dns_server', 'dns_zone', 'dns_tsig_name', 'dns_tsig_secret', 'dns_tsig_algorithm'], 'dns_rr');
  })
  .meta({ id: 'ClusterCreateRequest' });
export type ClusterCreateRequest = z.input<typeof clusterCreateRequest>;

export const domainAddRequest = z.object({ hostname: hostnameSchema, dry_run: dryRun }).meta({ id: 'DomainAddRequest' });
export const variantAddRequest = z
  .object({
    name: variantNameSchema,
    weight: weightSchema.default(0),
    status: variantStatus.default('active'),
    description: z.string().max(500).default(''),
    dry_run: dryRun,
  })
  .meta({ id: 'VariantAddRequest' });
export const variantUpdateRequest = z
  .object({
    weight: weightSchema.optional(),
    status: variantStatus.optional(),
    description: z.string().max(500).optional(),
    dry_run: dryRun,
  })
  .refine((v) => v.weight !== undefined || v.status !== undefined || v.description !== undefined, {
    message: 'nothing to update: give a weight, a status or a description',
    path: ['weight'],
  })
  .meta({ id: 'VariantUpdateRequest' });
export const upstreamAddRequest = z
  .object({
    variant: variantNameSchema,
    hostname: hostnameSchema.nullable().optional().default(null),
    url: upstreamUrlSchema.optional(),
    app: appNameSchema.optional(),
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
  .object({ to: variantNameSchema, dry_run: dryRun, force: z.boolean().optional().default(false) })
  .meta({ id: 'SwitchRequest' });
export const memberAddRequest = z
  .object({ app: appNameSchema, variant: variantNameSchema.optional(), weight: weightSchema.default(100), dry_run: dryRun })
  .meta({ id: 'MemberAddRequest' });
export const memberWeightRequest = z.object({ weight: weightSchema, dry_run: dryRun }).meta({ id: 'MemberWeightRequest' });
export const dryRunRequest = z.object({ dry_run: dryRun }).meta({ id: 'DryRunRequest' });
export const deployRequest = z
  .object({ strategy: strategy.default('parallel'), force: z.boolean().optional().default(false) })
  .meta({ id: 'DeployRequest' });

export const appCreateRequest = z
  .object({
    name: appNameSchema,
    addresses: z.array(addressSchema).max(MAX_APP_ADDRESSES, { error: `an app has at most ${MAX_APP_ADDRESSES} addresses` }).default([]),
    deploy_cmd: z.string().min(1).max(4000).nullable().optional().default(null),
    health_path: healthPathSchema.default('/'),
  })
  .meta({ id: 'AppCreateRequest' });
export const appUpdateRequest = z
  .object({
    addresses: z.array(addressSchema).max(MAX_APP_ADDRESSES, { error: `an app has at most ${MAX_APP_ADDRESSES} addresses` }).optional(),
    deploy_cmd: z.string().min(1).max(4000).nullable().optional(),
    health_path: healthPathSchema.optional(),
  })
  .meta({ id: 'AppUpdateRequest' });
