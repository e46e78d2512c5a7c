// The OpenAPI 3.1 document, generated from the endpoint table (routes.ts) and the contract's zod
// schemas, so the CLI, the local control plane and the published document cannot drift apart.
import * as z from 'zod';
import { routes, type Route } from './routes.js';
import { deployCmdSchema, descriptionSchema, errorBody, upstreamAddRequest } from './schemas.js';
import {
  addressSchema,
  albTargetGroupArnSchema,
  appNameSchema,
  appRefSchema,
  clusterRefSchema,
  dnsServerSchema,
  endpointUrlSchema,
  TSIG_ALGORITHMS,
  tsigAlgorithmSchema,
  tsigNameSchema,
  tsigSecretSchema,
  variantRefSchema,
  awsRegionSchema,
  cloudflareTokenSchema,
  cloudflareZoneIdSchema,
  clusterNameSchema,
  durationSchema,
  healthPathSchema,
  hostnameSchema,
  isSecret,
  proxyCountSchema,
  upstreamUrlSchema,
  variantNameSchema,
  weightSchema,
} from '../inputs/index.js';

/** The API's own version (not the CLI's): bumped when the contract changes incompatibly. */
export const API_VERSION = '0.1.0';

type Json = Record<string, unknown>;
type Io = 'input' | 'output';

const REF_PREFIX = '#/components/schemas/';

/** Path parameters: what each one accepts. */
const PATH_PARAMS: Record<string, { description: string; schema: Json }> = {
  cluster: { description: 'Cluster name, or its numeric id', schema: { type: 'string' } },
  id: { description: 'Numeric id', schema: { type: 'integer', minimum: 1 } },
  hostname: { description: 'A hostname of the cluster', schema: { type: 'string' } },
  variant: { description: 'Variant name, or its numeric id', schema: { type: 'string' } },
  app: { description: 'App name, or its numeric id', schema: { type: 'string' } },
};

/** Query parameters travel as strings; these have a narrower type. */
const QUERY_TYPES: Record<string, Json> = {
  dry_run: { type: 'boolean', default: false },
  with_proxy: { type: 'boolean', default: false },
  after: { type: 'integer', minimum: 0 },
};

const ERRORS: Record<string, string> = {
  '400': 'Invalid input: `error.field`, `error.value`, `error.rule` and (when one exists) the fix in `error.hint`',
  '401': 'Missing or unknown bearer token',
  '404': 'No such resource; `error.hint` suggests a near match and `error.candidates` lists known names',
  '409': 'Conflicts with the current state (duplicate name, resource in use, deploy in progress, last routable member)',
  '422': 'The Idempotency-Key was already used for a different request (method, path or body)',
};

const NAME_PATTERN = '^(?![0-9]+$)(?!.*--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$';
const NAME_RULE = 'lower-case letters, digits and dashes, starting and ending with a letter or digit, at most 63 characters; never all digits (digits alone are an id) and no two dashes in a row';
const name = (what: string): Json => ({ description: `${what} name: ${NAME_RULE}`, pattern: NAME_PATTERN });
const ref = (what: string): Json => ({ description: `${what}: its numeric id (all digits), or its name (${NAME_RULE})` });
// The server takes a JSON integer, or a string of decimal digits holding one (what a shell or a
// form produces); nothing else: 2.5, "1e2", "0x10" and " 7" are refused with 400.
const integer = (what: string, min: number, max: number): Json => ({
  description: `${what}: a whole number from ${min} to ${max}, as a JSON integer or a string of decimal digits (same range)`,
  anyOf: [
    { type: 'integer', minimum: min, maximum: max },
    { type: 'string', pattern: '^-?[0-9]+$' },
  ],
});

