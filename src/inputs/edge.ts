// Edge settings: how "LB the LB" is solved for a cluster, and the credentials each mode needs.
import * as z from 'zod';
import { type CheckResult, CONTROL_CHARS, accept, addRuleIssue, reject, schemaFromCheck, suggest } from './check-result.js';
import { formatAuthority, parseAuthority } from './authority.js';
import { secret } from './secret.js';

export const EDGE_MODES = ['dns_rr', 'cloudflare', 'aws_alb', 'none'] as const;
/** The edge mode picked at cluster creation (default dns_rr). */
export const edgeModeSchema = z.enum(EDGE_MODES, { error: `edge must be one of ${EDGE_MODES.join(', ')}` });
export type EdgeMode = z.infer<typeof edgeModeSchema>;

/** Checks a Cloudflare zone id: 32 hex characters, returned lower case. */
export function checkCloudflareZoneId(raw: string): CheckResult {
  const rule = "a Cloudflare zone id is 32 hexadecimal characters (the zone's Overview page, API section)";
  if (/^[0-9a-fA-F]{32}$/.test(raw)) return accept(raw.toLowerCase());
  const trimmed = raw.trim();
  return reject(rule, trimmed !== raw && trimmed !== '' ? suggest(checkCloudflareZoneId, trimmed) : undefined);
}

/** Zod schema for a Cloudflare zone id. */
export const cloudflareZoneIdSchema = schemaFromCheck(checkCloudflareZoneId, 'a Cloudflare zone id must be a string');

/** Checks a Cloudflare API token's shape; rules never contain the token and there is never a fix (it would echo it). */
export function checkCloudflareToken(raw: string): CheckResult {
  if (raw === '') return reject('a Cloudflare API token is required');
  if (raw.trim() !== raw) return reject('a Cloudflare API token must not have surrounding whitespace (check how it was pasted)');
  if (raw.length < 20 || raw.length > 200) {
    return reject('a Cloudflare API token must be 20 to 200 characters (Cloudflare issues 40)');
  }
  if (/[^A-Za-z0-9_-]/.test(raw)) return reject('a Cloudflare API token may contain only letters, digits, "_" and "-"');
  return accept(raw);
}

/** Zod schema for a Cloudflare API token (a secret: messages never echo it). */
export const cloudflareTokenSchema = secret(schemaFromCheck(checkCloudflareToken, 'a Cloudflare API token must be a string'));

const PARTITION_PREFIX = { aws: '', 'aws-cn': 'cn-', 'aws-us-gov': 'us-gov-' } as const;
const REGION = /^(?:[a-z]{2}(?:-gov|-iso[a-z]?)?)-(?:central|north|south|east|west|northeast|northwest|southeast|southwest)-\d{1,2}$/;

/** Checks an AWS region name (us-east-1, eu-central-1, us-gov-west-1, cn-north-1), returned lower case. */
export function checkAwsRegion(raw: string): CheckResult {
  const lower = raw.trim().toLowerCase();
  const rule = 'an AWS region looks like us-east-1, eu-central-1, us-gov-west-1 or cn-north-1';
  if (raw === lower && REGION.test(raw)) return accept(raw);
  // Upper case is unambiguous; accept it normalised rather than make the user retype.
  if (raw.trim() === raw && REGION.test(lower)) return accept(lower);
  return reject(rule, REGION.test(lower) ? lower : undefined);
}

/** Zod schema for an AWS region. */
export const awsRegionSchema = schemaFromCheck(checkAwsRegion, 'an AWS region must be a string');

const ARN = /^arn:(aws|aws-cn|aws-us-gov):elasticloadbalancing:([^:]+):(\d{12}):targetgroup\/([A-Za-z0-9-]{1,32})\/([0-9a-f]{16})$/;

