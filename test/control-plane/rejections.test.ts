// Every rule the CLI checks is checked again by the server: a request sent with curl gets the
// same error body naming the field, the value and the rule (and a fix when there is one).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorBody } from '../../src/api/schemas.js';
import { dumpDb, removeHome, startTestServer, type TestServer } from './helpers.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await s.api('POST', '/api/clusters', { name: 'api', hostnames: ['api.example.com'] });
  await s.api('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 });
  await s.api('POST', '/api/local/apps', { name: 'my-rails-app', addresses: ['127.0.0.1:3001'] });
});
afterAll(async () => {
  await s.close();
  removeHome(s.home);
});

interface Case {
  name: string;
  method?: string;
  path: string;
  body: unknown;
  status?: number;
  field: string;
  value?: string;
  rule: RegExp;
  hint?: string;
}

const up = (url: unknown): Omit<Case, 'name' | 'rule' | 'value'> => ({ path: '/api/clusters/api/upstreams', body: { variant: 'blue', url }, field: 'url' });
const URL_SHAPE = /scheme:\/\/host\[:port\] with no path, query or fragment/;

const cases: Case[] = [
  // URL upstreams
  { name: 'URL with a path', ...up('https://x.example.com/api'), value: 'https://x.example.com/api', rule: URL_SHAPE, hint: 'https://x.example.com' },
  { name: 'URL with a trailing slash', ...up('https://x.example.com/'), value: 'https://x.example.com/', rule: URL_SHAPE, hint: 'https://x.example.com' },
  { name: 'URL with a query', ...up('https://x.example.com?a=1'), value: 'https://x.example.com?a=1', rule: URL_SHAPE },
  { name: 'URL with a fragment', ...up('https://x.example.com#top'), value: 'https://x.example.com#top', rule: URL_SHAPE },
  { name: 'URL with user info', ...up('https://u:p@x.example.com'), value: 'https://u:p@x.example.com', rule: /user info/ },
  { name: 'https on port 80', ...up('https://x.example.com:80'), value: 'https://x.example.com:80', rule: /https:\/\/ with port 80/ },
  { name: 'port 0', ...up('http://x.example.com:0'), value: 'http://x.example.com:0', rule: /port must be a number from 1 to 65535/ },
  { name: 'port 65536', ...up('http://x.example.com:65536'), value: 'http://x.example.com:65536', rule: /port must be a number from 1 to 65535/ },
  { name: 'URL without a scheme', ...up('x.example.com'), value: 'x.example.com', rule: /must start with http:\/\/ or https:\/\//, hint: 'https://x.example.com' },
  { name: 'URL that is not a string', ...up(42), value: '42', rule: /must be a string/ },
  // hostnames
  { name: 'hostname with a scheme', path: '/api/clusters/api/domains', body: { hostname: 'https://app.example.com' }, field: 'hostname', value: 'https://app.example.com', rule: /without a scheme/, hint: 'app.example.com' },
  { name: 'hostname with a port', path: '/api/clusters/api/domains', body: { hostname: 'app.example.com:8080' }, field: 'hostname', value: 'app.example.com:8080', rule: /must not include a port/ },
  { name: 'hostname without a dot', path: '/api/clusters/api/domains', body: { hostname: 'app' }, field: 'hostname', value: 'app', rule: /at least one dot/ },
  { name: 'hostname that is an IP', path: '/api/clusters/api/domains', body: { hostname: '10.0.0.1' }, field: 'hostname', value: '10.0.0.1', rule: /not an IP address/ },
  { name: 'hostname with a brace', path: '/api/clusters/api/domains', body: { hostname: 'a{b}.example.com' }, field: 'hostname', value: 'a{b}.example.com', rule: /Caddyfile/ },
  { name: 'hostname with empty label', path: '/api/clusters/api/domains', body: { hostname: 'a..example.com' }, field: 'hostname', value: 'a..example.com', rule: /empty labels/ },
  { name: 'hostname in an upstream', path: '/api/clusters/api/upstreams', body: { variant: 'blue', hostname: 'bad host', app: 'my-rails-app' }, field: 'hostname', value: 'bad host', rule: /whitespace/ },
  { name: 'hostname in create list', path: '/api/clusters', body: { name: 'x', hostnames: ['ok.example.com', 'bad_'] }, field: 'hostnames.1', value: 'bad_', rule: /.+/ },
  // weights
  { name: 'weight above 1000', path: '/api/clusters/api/variants', body: { name: 'green', weight: 1001 }, field: 'weight', value: '1001', rule: /whole number from 0 to 1000/, hint: '1000' },
  { name: 'negative weight', path: '/api/clusters/api/variants', body: { name: 'green', weight: -5 }, field: 'weight', value: '-5', rule: /whole number from 0 to 1000/, hint: '0' },
  { name: 'fractional weight', path: '/api/clusters/api/variants', body: { name: 'green', weight: 2.5 }, field: 'weight', value: '2.5', rule: /whole number/ },
  { name: 'weight as hex text', path: '/api/clusters/api/variants', body: { name: 'green', weight: '0x10' }, field: 'weight', value: '0x10', rule: /decimal digits/, hint: '16' },
  { name: 'member weight', method: 'PUT', path: '/api/clusters/api/members/x/weight', body: { weight: 5000 }, field: 'weight', value: '5000', rule: /0 to 1000/ },
  // durations and health
  { name: 'duration with a space', path: '/api/clusters', body: { name: 'x', health: { interval: '5 s' } }, field: 'health.interval', value: '5 s', rule: /whole number followed by ms, s, m or h/, hint: '5s' },
  { name: 'duration above 1h', path: '/api/clusters', body: { name: 'x', health: { interval: '90m' } }, field: 'health.interval', value: '90m', rule: /at most 1h/, hint: '1h' },
  { name: 'compound duration', path: '/api/clusters', body: { name: 'x', health: { timeout: '1m30s', interval: '5m' } }, field: 'health.timeout', value: '1m30s', rule: /whole number followed by/, hint: '90s' },
  { name: 'timeout equal to interval', path: '/api/clusters', body: { name: 'x', health: { interval: '5s', timeout: '5s' } }, field: 'health.timeout', value: '5s', rule: /shorter than the interval/ },
  { name: 'timeout above interval', path: '/api/clusters', body: { name: 'x', health: { interval: '1s', timeout: '2s' } }, field: 'health.timeout', value: '2s', rule: /shorter than the interval \(1s\)/ },
  { name: 'health path without slash', path: '/api/clusters', body: { name: 'x', health: { path: 'healthz' } }, field: 'health.path', value: 'healthz', rule: /start with \//, hint: '/healthz' },
  // What Caddy's URL parser refuses at load (the config would be saved and never applied).
  { name: 'health path with a lone %', path: '/api/clusters', body: { name: 'x', health: { path: '/h%' } }, field: 'health.path', value: '/h%', rule: /% only to start a percent-escape of two hex digits/, hint: '/h%25' },
  { name: 'health path with %zz', path: '/api/clusters', body: { name: 'x', health: { path: '/h%zz' } }, field: 'health.path', value: '/h%zz', rule: /% only to start a percent-escape/, hint: '/h%25zz' },
  // What the generated Caddyfile cannot carry (HTTP 500 before): 400, with the encoded path.
  { name: "health path with '", path: '/api/clusters', body: { name: 'x', health: { path: "/it's" } }, field: 'health.path', value: "/it's", rule: /percent-encode anything else/, hint: '/it%27s' },
  { name: 'health path with a comma', path: '/api/clusters', body: { name: 'x', health: { path: '/a,b' } }, field: 'health.path', value: '/a,b', rule: /percent-encode anything else/, hint: '/a%2Cb' },
  { name: 'health path in an update', method: 'PATCH', path: '/api/clusters/api', body: { health: { path: '/h%' } }, field: 'health.path', value: '/h%', rule: /percent-escape/, hint: '/h%25' },
  { name: 'app health path', path: '/api/local/apps', body: { name: 'a1', addresses: [], health_path: '/up%' }, field: 'health_path', value: '/up%', rule: /percent-escape/, hint: '/up%25' },
  // Free text: no control characters.
  { name: 'description with ESC', path: '/api/clusters/api/variants', body: { name: 'green', description: 'x\u001b]0;t\u0007' }, field: 'description', value: 'x\u001b]0;t\u0007', rule: /must not contain control characters.*found ESC at position 2/ },
  { name: 'description with a newline', method: 'PATCH', path: '/api/clusters/api/variants/blue', body: { description: 'a\nb' }, field: 'description', rule: /control characters.*a newline/ },
  { name: 'deploy command with CR', path: '/api/local/apps', body: { name: 'a1', addresses: [], deploy_cmd: './deploy\r' }, field: 'deploy_cmd', rule: /control characters.*carriage return/ },
  { name: 'deploy command with TAB', method: 'PATCH', path: '/api/local/apps/my-rails-app', body: { deploy_cmd: 'a\tb' }, field: 'deploy_cmd', rule: /control characters.*TAB/ },
  { name: 'app without addresses', path: '/api/local/apps', body: { name: 'a1' }, field: 'addresses', rule: /addresses is required/ },
  // rfc2136 settings are checked before anything is resolved or sent.
  { name: 'rfc2136 server without a dot', path: '/api/clusters', body: { name: 'x', edge_config: { dns_provider: 'rfc2136', dns_server: 'x' } }, field: 'edge_config.dns_server', value: 'x', rule: /has no dot/ },
  // names
  { name: 'cluster name upper case', path: '/api/clusters', body: { name: 'API' }, field: 'name', value: 'API', rule: /lower case/, hint: 'api' },
  { name: 'cluster name with underscore', path: '/api/clusters', body: { name: 'my_api' }, field: 'name', value: 'my_api', rule: /lower-case letters, digits and dashes/, hint: 'my-api' },
  { name: 'cluster name missing', path: '/api/clusters', body: {}, field: 'name', rule: /required/ },
  { name: 'variant name', path: '/api/clusters/api/variants', body: { name: '-blue' }, field: 'name', value: '-blue', rule: /start and end with a letter or digit/ },
  { name: 'app name', path: '/api/local/apps', body: { name: 'My App' }, field: 'name', value: 'My App', rule: /.+/, hint: 'my-app' },
  { name: 'app address without port', path: '/api/local/apps', body: { name: 'a1', addresses: ['10.0.0.1'] }, field: 'addresses.0', value: '10.0.0.1', rule: /port/ },
  { name: 'switch target name', path: '/api/clusters/api/switch', body: { to: 'Green' }, field: 'to', value: 'Green', rule: /lower case/, hint: 'green' },
  // exactly one of url / app
  { name: 'both url and app', path: '/api/clusters/api/upstreams', body: { variant: 'blue', url: 'https://x.example.com', app: 'my-rails-app' }, field: 'url', rule: /exactly one of url or app/ },
  { name: 'neither url nor app', path: '/api/clusters/api/upstreams', body: { variant: 'blue' }, field: 'url', rule: /exactly one of url or app/ },
  // edge settings
  { name: 'unknown edge mode', path: '/api/clusters', body: { name: 'x', edge: 'AWS-ALB' }, field: 'edge', value: 'AWS-ALB', rule: /one of dns_rr, cloudflare, aws_alb, none/, hint: 'aws_alb' },
  { name: 'cloudflare without token', path: '/api/clusters', body: { name: 'x', edge: 'cloudflare', edge_config: { cloudflare_zone_id: '023e105f4ecef8ad9ca31a8372d0c353' } }, field: 'edge_config.cloudflare_api_token', rule: /needs an API token/ },
  {
    name: 'ALB region not matching the ARN',
    path: '/api/clusters',
    body: { name: 'x', edge: 'aws_alb', edge_config: { alb_target_group_arn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg/0123456789abcdef', alb_region: 'us-east-1' } },
    field: 'edge_config.alb_region',
    value: 'us-east-1',
    rule: /match the target group ARN's region/,
    hint: 'eu-west-1',
  },
  // settings of another edge mode would be silently ignored: refused, the test endpoints included
  { name: 'DNS server with edge none', path: '/api/clusters', body: { name: 'x', edge: 'none', edge_config: { dns_server: '127.0.0.1:53' } }, field: 'edge_config.dns_server', value: '127.0.0.1:53', rule: /only applies to edge dns_rr, not none/ },
  { name: 'Cloudflare API URL with edge dns_rr', path: '/api/clusters', body: { name: 'x', edge: 'dns_rr', edge_config: { cloudflare_base_url: 'http://127.0.0.1:9/client/v4' } }, field: 'edge_config.cloudflare_base_url', rule: /only applies to edge cloudflare, not dns_rr/ },
  {
    name: 'AWS endpoint with edge cloudflare',
    path: '/api/clusters',
    body: { name: 'x', edge: 'cloudflare', edge_config: { cloudflare_zone_id: '023e105f4ecef8ad9ca31a8372d0c353', cloudflare_api_token: 'a'.repeat(40), aws_endpoint: 'http://127.0.0.1:9' } },
    field: 'edge_config.aws_endpoint',
    rule: /only applies to edge aws_alb, not cloudflare/,
  },
  { name: 'cloudflare token value is never echoed', path: '/api/clusters', body: { name: 'x', edge: 'cloudflare', edge_config: { cloudflare_zone_id: '023e105f4ecef8ad9ca31a8372d0c353', cloudflare_api_token: 'has spaces in it and is long' } }, field: 'edge_config.cloudflare_api_token', value: '(hidden)', rule: /letters, digits/ },
  { name: 'proxy count 65', path: '/api/clusters', body: { name: 'x', proxy_count: 65 }, field: 'proxy_count', value: '65', rule: /0 to 64/, hint: '64' },
  { name: 'proxy count -1', path: '/api/clusters', body: { name: 'x', proxy_count: -1 }, field: 'proxy_count', value: '-1', rule: /0 to 64/, hint: '0' },
  // request shape
  { name: 'unknown field', path: '/api/clusters/api/variants', body: { name: 'green', wieght: 5 }, field: 'wieght', rule: /not a field of this request/, hint: 'weight' },
  { name: 'body is an array', path: '/api/clusters/api/variants', body: [1], field: 'body', rule: /.+/ },
  { name: 'dry_run not a boolean', path: '/api/clusters/api/domains', body: { hostname: 'x.example.com', dry_run: 'yes' }, field: 'dry_run', value: 'yes', rule: /.+/ },
  { name: 'variant update with nothing', method: 'PATCH', path: '/api/clusters/api/variants/blue', body: {}, field: 'weight', rule: /nothing to update/ },
  { name: 'hostname in the path', method: 'DELETE', path: '/api/clusters/api/domains/https%3A%2F%2Fapi.example.com', body: undefined, field: 'hostname', value: 'https://api.example.com', rule: /no \/ or \\ \(not even percent-encoded/ },
  { name: 'hostname with a scheme in the path', method: 'DELETE', path: '/api/clusters/api/domains/https%3Aapi.example.com', body: undefined, field: 'hostname', value: 'https:api.example.com', rule: /.+/ },
  { name: 'upstream id not a number', method: 'DELETE', path: '/api/clusters/api/upstreams/abc', body: undefined, field: 'id', value: 'abc', rule: /positive whole number/ },
  { name: 'dry_run query not a boolean', method: 'DELETE', path: '/api/clusters/api/variants/blue?dry_run=maybe', body: undefined, field: 'dry_run', value: 'maybe', rule: /true or false/ },
];

describe('rejections sent straight to the server', () => {
  test.each(cases)('$name', async (c) => {
    const before = dumpDb(s.home);
    const r = await s.api(c.method ?? 'POST', c.path, c.body);
    expect(r.status, JSON.stringify(r.body)).toBe(c.status ?? 400);
    const { error } = errorBody.parse(r.body);
    expect(error.code).toBe('invalid');
    expect(error.field).toBe(c.field);
    if (c.value !== undefined) {
      expect(error.value).toBe(c.value);
      expect(error.message).toContain(c.value === '(hidden)' ? c.value : JSON.stringify(c.value));
    }
    expect(error.rule).toMatch(c.rule);
    expect(error.message).toContain(c.field);
    if (c.hint !== undefined) expect(error.hint).toBe(c.hint);
    expect(dumpDb(s.home)).toEqual(before);
  });

  test('the Cloudflare token never appears in an error body', async () => {
    const r = await s.api('POST', '/api/clusters', { name: 'x', edge: 'cloudflare', edge_config: { cloudflare_zone_id: '023e105f4ecef8ad9ca31a8372d0c353', cloudflare_api_token: 'has spaces in it and is long' } });
    expect(JSON.stringify(r.body)).not.toContain('has spaces');
  });

  test('env-name collision → 409 naming both hostnames', async () => {
    const r = await s.api('POST', '/api/clusters/api/domains', { hostname: 'api-example.com' });
    expect(r.status).toBe(409);
    const { error } = errorBody.parse(r.body);
    expect(error).toMatchObject({ code: 'conflict', field: 'hostname', value: 'api-example.com', details: { hostname: 'api-example.com', collides_with: 'api.example.com', env_name: 'CLUSTER_UPSTREAMS_API_EXAMPLE_COM' } });
    expect(error.message).toBe('hostname api-example.com and api.example.com both map to the env var CLUSTER_UPSTREAMS_API_EXAMPLE_COM in cluster api');
    // Within the hostnames of one create request it is a rule of the request itself (400, checked by
    // the CLI before sending), and the fix is to keep one, not to remove an existing one.
    const c = await s.api('POST', '/api/clusters', { name: 'two', hostnames: ['a.b.example.com', 'a-b.example.com'] });
    expect(c.status).toBe(400);
    expect(c.body.error.message).toContain('hostnames a.b.example.com and a-b.example.com both map to the env var CLUSTER_UPSTREAMS_A_B_EXAMPLE_COM');
    expect(c.body.error.message).not.toMatch(/remove/);
    expect(c.body.error.field).toBe('hostnames.1');
    expect((await s.api('GET', '/api/clusters/two')).status).toBe(404);
  });

  test('duplicates → 409', async () => {
    expect((await s.api('POST', '/api/clusters/api/domains', { hostname: 'api.example.com' })).status).toBe(409);
    expect((await s.api('POST', '/api/clusters', { name: 'api' })).body.error).toMatchObject({ code: 'conflict', field: 'name', value: 'api' });
    expect((await s.api('POST', '/api/clusters/api/variants', { name: 'blue' })).status).toBe(409);
    expect((await s.api('POST', '/api/local/apps', { name: 'my-rails-app', addresses: [] })).status).toBe(409);
    // A hostname fronts one cluster only.
    const other = await s.api('POST', '/api/clusters', { name: 'other', hostnames: ['api.example.com'] });
    expect(other.status).toBe(409);
    expect(other.body.error.message).toBe('hostname api.example.com already belongs to cluster api');
  });

  test('unknown names → 404 with did-you-mean candidates', async () => {
    const app = await s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', app: 'my-rails' });
    expect(app.status).toBe(404);
    expect(app.body.error).toMatchObject({ code: 'not_found', field: 'app', value: 'my-rails', candidates: ['my-rails-app'], hint: 'did you mean "my-rails-app"?' });
    const member = await s.api('POST', '/api/clusters/api/members', { app: 'my-rail-app' });
    expect(member.body.error.candidates).toEqual(['my-rails-app']);
    const cluster = await s.api('GET', '/api/clusters/apii/status');
    expect(cluster.body.error).toMatchObject({ code: 'not_found', field: 'cluster', candidates: ['api'] });
    const variant = await s.api('POST', '/api/clusters/api/upstreams', { variant: 'bleu', app: 'my-rails-app' });
    expect(variant.body.error).toMatchObject({ field: 'variant', candidates: ['blue'], message: 'variant "bleu" not found in cluster api' });
    const host = await s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', hostname: 'apo.example.com', app: 'my-rails-app' });
    expect(host.body.error).toMatchObject({ code: 'not_found', field: 'hostname', candidates: ['api.example.com'] });
    const domain = await s.api('DELETE', '/api/clusters/api/domains/api.exmple.com');
    expect(domain.body.error.candidates).toEqual(['api.example.com']);
    const up = await s.api('DELETE', '/api/clusters/api/upstreams/999');
    expect(up.status).toBe(404);
    const route = await s.api('GET', '/api/clusterz');
    expect(route.body.error).toMatchObject({ code: 'not_found', candidates: ['/api/clusters'] });
  });

  test('auth: missing or invalid token → 401 (health and openapi stay public)', async () => {
    const missing = await s.raw('GET', '/api/clusters');
    expect(missing.status).toBe(401);
    expect(errorBody.parse(missing.body).error).toMatchObject({ code: 'unauthorized', message: 'missing bearer token', field: 'Authorization' });
    const wrong = await s.raw('POST', '/api/clusters', { headers: { authorization: 'Bearer not-the-token', 'content-type': 'application/json' }, body: '{"name":"sneaky"}' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toBe('invalid bearer token');
    const basic = await s.raw('GET', '/api/clusters', { headers: { authorization: `Basic ${s.cp.token}` } });
    expect(basic.status).toBe(401);
    // Unknown paths also need the token (no probing the route table without it).
    expect((await s.raw('GET', '/api/nope')).status).toBe(401);
    expect((await s.raw('GET', '/api/health')).status).toBe(200);
    expect((await s.api('GET', '/api/clusters/sneaky')).status).toBe(404);
  });

  test('malformed requests: bad JSON 400, wrong content type 415, too large 413, wrong method 405', async () => {
    const auth = { authorization: `Bearer ${s.cp.token}` };
    const bad = await s.raw('POST', '/api/clusters', { headers: { ...auth, 'content-type': 'application/json' }, body: '{"name": ' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid', field: 'body' });
    expect(bad.body.error.message).toMatch(/^the body is not valid JSON/);
    const form = await s.raw('POST', '/api/clusters', { headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=x' });
    expect(form.status).toBe(415);
    const big = await s.raw('POST', '/api/local/apps', { headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'big', deploy_cmd: 'x'.repeat(1024 * 1024 + 10) }) });
    expect(big.status).toBe(413);
    expect(big.body.error.message).toBe('the request body is larger than 1 MiB');
    const put = await s.api('PUT', '/api/clusters/api');
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, PATCH, DELETE');
  });

  test('app removal is refused while a cluster uses it', async () => {
    await s.api('POST', '/api/clusters/api/upstreams', { variant: 'blue', app: 'my-rails-app' });
    const r = await s.api('DELETE', '/api/local/apps/my-rails-app');
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ message: 'app my-rails-app is still used by cluster api', details: { clusters: ['api'] } });
  });
});