// The user-input schemas normalise with transforms, which JSON Schema cannot express; describe
// their rules instead, so the document says what the server accepts.
const INPUT_RULES = new Map<z.ZodType, Json>([
  [clusterNameSchema, name('Cluster')],
  [variantNameSchema, name('Variant')],
  [appNameSchema, name('App')],
  [clusterRefSchema, ref('Cluster')],
  [variantRefSchema, ref('Variant')],
  [appRefSchema, ref('App')],
  [
    hostnameSchema,
    {
      description:
        'A DNS hostname with at least one dot (a single label such as localhost is refused; app.localhost is fine), no scheme, port or path. A leading `*.` wildcard label is allowed. IDNs are letters, marks and digits of any script (IDNA 2008: no symbols or emoji) and are stored as punycode; everything is lower-cased',
      examples: ['api.example.com', '*.example.com', 'bücher.example'],
    },
  ],
  [upstreamUrlSchema, { description: 'An external upstream: `http(s)://host[:port]` only — a path (even a lone "/"), query or fragment is rejected because Caddy refuses them', examples: ['https://my-rails-app.herokuapp.com'] }],
  [weightSchema, integer('Weight (0 = no traffic)', 0, 1000)],
  [proxyCountSchema, integer('Proxies this control plane runs itself (0: only agents on other hosts)', 0, 64)],
  [durationSchema, { description: 'A duration: a whole number followed by ms, s, m or h', examples: ['500ms', '5s', '1m'] }],
  [
    healthPathSchema,
    {
      description:
        "The member health-check path (Caddy's health_uri): starts with /; letters, digits and - . _ ~ / ? : @ ! $ & ( ) * + ; = only, anything else percent-encoded (' as %27, a comma as %2C); a % must start a two-hex-digit escape; no fragment",
      examples: ['/', '/up', '/status?full=1'],
    },
  ],
  [dnsServerSchema, { description: 'dns_rr rfc2136: the authoritative server, host[:port] (an IP address, [IPv6], or a name with a dot; port 53 when left out)', examples: ['ns1.example.com:53', '127.0.0.1:5353'] }],
  [tsigNameSchema, { description: 'dns_rr rfc2136: the TSIG key name (a DNS name: letters, digits, "-" and "_" in dot-separated labels)', examples: ['ownstack-update.'] }],
  [tsigSecretSchema, { description: 'dns_rr rfc2136: the TSIG secret, base64 (write-only: never returned, never shown in an error)' }],
  [tsigAlgorithmSchema, { description: 'dns_rr rfc2136: the TSIG algorithm (default hmac-sha256)', enum: [...TSIG_ALGORITHMS] }],
  [
    endpointUrlSchema,
    {
      description:
        "A provider API endpoint: the provider's own https address (cloudflare_base_url on api.cloudflare.com, aws_endpoint on *.amazonaws.com or *.amazonaws.com.cn); any other http(s) URL only when the control plane runs with the test-only OWNSTACK_TEST_ANY_EDGE_ENDPOINT=1",
    },
  ],
  [descriptionSchema, { description: 'Free text, at most 500 characters, without control characters (TAB, newlines, CR, ESC, other C0/C1 codes, DEL, bidi controls)', maxLength: 500 }],
  [deployCmdSchema, { description: 'A shell command (run through /bin/sh), 1 to 4000 characters, one line: no control characters (TAB, newlines, CR, ESC, other C0/C1 codes, DEL, bidi controls)', minLength: 1, maxLength: 4000 }],
  [addressSchema, { description: 'An address the app listens on: host:port (IPv4, [IPv6] or a DNS name; the port is required)', examples: ['10.0.0.11:5000'] }],
  [cloudflareZoneIdSchema, { description: 'Cloudflare zone id: 32 hexadecimal characters', pattern: '^[0-9a-fA-F]{32}$' }],
  [cloudflareTokenSchema, { description: 'Cloudflare API token (write-only: responses show it masked)' }],
  [albTargetGroupArnSchema, { description: 'arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<16 hex digits>' }],
  [awsRegionSchema, { description: "AWS region; must match the target group ARN's region", examples: ['eu-west-1'] }],
  [upstreamAddRequest, { description: 'Exactly one of `url` (an external upstream) or `app` (an OwnStack app). `hostname` null: every hostname of the cluster, including ones added later.' }],
]);

/** Adds the input rules above, and defaults zod keeps on wrappers of transforms. */
function annotate(ctx: { zodSchema: unknown; jsonSchema: Json }): void {
  const rules = INPUT_RULES.get(ctx.zodSchema as z.ZodType);
  if (rules) {
    // A rule that lists the accepted forms replaces what zod derived from the union.
    if ('anyOf' in rules) for (const k of ['type', 'minimum', 'maximum', 'anyOf', 'oneOf']) delete ctx.jsonSchema[k];
    Object.assign(ctx.jsonSchema, rules);
  }
  // A secret field is sent, never answered.
  if (isSecret(ctx.zodSchema as z.ZodType)) ctx.jsonSchema.writeOnly = true;
  const def = (ctx.zodSchema as { _zod?: { def?: { type?: string; defaultValue?: unknown } } })._zod?.def;
  if (def?.type === 'default' && !('default' in ctx.jsonSchema)) ctx.jsonSchema.default = def.defaultValue;
}

