// cluster export and cluster apply -f through the built CLI and its local control plane (real
// agents when Caddy is installed): a file creates a cluster; export → apply is a no-op; the export
// applied to a second control plane makes the same cluster there; a bad file is refused with exit
// 2 naming the path in the file, the value and the rule, and nothing reaches the server; a gate is
// exit 5; --dry-run changes nothing.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { assertBuilt, cleanEnv, cleanupHome, e2eHome, localFiles, ok, okJson, ownstack, ownstackCommand, ROOT, startUpstreams, type Upstream } from '../helpers/e2e.js';

let home: string;
let copy: string;
let ups: Upstream[];
let closeUpstreams: () => Promise<void>;

beforeAll(async () => {
  assertBuilt();
  home = e2eHome('apply');
  copy = e2eHome('apply-copy');
  ({ upstreams: ups, close: closeUpstreams } = await startUpstreams(['blue-1', 'blue-2', 'green-1']));
  for (const h of [home, copy]) for (const u of ups) await ok(h, ['local', 'app', 'add', u.name, `--addr=${u.addr}`]);
}, 60_000);
afterAll(async () => {
  await Promise.all([cleanupHome(home), cleanupHome(copy)]);
  await closeUpstreams?.();
}, 60_000);

const FILE = `# the shop, as reviewed
name: shop
edge: dns_rr
proxy_count: 2
health: { path: /, interval: 1s, timeout: 500ms }
hostnames:
  - shop.example.com
  - www.shop.example.com
variants:
  - name: blue
    weight: 100
    description: current release
  - name: green
upstreams:
  - variant: blue
    app: blue-1
  - variant: blue
    app: blue-2
    hostname: www.shop.example.com
    weight: 50
  - variant: green
    app: green-1
`;

const write = (name: string, text: string) => {
  const path = join(home, name);
  writeFileSync(path, text);
  return path;
};
/** How many apply requests the control plane of `h` has logged. */
const applies = (h: string) => readFileSync(localFiles(h).log, 'utf8').split('\n').filter((l) => l.includes('POST /api/clusters/:cluster/apply')).length;
const generation = async (h: string) => (await okJson(h, ['cluster', 'show', 'shop'])).cluster.generation as number;

