// cluster export and cluster apply -f, in-process against msw: formats, what is sent, how a
// refused file is named (file:line, the path inside it, the value, the rule) with nothing sent,
// secrets from a file or the environment, and the renderings (dry run, TTY, piped, --json).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { clusterApplyResult, clusterExport, type ClusterApplyResult, type ClusterExport } from '../../../src/api/schemas.js';
import { hasAnsi, runOwnstack } from '../../helpers/cli.js';
import { apiError, contractServer, http, HttpResponse, sampleDryRunPlan, sampleEmptyPlan, samplePlan, url } from '../../fixtures/contract.js';

const api = contractServer({ beforeAll, afterEach, afterAll });
const dir = mkdtempSync(join(tmpdir(), 'ownstack-apply-cli-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const exported: ClusterExport = clusterExport.parse({
  name: 'api',
  edge: 'dns_rr',
  edge_config: { dns_provider: 'zonefile' },
  proxy_count: 2,
  proxy_app: null,
  health: { path: '/up', interval: '5s', timeout: '2s' },
  hostnames: ['api.example.com', '*.apps.example.com'],
  variants: [
    { name: 'blue', weight: 100, status: 'active', description: 'current' },
    { name: 'green', weight: 0, status: 'active', description: '' },
  ],
  upstreams: [
    { variant: 'blue', app: 'rails', weight: 100, status: 'active' },
    { variant: 'green', hostname: 'api.example.com', url: 'https://green.example.net', weight: 100, status: 'active', host_header: 'api.example.com' },
  ],
  members: [{ app: 'rails', variants: ['blue'], status: 'active' }],
});

const result = (over: Partial<ClusterApplyResult> = {}): ClusterApplyResult =>
  clusterApplyResult.parse({
    cluster: 'api',
    created: false,
    changed: true,
    generation: 8,
    changes: {
      settings: [{ field: 'health.interval', before: '5s', after: '10s' }],
      hostnames: { added: ['new.example.com'], removed: ['old.example.com'] },
      variants: { added: ['canary'], updated: [{ name: 'green', fields: [{ field: 'weight', before: '0', after: '100' }] }], removed: ['red'] },
      upstreams: {
        added: [{ variant: 'canary', hostname: null, url: null, app: 'rails' }],
        updated: [{ variant: 'blue', hostname: 'api.example.com', url: 'https://b.example.net', app: null, fields: [{ field: 'status', before: 'active', after: 'draining' }] }],
        removed: [{ variant: 'red', hostname: null, url: null, app: 'old' }],
      },
    },
    plan: samplePlan,
    ...over,
  });

const applyHandler = (answer: (body: any) => ClusterApplyResult | Response) =>
  http.post(url('/api/clusters/:cluster/apply'), async ({ request }) => {
    const b = await request.json();
    const a = answer(b);
    return a instanceof Response ? a : HttpResponse.json(a);
  });

const YAML_DOC = `# a comment
name: api
hostnames:
  - API.Example.com
variants:
  - name: blue
    weight: 100
upstreams:
  - variant: blue
    app: rails
`;

