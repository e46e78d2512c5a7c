// Picks the edge driver for a cluster from its edge mode and edge_config.
import { join } from 'node:path';
import * as z from 'zod';
import { albTargetGroupArnSchema, awsRegionSchema, cloudflareTokenSchema, cloudflareZoneIdSchema, regionFromArn } from '../inputs/edge.js';
import { createAwsAlbDriver } from './aws-alb.js';
import { createCloudflareDriver } from './cloudflare.js';
import type { EdgeDeps } from './deps.js';
import { createDnsRrDriver, type DnsProvider } from './dns-rr.js';
import { createRfc2136Provider } from './dns-rfc2136.js';
import { createZonefileProvider } from './dns-zonefile.js';
import { createNoneDriver } from './none.js';
import { EdgeError, type EdgeDriver, type EdgeMode } from './types.js';

export { maskSecret, redact } from './secrets.js';
export { chooseHealthyProxies, type HealthySet, type ProxyHealth } from './healthy-set.js';
export { admitProxies, privateRange, ALLOW_PRIVATE_FLAG, type AdmissionProxy, type RefusedProxy } from './admission.js';
export type { EdgeDeps, EdgeLogger, FetchLike } from './deps.js';
export type { DnsChanges, DnsProvider } from './dns-rr.js';
export * from './types.js';
export { createAwsAlbDriver, createCloudflareDriver, createDnsRrDriver, createNoneDriver, createRfc2136Provider, createZonefileProvider };

const url = (key: string) => z.url({ error: `${key} must be an http(s) URL` });

// Credentials and ids use the same input schemas as the CLI and the server (src/inputs/edge.ts).
const cloudflareConfig = z.object({
  cloudflare_zone_id: cloudflareZoneIdSchema,
  cloudflare_api_token: cloudflareTokenSchema,
  cloudflare_base_url: url('cloudflare_base_url').optional(),
});

const albConfig = z.object({
  alb_target_group_arn: albTargetGroupArnSchema,
  alb_region: awsRegionSchema.optional(),
  aws_endpoint: url('aws_endpoint').optional(),
});

const dnsConfig = z.object({
  dns_provider: z.enum(['zonefile', 'rfc2136'], { error: 'dns_provider must be zonefile or rfc2136' }).default('zonefile'),
  dns_zonefile_path: z.string().trim().min(1).optional(),
  dns_hosts_path: z.string().trim().min(1).optional(),
  dns_server: z.string().trim().min(1).optional(),
  dns_zone: z.string().trim().min(1).optional(),
  dns_tsig_name: z.string().trim().min(1).optional(),
  dns_tsig_secret: z.string().trim().min(1).optional(),
  dns_tsig_algorithm: z.string().trim().min(1).optional(),
});

export interface EdgeClusterInput {
  name: string;
  edge: EdgeMode;
  edge_config?: Record<string, unknown> | null;
}

function parseConfig<T>(schema: z.ZodType<T>, mode: string, raw: Record<string, unknown>): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  // Issue messages name the key and the rule; they never echo values (which may be secrets).
  const problems = parsed.error.issues.map((i) => {
    const key = i.path.length > 0 ? String(i.path[0]) : 'edge_config';
    return i.path.length > 0 && raw[key] === undefined ? `${key} is required` : `${key}: ${i.message}`;
  });
  throw new EdgeError(`invalid edge_config for ${mode}: ${problems.join('; ')}`, 'invalid', `set it with the cluster's edge settings (edge=${mode})`);
}

function dnsProvider(cluster: EdgeClusterInput, raw: Record<string, unknown>, deps: EdgeDeps): DnsProvider {
  const c = parseConfig(dnsConfig, 'dns_rr', raw);
  if (c.dns_provider === 'rfc2136') {
    const missing = (['dns_server', 'dns_zone', 'dns_tsig_name', 'dns_tsig_secret'] as const).filter((k) => !c[k]);
    if (missing.length > 0) {
      throw new EdgeError(`invalid edge_config for dns_rr (rfc2136): ${missing.join(', ')} required`, 'invalid', 'the DNS server, its zone and a TSIG key allowed to update it');
    }
    return createRfc2136Provider(
      { server: c.dns_server!, zone: c.dns_zone!, tsig: { name: c.dns_tsig_name!, secret: c.dns_tsig_secret!, algorithm: c.dns_tsig_algorithm ?? 'hmac-sha256' } },
      deps,
    );
  }
  const zonePath = c.dns_zonefile_path ?? (deps.clusterDir ? join(deps.clusterDir, 'dns.zone') : undefined);
  const hostsPath = c.dns_hosts_path ?? (deps.clusterDir ? join(deps.clusterDir, 'dns.hosts') : undefined);
  if (!zonePath || !hostsPath) {
    throw new EdgeError('dns_rr with the zonefile provider needs a cluster folder or dns_zonefile_path and dns_hosts_path', 'invalid');
  }
  return createZonefileProvider({ clusterName: cluster.name, zonePath, hostsPath });
}