describe('cluster apply -f and cluster export (built CLI)', () => {
  it('--dry-run of a file for a cluster that does not exist: the plan, nothing created', async () => {
    const r = await ok(home, ['cluster', 'apply', '-f', write('shop.yaml', FILE), '--dry-run']);
    expect(r.stderr).toContain('Dry run: nothing was changed');
    expect(r.stdout).toContain('Cluster shop: create\nHostnames:\n  + shop.example.com\n  + www.shop.example.com\n');
    expect(r.stdout).toContain('  + blue → app blue-2 (www.shop.example.com)\n');
    expect(r.stdout).toContain('Plan for cluster shop (not applied)');
    expect((await ownstack(home, ['cluster', 'show', 'shop'])).exitCode).toBe(3);
    // Not even the folder the zone-file edge check makes.
    expect(existsSync(join(localFiles(home).dir, 'clusters', 'shop'))).toBe(false);
  });

  it('creates the cluster in one generation; export prints it back (YAML), stable', async () => {
    const r = await ok(home, ['cluster', 'apply', '-f', join(home, 'shop.yaml')]);
    expect(r.stdout).toMatch(/^✓ Created cluster shop from .*shop\.yaml: 2 hostnames added; 2 variants added; 3 upstreams added \(generation 1\)\n$/);
    expect(await generation(home)).toBe(1);
    const a = await ok(home, ['cluster', 'export', 'shop']);
    const b = await ok(home, ['cluster', 'export', 'shop']);
    expect(b.stdout).toBe(a.stdout);
    expect(parseYaml(a.stdout)).toEqual({
      name: 'shop',
      edge: 'dns_rr',
      edge_config: {},
      proxy_count: 2,
      proxy_app: null,
      health: { path: '/', interval: '1s', timeout: '500ms' },
      hostnames: ['shop.example.com', 'www.shop.example.com'],
      variants: [
        { name: 'blue', weight: 100, status: 'active', description: 'current release' },
        { name: 'green', weight: 0, status: 'active', description: '' },
      ],
      upstreams: [
        { variant: 'blue', app: 'blue-1', weight: 100, status: 'active' },
        { variant: 'blue', hostname: 'www.shop.example.com', app: 'blue-2', weight: 50, status: 'active' },
        { variant: 'green', app: 'green-1', weight: 100, status: 'active' },
      ],
      members: [
        { app: 'blue-1', variants: ['blue'], status: 'active' },
        { app: 'blue-2', variants: ['blue'], status: 'active' },
        { app: 'green-1', variants: ['green'], status: 'active' },
      ],
    });
    writeFileSync(join(home, 'exported.yaml'), a.stdout);
  });

  it('export | apply -f - is a no-op: no change, no new generation (YAML and JSON)', async () => {
    for (const format of ['yaml', 'json']) {
      const doc = await ok(home, ['cluster', 'export', 'shop', `--format=${format}`]);
      const r = await ok(home, ['cluster', 'apply', '-f', '-'], { input: doc.stdout });
      expect(r.stdout).toBe('✓ Cluster shop already matches stdin: nothing to change (generation 1)\n');
    }
    expect(await generation(home)).toBe(1);
  });

  it('the export applied to another control plane makes the same cluster (no ids, nothing local)', async () => {
    const r = await ok(copy, ['cluster', 'apply', '-f', join(home, 'exported.yaml')]);
    expect(r.stdout).toContain('✓ Created cluster shop');
    expect((await ok(copy, ['cluster', 'export', 'shop'])).stdout).toBe(readFileSync(join(home, 'exported.yaml'), 'utf8'));
    // Same routing: the same proxy env per hostname.
    const envOf = async (h: string) => (await okJson(h, ['cluster', 'proxy-config', 'shop'])).env;
    expect(await envOf(copy)).toEqual(await envOf(home));
  });

  it('a change in one apply: one new generation; the plan says what changed', async () => {
    const edited = FILE.replace('  - name: blue\n    weight: 100', '  - name: blue\n    weight: 0').replace('  - name: green\n', '  - name: green\n    weight: 100\n').replace('    weight: 50\n', '    weight: 50\n    status: draining\n');
    const r = await ok(home, ['cluster', 'apply', '-f', write('edited.yaml', edited), '--verbose']);
    expect(r.stdout).toContain('2 variants changed; 1 upstream changed (generation 2)');
    expect(r.stdout).toContain('  ~ blue: weight 100 → 0\n  ~ green: weight 0 → 100\n');
    expect(r.stdout).toContain('  ~ blue → app blue-2 (www.shop.example.com): status active → draining\n');
    expect(await generation(home)).toBe(2);
    const env = (await okJson(home, ['cluster', 'proxy-config', 'shop'])).env;
    expect(env.CLUSTER_UPSTREAMS_SHOP_EXAMPLE_COM).toBe(ups[2]!.addr);
  });

  it('a bad file: exit 2, the path in the file, its line, the value and the rule; nothing reaches the server', async () => {
    const before = applies(home);
    const bad = await ownstack(home, ['cluster', 'apply', '-f', write('bad.yaml', FILE.replace('    weight: 50', '    weight: 5000'))]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^error: .*bad\.yaml:20: invalid upstreams\[1\]\.weight "5000": a weight must be a whole number from 0 to 1000 — try 1000\n$/);
    const json = await ownstack(home, ['cluster', 'apply', '-f', join(home, 'bad.yaml'), '--json']);
    expect(JSON.parse(json.stderr.split('\n')[0]!).error).toMatchObject({ code: 'invalid', field: 'upstreams[1].weight', value: '5000', rule: 'a weight must be a whole number from 0 to 1000' });
    const typo = await ownstack(home, ['cluster', 'apply', '-f', write('typo.yaml', FILE.replace('  - name: green', '  - nmae: green'))]);
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toMatch(/typo\.yaml:13: unknown field variants\[1\]\.nmae — did you mean name\?/);
    expect(applies(home)).toBe(before);
  });

  it('a gate: a served hostname left with no upstream is exit 5 and changes nothing (dry run too); so is another edge mode', async () => {
    const gen = await generation(home);
    const before = (await ok(home, ['cluster', 'export', 'shop'])).stdout;
    const gate = FILE.replace(/upstreams:[\s\S]*$/, 'upstreams: []\n');
    const r = await ownstack(home, ['cluster', 'apply', '-f', write('gate.yaml', gate)]);
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('error: applying the file to cluster shop would leave 2 hostnames that are served now with no upstream: shop.example.com, www.shop.example.com');
    expect(r.stderr).toContain('or pass force: true (--force)');
    const dry = await ownstack(home, ['cluster', 'apply', '-f', join(home, 'gate.yaml'), '--dry-run']);
    expect(dry.exitCode).toBe(5);
    expect((await ok(home, ['cluster', 'export', 'shop'])).stdout).toBe(before);
    expect(await generation(home)).toBe(gen);
    const edge = await ownstack(home, ['cluster', 'apply', '-f', write('edge.yaml', FILE.replace('edge: dns_rr', 'edge: none'))]);
    expect(edge.exitCode).toBe(5);
    expect(edge.stderr).toContain('error: cluster shop uses edge dns_rr, the file says edge none');
  });

  it('--dry-run changes nothing; the same file applied after does what the dry run said', async () => {
    const gen = await generation(home);
    const dry = await ok(home, ['cluster', 'apply', '-f', join(home, 'shop.yaml'), '--dry-run', '--json']);
    const plan = JSON.parse(dry.stdout);
    expect(plan).toMatchObject({ changed: true, generation: gen, plan: { applied: false } });
    expect(await generation(home)).toBe(gen);
    const real = await okJson(home, ['cluster', 'apply', '-f', join(home, 'shop.yaml')]);
    expect(real.changes).toEqual(plan.changes);
    expect(real.generation).toBe(gen + 1);
  });
});