describe('cluster export', () => {
  it('YAML by default: the header says what the file is and that secrets are left out; it parses back to the document', async () => {
    api.use(http.get(url('/api/clusters/api/export'), () => HttpResponse.json(exported)));
    const r = await runOwnstack(['cluster', 'export', 'api']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# Cluster file written by `ownstack cluster export`/);
    expect(r.stdout).toContain('# Secrets (edge_config.cloudflare_api_token, edge_config.dns_tsig_secret) are never exported:\n# apply keeps the stored ones when the file has none.');
    expect(r.stdout).toContain('\n  - "*.apps.example.com"\n');
    expect(r.stdout).toContain('    variants: [blue]\n');
    expect(parseYaml(r.stdout)).toEqual(exported);
    expect(r.stderr).toBe('');
  });

  it('--format=json and --json print the same indented JSON document; --json with --format=yaml is refused', async () => {
    api.use(http.get(url('/api/clusters/api/export'), () => HttpResponse.json(exported)));
    const a = await runOwnstack(['cluster', 'export', 'api', '--format=json']);
    const b = await runOwnstack(['cluster', 'export', 'api', '--json']);
    expect(a.stdout).toBe(`${JSON.stringify(exported, null, 2)}\n`);
    expect(b.stdout).toBe(a.stdout);
    const bad = await runOwnstack(['cluster', 'export', 'api', '--json', '--format=yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--json prints the document as JSON');
    expect(api.seen.filter((x) => x.url.pathname.endsWith('/export'))).toHaveLength(2);
  });

  it('an unknown cluster: exit 3 with the did-you-mean', async () => {
    api.use(http.get(url('/api/clusters/apx/export'), () => apiError(404, 'not_found', 'cluster "apx" not found', { hint: 'did you mean "api"?' })));
    const r = await runOwnstack(['cluster', 'export', 'apx']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('hint: did you mean "api"?');
  });
});

describe('cluster apply -f', () => {
  it('sends the file as a normalised document to the cluster it names (YAML; defaults filled in)', async () => {
    let sent: any;
    api.use(applyHandler((b) => ((sent = b), result())));
    const r = await runOwnstack(['cluster', 'apply', '-f', file('api.yaml', YAML_DOC)]);
    expect(r.code, r.stderr).toBe(0);
    expect(api.seen.map((x) => `${x.method} ${x.url.pathname}`)).toEqual(['POST /api/clusters/api/apply']);
    expect(sent).toEqual({
      dry_run: false,
      force: false,
      document: {
        name: 'api',
        edge: 'dns_rr',
        edge_allow_private_addresses: false,
        edge_config: {},
        proxy_count: 1,
        proxy_app: null,
        health: { path: '/', interval: '5s', timeout: '2s' },
        hostnames: ['api.example.com'],
        variants: [{ name: 'blue', weight: 100, status: 'active', description: '' }],
        upstreams: [{ variant: 'blue', hostname: null, app: 'rails', weight: 100, status: 'active', host_header: null }],
      },
    });
  });

  it('JSON and stdin ("-") too; --dry-run and --force are sent', async () => {
    let sent: any;
    api.use(applyHandler((b) => ((sent = b), result({ plan: sampleDryRunPlan }))));
    const r = await runOwnstack(['cluster', 'apply', '-f', '-', '--dry-run', '--force'], { stdin: JSON.stringify(exported) });
    expect(r.code, r.stderr).toBe(0);
    expect(sent).toMatchObject({ dry_run: true, force: true, document: { name: 'api', members: exported.members } });
  });

  it('--dry-run: the header on stderr; the changes, then the plan, on stdout', async () => {
    api.use(applyHandler(() => result({ plan: sampleDryRunPlan })));
    const r = await runOwnstack(['cluster', 'apply', '-f', file('a.yaml', YAML_DOC), '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('Dry run: nothing was changed\n');
    expect(r.stdout).toContain(
      [
        'Cluster api: change',
        'Settings:',
        '  ~ health.interval 5s → 10s',
        'Hostnames:',
        '  + new.example.com',
        '  - old.example.com',
        'Variants:',
        '  + canary',
        '  ~ green: weight 0 → 100',
        '  - red',
        'Upstreams:',
        '  + canary → app rails (every hostname)',
        '  ~ blue → https://b.example.net (api.example.com): status active → draining',
        '  - red → app old (every hostname)',
        'Plan for cluster api (not applied)',
      ].join('\n'),
    );
    expect(r.stdout).toContain('  CLUSTER_UPSTREAMS_APP_EXAMPLE_COM (app.example.com) (unchanged)\n');
    expect(hasAnsi(r.stdout)).toBe(false);
  });

  it('applied, piped: one success line with what changed and the generation; warnings on stderr', async () => {
    api.use(applyHandler(() => result()));
    const r = await runOwnstack(['cluster', 'apply', '-f', file('b.yaml', YAML_DOC)]);
    expect(r.stdout).toBe(
      `✓ Updated cluster api from ${join(dir, 'b.yaml')}: 1 hostname added, 1 removed; 1 variant added, 1 changed, 1 removed; 1 upstream added, 1 changed, 1 removed; health.interval changed (generation 8)\n`,
    );
    expect(r.stderr).toBe('! app.example.com has no upstream in variant green: it keeps its current routing\n');
  });

  it('applied on a TTY: the changes and the changed env lines follow; created and unchanged have their own lines', async () => {
    api.use(applyHandler(() => result()));
    const t = await runOwnstack(['cluster', 'apply', '-f', file('c.yaml', YAML_DOC)], { tty: true, env: { NO_COLOR: '1' } });
    expect(t.stdout).toContain('Upstreams:\n  + canary → app rails (every hostname)\n');
    expect(t.stdout).toContain('  + https://my-rails-app.herokuapp.com\n');
    api.use(applyHandler(() => result({ created: true, generation: 1 })));
    expect((await runOwnstack(['cluster', 'apply', '-f', file('c.yaml', YAML_DOC)])).stdout).toMatch(/^✓ Created cluster api from .*c\.yaml: .*\(generation 1\)\n$/);
    const none = result({ changed: false, plan: sampleEmptyPlan });
    none.changes = { settings: [], hostnames: { added: [], removed: [] }, variants: { added: [], updated: [], removed: [] }, upstreams: { added: [], updated: [], removed: [] } };
    api.use(applyHandler(() => none));
    expect((await runOwnstack(['cluster', 'apply', '-f', file('c.yaml', YAML_DOC)])).stdout).toBe(`✓ Cluster api already matches ${join(dir, 'c.yaml')}: nothing to change (generation 8)\n`);
  });

  it('--json: the whole result, dry run or not', async () => {
    api.use(applyHandler((b) => result({ plan: b.dry_run ? sampleDryRunPlan : samplePlan })));
    for (const dry of [[], ['--dry-run']]) {
      const r = await runOwnstack(['cluster', 'apply', '-f', file('d.yaml', YAML_DOC), '--json', ...dry]);
      expect(clusterApplyResult.parse(JSON.parse(r.stdout)).changes.hostnames.added).toEqual(['new.example.com']);
    }
  });

  it.each([
    ['a weight out of range', YAML_DOC.replace('weight: 100', 'weight: 2000'), /^error: .*\.yaml:7: invalid variants\[0\]\.weight "2000": a weight must be a whole number from 0 to 1000 — try 1000$/m],
    ['an unknown field', YAML_DOC.replace('    weight: 100', '    wieght: 100'), /^error: .*\.yaml:7: unknown field variants\[0\]\.wieght — did you mean weight\?$/m],
    ['an upstream of a variant not in the file', YAML_DOC.replace('  - variant: blue', '  - variant: green'), /^error: .*\.yaml:9: invalid upstreams\[0\]\.variant "green": must be one of the file's variants \(blue\)$/m],
    ['a missing list', YAML_DOC.replace(/upstreams:[\s\S]*$/, ''), /^error: .*\.yaml:2: missing upstreams: a value is required$/m],
    ['a YAML syntax error', 'name: api\n  edge: none\n', /^error: .*\.yaml:1:7: not valid YAML: /m],
    ['a duplicate key', 'name: api\nname: web\n', /^error: .*\.yaml:2:1: not valid YAML: Map keys must be unique/m],
    ['a JSON syntax error (JSON rules: no trailing comma)', '{"name": "api",\n "hostnames": [],}', /^error: .*\.yaml:2:\d+: not valid JSON \(the syntax breaks here\)$/m],
    ['an empty file', '\n', /is empty: a cluster file is a YAML or JSON object/],
    ['not an object', '- a\n- b\n', /^error: .*\.yaml:1: document is not a cluster document: it must be an object with name, hostnames, variants and upstreams/m],
  ])('exit 2, nothing sent: %s', async (_, text, message) => {
    const r = await runOwnstack(['cluster', 'apply', '-f', file('bad.yaml', text)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(api.seen).toHaveLength(0);
  });

  it('exit 2 with --json: the error names the path, the value and the rule; every problem is listed', async () => {
    const r = await runOwnstack(['cluster', 'apply', '-f', file('bad.json', JSON.stringify({ name: 'api', hostnames: ['x y'], variants: [{ name: 'b', weight: -5 }], upstreams: [] }, null, 1)), '--json']);
    expect(r.code).toBe(2);
    const error = JSON.parse(r.stderr.split('\n')[0]!).error;
    expect(error).toMatchObject({ code: 'invalid', field: 'hostnames[0]', value: 'x y', rule: expect.stringContaining('whitespace') });
    expect(error.details.issues.map((i: any) => [i.field, i.line])).toEqual([
      ['hostnames[0]', 4],
      ['variants[0].weight', 9],
    ]);
    expect(error.message).toMatch(/bad\.json:4: invalid hostnames\[0\] "x y": .* \(and 1 more problem; --json lists them\)$/);
    expect(api.seen).toHaveLength(0);
  });

  it('a file that cannot be read: exit 2, naming --file', async () => {
    const r = await runOwnstack(['cluster', 'apply', '-f', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: cannot read --file "${join(dir, 'nope.yaml')}": no such file`);
    const m = await runOwnstack(['cluster', 'apply']);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain("required option '-f, --file <path>' not specified");
  });

  it('secrets the file leaves out come from --cloudflare-token-file or the environment; a bad one is named by its source and never shown', async () => {
    const cf = 'name: web\nedge: cloudflare\nedge_config:\n  cloudflare_zone_id: 023e105f4ecef8ad9ca31a8372d0c353\nhostnames: []\nvariants: []\nupstreams: []\n';
    let sent: any;
    api.use(applyHandler((b) => ((sent = b), result({ cluster: 'web', created: true }))));
    const token = 'T'.repeat(40);
    expect((await runOwnstack(['cluster', 'apply', '-f', file('cf.yaml', cf)], { env: { CLOUDFLARE_API_TOKEN: token } })).code).toBe(0);
    expect(sent.document.edge_config).toEqual({ cloudflare_zone_id: '023e105f4ecef8ad9ca31a8372d0c353', cloudflare_api_token: token });
    const tokenFile = file('token', `${'U'.repeat(40)}\n`);
    expect((await runOwnstack(['cluster', 'apply', '-f', file('cf.yaml', cf), `--cloudflare-token-file=${tokenFile}`], { env: { CLOUDFLARE_API_TOKEN: token } })).code).toBe(0);
    expect(sent.document.edge_config.cloudflare_api_token).toBe('U'.repeat(40));
    api.seen.length = 0;
    const bad = await runOwnstack(['cluster', 'apply', '-f', file('cf.yaml', cf)], { env: { CLOUDFLARE_API_TOKEN: 'not a token!' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/error: .*cf\.yaml: invalid edge_config\.cloudflare_api_token \(hidden\): .* \(from CLOUDFLARE_API_TOKEN\)/);
    expect(bad.stderr).not.toContain('not a token');
    expect(api.seen).toHaveLength(0);
  });

  it('the server refuses: a gate is exit 5 with its hint, an unknown app exit 3', async () => {
    api.use(applyHandler(() => apiError(409, 'conflict', 'applying the file to cluster api would leave a hostname that is served now with no upstream: api.example.com', { hint: 'give it an upstream in a routed variant (or one without a hostname), or pass force: true (--force)' })));
    const g = await runOwnstack(['cluster', 'apply', '-f', file('e.yaml', YAML_DOC)]);
    expect(g.code).toBe(5);
    expect(g.stderr).toContain('hint: give it an upstream');
    api.use(applyHandler(() => apiError(404, 'not_found', 'app "rials" not found', { hint: 'did you mean "rails"?' })));
    expect((await runOwnstack(['cluster', 'apply', '-f', file('e.yaml', YAML_DOC)])).code).toBe(3);
  });
});