/** Env var naming another Cloudflare API base URL (a local fake in tests, or an API gateway). */
export const CLOUDFLARE_API_URL_ENV = 'OWNSTACK_CLOUDFLARE_API_URL';

/**
 * For tests only, off by default: `1` in the control plane's environment lets edge_config's
 * cloudflare_base_url and aws_endpoint name any http(s) URL (a stand-in provider on loopback).
 * Without it they must be the providers' own https addresses, so a token holder cannot make the
 * server send requests (with the provider credentials) anywhere else.
 */
export const TEST_EDGE_ENDPOINTS_ENV = 'OWNSTACK_TEST_ANY_EDGE_ENDPOINT';

const PROVIDER_HOSTS = {
  cloudflare_base_url: { rule: 'an https URL on api.cloudflare.com', ok: (host: string) => host === 'api.cloudflare.com' },
  aws_endpoint: { rule: 'an https URL on an AWS endpoint (*.amazonaws.com or *.amazonaws.com.cn)', ok: (host: string) => /^[a-z0-9.-]+\.amazonaws\.com(?:\.cn)?$/.test(host) },
} as const;

/** Refuses a provider base URL that is not the provider's own (unless the test override is on). */
export function checkProviderUrl(key: keyof typeof PROVIDER_HOSTS, value: string, env: EdgeDeps['env']): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new EdgeError(`${key} must be an http(s) URL`, 'invalid', undefined, key);
  }
  const { rule, ok } = PROVIDER_HOSTS[key];
  if (env?.[TEST_EDGE_ENDPOINTS_ENV] === '1' && (u.protocol === 'http:' || u.protocol === 'https:')) return value;
  if (u.protocol !== 'https:' || u.username !== '' || u.password !== '' || !ok(u.hostname)) {
    throw new EdgeError(`${key} must be ${rule}`, 'invalid', `leave ${key} out to use the provider's default address`, key);
  }
  return value;
}

function cloudflareUrlFromEnv(env: EdgeDeps['env']): string | undefined {
  const value = env?.[CLOUDFLARE_API_URL_ENV]?.trim();
  if (!value) return undefined;
  if (!url(CLOUDFLARE_API_URL_ENV).safeParse(value).success) {
    throw new EdgeError(`${CLOUDFLARE_API_URL_ENV} must be an http(s) URL`, 'invalid', `fix or unset ${CLOUDFLARE_API_URL_ENV} in the control plane's environment`);
  }
  return value;
}

/** The edge driver for a cluster's edge mode; throws EdgeError('invalid') when edge_config is incomplete. */
export function createEdgeDriver(cluster: EdgeClusterInput, deps: EdgeDeps = {}): EdgeDriver {
  const raw = cluster.edge_config ?? {};
  switch (cluster.edge) {
    case 'none':
      return createNoneDriver();
    case 'cloudflare': {
      const c = parseConfig(cloudflareConfig, 'cloudflare', raw);
      // edge_config wins; else the control plane's OWNSTACK_CLOUDFLARE_API_URL (same URL rule).
      const baseUrl = c.cloudflare_base_url !== undefined ? checkProviderUrl('cloudflare_base_url', c.cloudflare_base_url, deps.env) : cloudflareUrlFromEnv(deps.env);
      return createCloudflareDriver(
        { clusterName: cluster.name, zoneId: c.cloudflare_zone_id, apiToken: c.cloudflare_api_token, ...(baseUrl ? { baseUrl } : {}) },
        deps,
      );
    }
    case 'aws_alb': {
      const c = parseConfig(albConfig, 'aws_alb', raw);
      const region = c.alb_region ?? regionFromArn(c.alb_target_group_arn);
      const endpoint = c.aws_endpoint !== undefined ? checkProviderUrl('aws_endpoint', c.aws_endpoint, deps.env) : undefined;
      return createAwsAlbDriver({ targetGroupArn: c.alb_target_group_arn, region: region!, ...(endpoint ? { endpoint } : {}) }, deps);
    }
    case 'dns_rr':
      return createDnsRrDriver({ provider: dnsProvider(cluster, raw, deps) }, deps);
    default:
      throw new EdgeError(`unknown edge mode "${String(cluster.edge)}"`, 'invalid', 'use dns_rr, cloudflare, aws_alb or none');
  }
}
