// A cluster document: a cluster's whole desired state in one file (`cluster export` writes it,
// `cluster apply -f` makes a cluster match it). One schema for the CLI's local checks, the
// server's checks of POST /api/clusters/:cluster/apply and the OpenAPI document. Every field
// reuses the rule of the single command that sets it (clusterCreateRequest, variantAddRequest,
// upstreamAddRequest), so a file is refused exactly where those commands would refuse.
import * as z from 'zod';
import type { ErrorDetails } from '../errors.js';
import { appNameSchema, hostnameSchema, MAX_HOSTNAMES_PER_CLUSTER, MAX_UPSTREAMS_PER_CLUSTER, variantNameSchema, envNameForHostname } from '../inputs/index.js';
import { issueToDetails, secretFieldsOf } from '../inputs/parse.js';
import { isSecretPath } from '../inputs/secret.js';
import { didYouMean } from '../inputs/suggest.js';
import { clusterCreateRequest, memberStatus, upstreamAddRequest, variantAddRequest } from './requests.js';

const create = clusterCreateRequest.shape;
const healthShape = create.health.unwrap().shape;
const edgeShape = create.edge_config.unwrap().shape;

/** health: the create request's fields, unknown keys refused. */
const healthSettings = z.strictObject(healthShape).default({ path: '/', interval: '5s', timeout: '2s' });
/** edge_config: the create request's fields (secrets marked there), unknown keys refused. */
const edgeSettings = z.strictObject(edgeShape).default({});

/** A variant of the cluster: what `variant add` takes. */
export const documentVariant = z.strictObject({
  name: variantNameSchema,
  weight: variantAddRequest.shape.weight,
  status: variantAddRequest.shape.status,
  description: variantAddRequest.shape.description,
});

const upstream = upstreamAddRequest.shape;
/** An upstream: what `upstream add` takes, plus its status (what `member drain`/`undrain` set). */
export const documentUpstream = z
  .strictObject({
    variant: variantNameSchema,
    hostname: upstream.hostname,
    url: upstream.url,
    app: appNameSchema.optional(),
    weight: upstream.weight,
    status: memberStatus.default('active'),
    host_header: upstream.host_header,
  })
  .superRefine((u, ctx) => {
    if ((u.url === undefined) === (u.app === undefined)) ctx.addIssue({ code: 'custom', path: ['url'], message: 'give exactly one of url or app', input: u.url ?? '' });
  });

/** A member as it follows from the upstreams: an app, the variants it serves, active unless every upstream of it drains. */
export const documentMember = z.strictObject({
  app: appNameSchema,
  variants: z.array(variantNameSchema),
  status: memberStatus,
});

export type DocumentUpstream = z.output<typeof documentUpstream>;
export type DocumentMember = z.output<typeof documentMember>;

/**
 * The document. Settings left out take `cluster create`'s defaults; hostnames, variants and
 * upstreams must be listed (an empty list removes them all, a missing one is refused). Secrets
 * (edge_config.cloudflare_api_token, dns_tsig_secret) may be left out: apply keeps the stored ones.
 * `members` is optional and derived: when given it must match the upstreams.
 */
export const clusterDocument = z
  .strictObject({
    name: create.name,
    edge: create.edge,
    edge_config: edgeSettings,
    edge_allow_private_addresses: create.edge_allow_private_addresses,
    proxy_count: create.proxy_count,
    proxy_app: create.proxy_app,
    health: healthSettings,
    hostnames: z.array(hostnameSchema).max(MAX_HOSTNAMES_PER_CLUSTER, { error: `a cluster has at most ${MAX_HOSTNAMES_PER_CLUSTER} hostnames` }),
    variants: z.array(documentVariant),
    upstreams: z.array(documentUpstream).max(MAX_UPSTREAMS_PER_CLUSTER, { error: `a cluster has at most ${MAX_UPSTREAMS_PER_CLUSTER} upstreams` }),
    members: z.array(documentMember).optional(),
  })
  .superRefine(checkDocument)
  .meta({ id: 'ClusterDocument' });

export type ClusterDocument = z.output<typeof clusterDocument>;
export type ClusterDocumentInput = z.input<typeof clusterDocument>;