/** Converts one schema; named sub-schemas (`.meta({ id })`) go to `defs`, refs point at components. */
function convert(schema: z.ZodType, io: Io, defs: Map<string, { json: string; io: Io }>): Json {
  const json = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    // Transforms (input normalisation) have no JSON Schema; their input side is described instead.
    unrepresentable: 'any',
    reused: 'inline',
    override: annotate,
  }) as Json;
  const rewritten = rewriteRefs(json) as Json;
  const local = (rewritten.$defs ?? {}) as Record<string, Json>;
  for (const [id, def] of Object.entries(local)) {
    const text = JSON.stringify(def);
    const seen = defs.get(id);
    // The same id in the other direction (request vs response) may legitimately differ; the same
    // direction must agree, or two different schemas share one name.
    if (seen && seen.io === io && seen.json !== text) throw new Error(`OpenAPI: two different schemas are both named ${id}`);
    if (!seen || seen.io === 'input') defs.set(id, { json: text, io });
  }
  delete rewritten.$defs;
  delete rewritten.$schema;
  return rewritten;
}

function rewriteRefs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(rewriteRefs);
  if (v && typeof v === 'object') {
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = k === '$ref' && typeof x === 'string' && x.startsWith('#/$defs/') ? REF_PREFIX + x.slice('#/$defs/'.length) : rewriteRefs(x);
    }
    return out;
  }
  return v;
}

/** `/api/clusters/:cluster` -> `/api/clusters/{cluster}` and the parameter names in order. */
function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const p = path.replace(/:([a-z_]+)/g, (_, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: p, params };
}

function tagOf(name: string): string {
  if (name === 'health' || name === 'openapi') return 'meta';
  if (name === 'switch') return 'clusters';
  const m = /^(cluster|proxy|domain|variant|upstream|member|deploy|app)/.exec(name);
  const group = m?.[1] ?? 'meta';
  return group === 'proxy' ? 'clusters' : `${group}s`;
}

function isDryRunnable(route: Route): boolean {
  const shape = (route.body as { shape?: Record<string, unknown> } | undefined)?.shape;
  return Boolean(route.query?.dry_run) || Boolean(shape && 'dry_run' in shape);
}

function isOptionalBody(body: z.ZodType): boolean {
  return body.safeParse(undefined).success;
}

function operation(name: string, route: Route, defs: Map<string, { json: string; io: Io }>): Json {
  const { params } = openApiPath(route.path);
  const parameters: Json[] = params.map((p) => ({
    name: p,
    in: 'path',
    required: true,
    description: PATH_PARAMS[p]?.description ?? p,
    schema: PATH_PARAMS[p]?.schema ?? { type: 'string' },
  }));
  for (const [q, description] of Object.entries(route.query ?? {})) {
    parameters.push({ name: q, in: 'query', required: false, description, schema: QUERY_TYPES[q] ?? { type: 'string' } });
  }
  if (route.method === 'POST') parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });

  const op: Json = { operationId: name, summary: route.summary, tags: [tagOf(name)] };
  if (parameters.length) op.parameters = parameters;
  if (route.body) {
    op.requestBody = {
      required: !isOptionalBody(route.body),
      content: { 'application/json': { schema: convert(route.body, 'input', defs) } },
    };
  }
  const success = convert(route.response, 'output', defs);
  const responses: Json = {
    [String(route.status)]: {
      description: route.stream
        ? 'A stream of server-sent events; each `data:` line is one JSON event'
        : route.status === 202
          ? 'Accepted: the job was queued'
          : route.status === 201
            ? 'Created'
            : 'OK',
      content: route.stream ? { 'text/event-stream': { schema: success } } : { 'application/json': { schema: success } },
    },
  };
  // A dry run answers 200 with the plan instead of creating anything.
  if (route.status !== 200 && isDryRunnable(route)) {
    responses['200'] = { description: 'Dry run (`dry_run: true`): the plan, nothing changed', content: { 'application/json': { schema: success } } };
  }
  const errors: string[] = [];
  if (route.body || route.query || params.length) errors.push('400');
  if (!route.public) errors.push('401');
  if (params.length) errors.push('404');
  if (route.method !== 'GET') errors.push('409');
  if (route.method === 'POST') errors.push('422');
  for (const code of errors) responses[code] = { $ref: `#/components/responses/${responseName(code)}` };
  responses.default = { $ref: '#/components/responses/Failed' };
  op.responses = responses;
  if (route.public) op.security = [];
  return op;
}