/** Checks an ALB target group ARN: partition, region, 12-digit account, targetgroup/<name>/<16 hex>. */
export function checkAlbTargetGroupArn(raw: string): CheckResult {
  const rule =
    'a target group ARN looks like arn:aws:elasticloadbalancing:<region>:<12-digit account>:targetgroup/<name>/<16 hex digits>';
  const trimmed = raw.trim();
  if (trimmed !== raw) return reject(rule, trimmed === '' ? undefined : suggest(checkAlbTargetGroupArn, trimmed));
  const m = ARN.exec(raw);
  if (m === null) return reject(rule);
  const partition = m[1] as keyof typeof PARTITION_PREFIX;
  const region = m[2] ?? '';
  const name = m[4] ?? '';
  if (!REGION.test(region)) return reject(`the target group ARN's region is not an AWS region (like us-east-1)`);
  // AWS target group names must not begin or end with a hyphen.
  if (name.startsWith('-') || name.endsWith('-')) return reject('a target group name must not start or end with "-"');
  const expected = PARTITION_PREFIX[partition];
  const regionPartition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  if (expected === '' ? regionPartition !== 'aws' : !region.startsWith(expected)) {
    return reject(`the ARN's partition (${partition}) does not match its region (${region}); ${region} needs arn:${regionPartition}`);
  }
  return accept(raw);
}

/** Zod schema for an ALB target group ARN. */
export const albTargetGroupArnSchema = schemaFromCheck(checkAlbTargetGroupArn, 'a target group ARN must be a string');

/** The region inside a valid target group ARN, or null when the ARN is not valid. */
export function regionFromArn(arn: string): string | null {
  if (!checkAlbTargetGroupArn(arn).ok) return null;
  return ARN.exec(arn)?.[2] ?? null;
}

export const DNS_PROVIDERS = ['zonefile', 'rfc2136'] as const;
/** Where a dns_rr edge writes its records: the local zone file, or RFC 2136 updates to a DNS server. */
export const dnsProviderSchema = z.enum(DNS_PROVIDERS, { error: `dns_provider must be one of ${DNS_PROVIDERS.join(', ')}` });

const DNS_SERVER_RULE = 'a DNS server is host[:port] (port 53 when left out): an IP address, [IPv6], or a name with a dot like ns1.example.com';

/** Checks an RFC 2136 server `host[:port]` and returns it with its port (`ns1.example.com:53`). */
export function checkDnsServer(raw: string): CheckResult {
  if (raw === '') return reject(`${DNS_SERVER_RULE}; it is empty`);
  const trimmed = raw.trim();
  if (trimmed !== raw) return reject(DNS_SERVER_RULE, trimmed === '' ? undefined : suggest(checkDnsServer, trimmed));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return reject(`${DNS_SERVER_RULE}, without a scheme`, suggest(checkDnsServer, raw.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '')));
  const parsed = parseAuthority(raw, { what: 'a DNS server', portRequired: false });
  if (!parsed.ok) return reject(parsed.rule, parsed.fixAuthority === undefined ? undefined : suggest(checkDnsServer, parsed.fixAuthority));
  const a = parsed.value;
  // A single label would be looked up through the search domains of whichever machine sends the update.
  if (a.kind === 'dns' && !a.host.includes('.') && a.host !== 'localhost') return reject(`${DNS_SERVER_RULE}; "${a.host}" has no dot`);
  return accept(formatAuthority({ ...a, port: a.port ?? '53' }));
}

/** Zod schema for an RFC 2136 DNS server. */
export const dnsServerSchema = schemaFromCheck(checkDnsServer, 'a DNS server must be a string');

const TSIG_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
const TSIG_NAME_RULE = 'a TSIG key name is a DNS name: labels of letters, digits, "-" and "_" separated by dots, like ownstack-update. or tsig.example.com';

/** Checks a TSIG key name (a DNS name; a trailing dot is kept). */
export function checkTsigName(raw: string): CheckResult {
  if (raw === '') return reject(`${TSIG_NAME_RULE}; it is empty`);
  const trimmed = raw.trim();
  if (trimmed !== raw) return reject(`${TSIG_NAME_RULE} (no spaces)`, trimmed === '' ? undefined : suggest(checkTsigName, trimmed));
  const body = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  if (body.length > 253 || body.split('.').some((l) => !TSIG_LABEL.test(l))) {
    return reject(/\s/.test(raw) ? `${TSIG_NAME_RULE} (no spaces)` : TSIG_NAME_RULE);
  }
  return accept(raw);
}

/** Zod schema for a TSIG key name. */
export const tsigNameSchema = schemaFromCheck(checkTsigName, 'a TSIG key name must be a string');

/** Checks a TSIG secret: base64, as the DNS server prints it. Rules never echo it and there is never a fix. */
export function checkTsigSecret(raw: string): CheckResult {
  const s = raw.trim();
  if (s === '') return reject('a TSIG secret is required (base64, as the DNS server prints it)');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length % 4 === 1) return reject('a TSIG secret must be base64 (as the DNS server prints it, e.g. `keymgr -t name hmac-sha256`)');
  return accept(s);
}