/** POST /api/clusters/:cluster/apply. */
export const clusterApplyRequest = z
  .object({
    document: clusterDocument,
    dry_run: z.boolean().optional().default(false),
    force: z.boolean().optional().default(false).describe('apply even when a hostname served now would be left with no upstream'),
  })
  .meta({ id: 'ClusterApplyRequest' });
export type ClusterApplyRequest = z.input<typeof clusterApplyRequest>;

/** The identity of an upstream inside a cluster: variant, hostname (or every one) and target. */
export function upstreamKey(u: { variant: string; hostname: string | null; url?: string | null; app?: string | null }): string {
  return `${u.variant}\0${u.hostname ?? ''}\0${u.app ? `app:${u.app}` : `url:${u.url ?? ''}`}`;
}

/** The members that follow from a list of upstreams (first-appearance order). */
export function membersOf(upstreams: readonly Pick<DocumentUpstream, 'app' | 'variant' | 'status'>[]): DocumentMember[] {
  const byApp = new Map<string, DocumentMember>();
  for (const u of upstreams) {
    if (u.app === undefined || u.app === null) continue;
    const m = byApp.get(u.app) ?? { app: u.app, variants: [], status: 'draining' as const };
    if (!m.variants.includes(u.variant)) m.variants.push(u.variant);
    if (u.status === 'active') m.status = 'active';
    byApp.set(u.app, m);
  }
  return [...byApp.values()];
}

// The cross-field rules: the create request's own (health timeout, edge settings), then the
// document's (no duplicates, references to its own variants and hostnames, members as derived).
function checkDocument(v: z.output<z.ZodObject>, ctx: z.RefinementCtx): void {
  const doc = v as unknown as Omit<ClusterDocument, 'members'> & { members?: DocumentMember[] };
  const settings = { name: doc.name, hostnames: doc.hostnames, edge: doc.edge, edge_allow_private_addresses: doc.edge_allow_private_addresses, proxy_count: doc.proxy_count, proxy_app: doc.proxy_app, health: doc.health, edge_config: doc.edge_config };
  const created = clusterCreateRequest.safeParse(settings);
  if (!created.success) {
    const secrets = secretFieldsOf(clusterCreateRequest);
    for (const issue of created.error.issues) {
      // A secret left out is kept from the stored cluster (the server asks for it when it creates one).
      if (isSecretPath(issue.path, secrets) && valueAt(settings, issue.path) === undefined) continue;
      ctx.addIssue({ ...issue, input: undefined } as never);
    }
  }

  const hostIndex = new Map<string, number>();
  const byEnv = new Map<string, string>();
  doc.hostnames.forEach((h, i) => {
    const first = hostIndex.get(h);
    if (first !== undefined) return rule(ctx, ['hostnames', i], `${h} is listed twice (hostnames[${first}])`);
    hostIndex.set(h, i);
    const env = envNameForHostname(h);
    const clash = byEnv.get(env);
    if (clash !== undefined) {
      rule(ctx, ['hostnames', i], `${clash} and ${h} both map to the env var ${env}: one cluster can front only one of them (keep one here and put the other in another cluster)`);
    }
    byEnv.set(env, h);
  });

  const variantIndex = new Map<string, number>();
  doc.variants.forEach((x, i) => {
    const first = variantIndex.get(x.name);
    if (first !== undefined) rule(ctx, ['variants', i, 'name'], `variant ${x.name} is listed twice (variants[${first}])`);
    else variantIndex.set(x.name, i);
  });
  const variantNames = [...variantIndex.keys()];

  const upstreamIndex = new Map<string, number>();
  doc.upstreams.forEach((u, i) => {
    if (!variantIndex.has(u.variant)) {
      rule(ctx, ['upstreams', i, 'variant'], variantNames.length === 0 ? 'the file lists no variants: add the variant under variants' : `must be one of the file's variants (${listed(variantNames)})`);
    }
    if (u.hostname !== null && !hostIndex.has(u.hostname)) {
      rule(ctx, ['upstreams', i, 'hostname'], `must be one of the file's hostnames, or left out to serve every hostname`);
    }
    const key = upstreamKey(u);
    const first = upstreamIndex.get(key);
    if (first !== undefined) rule(ctx, ['upstreams', i], `the same upstream as upstreams[${first}] (same variant, hostname and ${u.app ? 'app' : 'url'}): change that one's weight instead`);
    else upstreamIndex.set(key, i);
  });

  if (doc.members === undefined) return;
  const derived = new Map(membersOf(doc.upstreams).map((m) => [m.app, m]));
  const seen = new Set<string>();
  doc.members.forEach((m, i) => {
    seen.add(m.app);
    const d = derived.get(m.app);
    if (!d) return rule(ctx, ['members', i, 'app'], `no upstream routes to app ${m.app}: members follow from the upstreams (add an upstream, or leave members out)`);
    if (!sameSet(m.variants, d.variants)) return rule(ctx, ['members', i, 'variants'], `app ${m.app} has upstreams in ${listed(d.variants)}: members follow from the upstreams (change those, or leave members out)`);
    if (m.status !== d.status) {
      rule(ctx, ['members', i, 'status'], `app ${m.app} is ${d.status} by its upstreams (a member is active while any of its upstreams is): set status on its upstreams, or leave members out`);
    }
  });
  for (const app of derived.keys()) {
    if (!seen.has(app)) rule(ctx, ['members'], `app ${app} has upstreams but is not listed: members follow from the upstreams (list it, or leave members out)`);
  }
}