describe('a long output through a slow pipe', () => {
  it('is printed whole: the CLI exits once stdout has drained (an export of 1,000 hostnames and 2,000 upstreams, about 300 KB)', async () => {
    // A bring-your-own proxy app without a command: no proxy runs, the apply returns at once.
    await ok(home, ['local', 'app', 'add', 'byo-proxy', '--addr=127.0.0.1:9']);
    const hostnames = Array.from({ length: 1000 }, (_, i) => `h${i}.big.example.com`);
    const doc = {
      name: 'big',
      edge: 'none',
      proxy_app: 'byo-proxy',
      hostnames,
      variants: [{ name: 'blue', weight: 100 }, { name: 'green' }],
      upstreams: hostnames.flatMap((h) => [{ variant: 'blue', hostname: h, app: 'blue-1' }, { variant: 'green', hostname: h, app: 'green-1' }]),
    };
    await ok(home, ['cluster', 'apply', '-f', write('big.json', JSON.stringify(doc))]);
    // The reader takes nothing for half a second, then reads everything.
    const { file, args } = ownstackCommand(['cluster', 'export', 'big', '--json']);
    const child = spawn(file, args, { env: cleanEnv(home), cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    const closed = new Promise<number | null>((r) => child.on('close', r));
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, 500));
    child.stdout.resume();
    const code = await closed;
    expect(code).toBe(0);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text.length).toBeGreaterThan(200_000);
    const exported = JSON.parse(text);
    expect(exported.hostnames).toHaveLength(1000);
    expect(exported.upstreams).toHaveLength(2000);
  }, 60_000);
});