/** Zod schema for a TSIG secret (marked secret: no error, log line or answer shows its value). */
export const tsigSecretSchema = secret(schemaFromCheck(checkTsigSecret, 'a TSIG secret must be a string'));

export const TSIG_ALGORITHMS = ['hmac-sha256', 'hmac-sha512', 'hmac-sha384', 'hmac-sha224', 'hmac-sha1'] as const;
/** A TSIG algorithm name, lower case (default hmac-sha256). */
export const tsigAlgorithmSchema = z
  .string({ error: 'a TSIG algorithm must be a string' })
  .transform((raw, ctx) => {
    const v = raw.trim().toLowerCase().replace(/\.$/, '');
    if ((TSIG_ALGORITHMS as readonly string[]).includes(v)) return v;
    addRuleIssue(ctx, `a TSIG algorithm is one of ${TSIG_ALGORITHMS.join(', ')}`);
    return z.NEVER;
  });

/** Checks an http(s) endpoint URL (API-only overrides such as cloudflare_base_url, aws_endpoint). */
export function checkEndpointUrl(raw: string): CheckResult {
  const rule = 'an endpoint is an http(s) URL, like https://api.example.com/v4';
  if (CONTROL_CHARS.test(raw) || /\s/.test(raw)) return reject(`${rule} (no spaces or control characters)`);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return reject(rule);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return reject(rule);
  if (u.username || u.password) return reject(`${rule}, without user or password`);
  return accept(raw);
}

/** Zod schema for an http(s) endpoint URL. */
export const endpointUrlSchema = schemaFromCheck(checkEndpointUrl, 'an endpoint URL must be a string');

// Which optional fields belong to which mode; any other mode rejects them.
const MODE_FIELDS = {
  cloudflare_zone_id: 'cloudflare',
  cloudflare_api_token: 'cloudflare',
  alb_target_group_arn: 'aws_alb',
  alb_region: 'aws_alb',
} as const satisfies Record<string, EdgeMode>;

/** Edge mode plus its credentials; cross-field rules name the mode, the missing field and the fix. */
export const edgeSettingsSchema = z
  .object({
    edge: edgeModeSchema.default('dns_rr'),
    cloudflare_zone_id: cloudflareZoneIdSchema.optional(),
    cloudflare_api_token: cloudflareTokenSchema.optional(),
    alb_target_group_arn: albTargetGroupArnSchema.optional(),
    alb_region: awsRegionSchema.optional(),
  })
  .superRefine((v, ctx) => {
    for (const [field, mode] of Object.entries(MODE_FIELDS) as [keyof typeof MODE_FIELDS, EdgeMode][]) {
      if (v[field] !== undefined && v.edge !== mode) {
        addRuleIssue(ctx, `${field} applies only to edge ${mode}, but edge is ${v.edge}; remove it or use edge ${mode}`, undefined, [field]);
      }
    }
    if (v.edge === 'cloudflare') {
      if (v.cloudflare_api_token === undefined) {
        addRuleIssue(ctx, 'edge cloudflare needs an API token (cloudflare_api_token) with Zone DNS edit permission', undefined, ['cloudflare_api_token']);
      }
      if (v.cloudflare_zone_id === undefined) {
        addRuleIssue(ctx, 'edge cloudflare needs the zone id (cloudflare_zone_id) of the zone the hostnames live in', undefined, ['cloudflare_zone_id']);
      }
    }
    if (v.edge === 'aws_alb') {
      const arnRegion = v.alb_target_group_arn === undefined ? null : regionFromArn(v.alb_target_group_arn);
      if (v.alb_target_group_arn === undefined) {
        addRuleIssue(ctx, 'edge aws_alb needs the target group ARN (alb_target_group_arn) of an existing ALB', undefined, ['alb_target_group_arn']);
      }
      if (v.alb_region === undefined) {
        addRuleIssue(ctx, 'edge aws_alb needs the target group region (alb_region)', arnRegion ?? undefined, ['alb_region']);
      } else if (arnRegion !== null && v.alb_region !== arnRegion) {
        addRuleIssue(ctx, `alb_region must be the target group ARN's region (${arnRegion})`, arnRegion, ['alb_region']);
      }
    }
  });

export type EdgeSettings = z.output<typeof edgeSettingsSchema>;