function rule(ctx: z.RefinementCtx, path: PropertyKey[], message: string): void {
  ctx.addIssue({ code: 'custom', path, message });
}

function listed(names: readonly string[]): string {
  return names.length <= 8 ? names.join(', ') : `${names.slice(0, 8).join(', ')}, …`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

// ---------- naming what a refusal is about ----------

/** A path inside a document as users read it: `variants[1].weight` (the root is `document`). */
export function documentPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}

// Every object of a document and its fields, for "unknown field" refusals.
const FIELDS: Record<string, { what: string; fields: string[] }> = {
  '': { what: 'a cluster document', fields: Object.keys(clusterDocument.shape) },
  health: { what: 'health', fields: Object.keys(healthShape) },
  edge_config: { what: 'edge_config', fields: Object.keys(edgeShape) },
  'variants.*': { what: 'a variant', fields: Object.keys(documentVariant.shape) },
  'upstreams.*': { what: 'an upstream', fields: Object.keys(documentUpstream.shape) },
  'members.*': { what: 'a member', fields: Object.keys(documentMember.shape) },
};

/** The issues in the order to report them: an unknown field first (a typo there also makes the intended field "missing"). */
export function documentIssuesInOrder(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return [...issues.filter((i) => i.code === 'unrecognized_keys'), ...issues.filter((i) => i.code !== 'unrecognized_keys')];
}

/**
 * The error details of one issue found in a document: `base` is where the document sits in the
 * validated value (['document'] in an apply request, [] for a file). Paths read `variants[1].weight`.
 */
export function documentIssueDetails(issue: z.core.$ZodIssue, raw: unknown, base: readonly PropertyKey[] = []): ErrorDetails {
  const secrets = secretFieldsOf(base.length === 0 ? clusterDocument : clusterApplyRequest);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const field = documentPath([...issue.path, key]);
    const inner = issue.path.slice(base.length).map((k) => (typeof k === 'number' ? '*' : String(k))).join('.');
    const known = FIELDS[inner];
    const near = known ? didYouMean(key, known.fields, 1) : [];
    const details: ErrorDetails = {
      code: 'invalid',
      message: `unknown field ${field}${near.length > 0 ? ` — did you mean ${near[0]}?` : ''}`,
      field,
      rule: known ? `not a field of ${known.what} (fields: ${known.fields.join(', ')})` : 'not a field of a cluster document',
    };
    if (near.length > 0) details.hint = near[0]!;
    return details;
  }
  if (issue.path.length === base.length && issue.code === 'invalid_type') {
    // The whole document is not an object: zod's "expected object, received array" says too little.
    const field = documentPath(issue.path) || 'document';
    return { code: 'invalid', message: `${field} is not a cluster document: it must be an object with name, hostnames, variants and upstreams (ownstack cluster export writes one)`, field, rule: 'an object' };
  }
  return issueToDetails(issue, documentPath(issue.path) || 'document', raw, secrets);
}