function responseName(code: string): string {
  return { '400': 'Invalid', '401': 'Unauthorized', '404': 'NotFound', '409': 'Conflict', '422': 'IdempotencyKeyReused' }[code] ?? 'Failed';
}

/** Builds the OpenAPI 3.1 document for every route. Deterministic: same contract, same bytes. */
export function buildOpenApi(): Json {
  const defs = new Map<string, { json: string; io: Io }>();
  const paths: Record<string, Json> = {};
  for (const [name, route] of Object.entries(routes) as [string, Route][]) {
    const { path } = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(name, route, defs);
  }
  const errorRef = { $ref: REF_PREFIX + 'Error' };
  convert(errorBody, 'output', defs);
  const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorRef } } });

  const schemas = Object.fromEntries([...defs.keys()].sort().map((id) => [id, JSON.parse(defs.get(id)!.json)]));
  return {
    openapi: '3.1.0',
    info: {
      title: 'OwnStack cluster API',
      version: API_VERSION,
      description:
        'Clusters, hostnames, variants, upstreams, members and deploys. Every routing mutation answers `{ result, plan }`; ' +
        'with `dry_run` (in the body, or `?dry_run=true`) it computes the plan without applying it; a route without a dry run refuses `dry_run` (400). ' +
        'Paths are routed as sent: `.`/`..` segments and encoded slashes are refused (400), as are unknown or repeated query parameters. ' +
        'Bodies nest at most 16 levels. Errors share one body (`Error`). ' +
        'POST requests may carry an `Idempotency-Key`: a retry with the same key replays the first answer instead of applying twice. ' +
        'Retry 429 (honour `Retry-After`), 502, 503 and 504; other errors are final.',
    },
    servers: [
      { url: 'https://api.ownstack.org', description: 'Hosted control plane' },
      { url: 'http://127.0.0.1:{port}', description: 'The embedded local control plane (`ownstack local start`)', variables: { port: { default: '7070' } } },
    ],
    security: [{ bearer: [] }],
    tags: ['meta', 'clusters', 'domains', 'variants', 'upstreams', 'members', 'deploys', 'apps'].map((t) => ({ name: t })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The API token of the profile (`Authorization: Bearer <token>`)' },
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Any unique string (the CLI sends a UUID) identifying one logical request. A retry with the same key, method, path and body ' +
            'gets the first response again (with `Idempotent-Replayed: true`) instead of applying twice; the same key for a different ' +
            'request is a 422. Keys are kept for 24 hours. Without the header a POST is applied every time it is received.',
          schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$', examples: ['7d7c2b8e-3f0a-4c1e-9a55-2f1d8c9b6e41'] },
        },
      },
      responses: {
        Invalid: errorResponse(ERRORS['400']!),
        Unauthorized: errorResponse(ERRORS['401']!),
        NotFound: errorResponse(ERRORS['404']!),
        Conflict: errorResponse(ERRORS['409']!),
        IdempotencyKeyReused: errorResponse(ERRORS['422']!),
        Failed: errorResponse(
          'Any other failure (`error.code`): 413 body over 1 MiB or 415 not JSON (invalid), 421 a Host header that names no address of this server (forbidden), 503 a connection or event-stream limit reached (unavailable, with `Retry-After`), 424 an edge provider refused (unavailable, failed), 500 (failed, internal)',
        ),
      },
      schemas,
    },
  };
}

/** The document as committed in docs/openapi.json (2-space indent, trailing newline). */
export function openApiJson(): string {
  return JSON.stringify(buildOpenApi(), null, 2) + '\n';
}
