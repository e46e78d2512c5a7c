import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  renderCaddyfile,
  renderReplicaEnv,
  type CaddyfileOptions,
  type RenderedCaddyfile,
  type ReplicaAddress,
} from '../../src/proxy/caddyfile.js';
import { renderEnv } from '../../src/proxy/env.js';
import { computeRouting } from '../../src/proxy/routing.js';
import type { RenderCluster } from '../../src/proxy/types.js';
import { caddyAvailable, validateCaddyfile } from '../../src/proxy/validate.js';
import { app, cluster, clusterArb, domains, mixedCluster, url, variant, walkthrough } from './fixtures.js';

const OPTS: CaddyfileOptions = { listenPort: 8080, bridgeBasePort: 20000 };
const REPLICA: ReplicaAddress = { bind: '127.0.0.2', adminAddress: '127.0.0.2:2019' };

interface Rendered extends RenderedCaddyfile {
  label: string;
  contractEnv: Record<string, string>;
  replicaEnv: Record<string, string>;
}

/** Every Caddyfile this file renders goes through here, so the last block can `caddy validate` them all. */
const rendered: Rendered[] = [];
function render(label: string, c: RenderCluster, opts: CaddyfileOptions = OPTS, replica: ReplicaAddress = REPLICA): Rendered {
  const out = renderCaddyfile(c, opts);
  const table = computeRouting(c);
  const contractEnv = renderEnv(table);
  const replicaEnv = renderReplicaEnv(contractEnv, table, out.bridges, replica);
  const r = { label, ...out, contractEnv, replicaEnv };
  rendered.push(r);
  return r;
}

/** The lines of the block that starts with `opening` (through its matching close brace). */
function block(caddyfile: string, opening: string): string[] {
  const lines = caddyfile.split('\n');
  const start = lines.indexOf(opening);
  if (start < 0) throw new Error(`no block ${opening}\n${caddyfile}`);
  const indentOf = (l: string): number => l.length - l.trimStart().length;
  const end = lines.findIndex((l, i) => i > start && l === `${'\t'.repeat(indentOf(opening))}}`);
  return lines.slice(start, end + 1);
}

const HOST_BLOCK_API = [
  'http://api.example.com:8080 {',
  '\thandle /_cluster/healthz {',
  '\t\trespond "ok" 200',
  '\t}',
  '\thandle {',
  '\t\treverse_proxy {$CLUSTER_UPSTREAMS_API_EXAMPLE_COM} {',
  '\t\t\tlb_policy random',
  '\t\t\tlb_try_duration 5s',
  '\t\t\tlb_try_interval 250ms',
  '\t\t\thealth_uri /',
  '\t\t\thealth_interval 5s',
  '\t\t\thealth_timeout 2s',
  '\t\t\thealth_headers {',
  '\t\t\t\tHost api.example.com',
  '\t\t\t}',
  '\t\t\tfail_duration 10s',
  '\t\t}',
  '\t}',
  '}',
];

describe('renderCaddyfile: the walkthrough', () => {
  const before = render('walkthrough blue', walkthrough({ blue: 100, green: 0 }));
  const after = render('walkthrough green', walkthrough({ blue: 0, green: 100 }));

  it('global options: no ACME, per-replica admin and bind from the env', () => {
    expect(block(before.caddyfile, '{')).toEqual([
      '{',
      '\tauto_https off',
      '\tadmin {$CLUSTER_ADMIN_ADDR}',
      '\tdefault_bind {$CLUSTER_PROXY_BIND}',
      '}',
    ]);
  });

  it('one site per hostname: healthz first, then the env-var upstream list with checks and retries', () => {
    expect(block(before.caddyfile, 'http://api.example.com:8080 {')).toEqual(HOST_BLOCK_API);
  });

  it('a hostname with nothing routed answers 503 itself instead of an empty reverse_proxy', () => {
    expect(block(before.caddyfile, 'http://app.example.com:8080 {')).toEqual([
      'http://app.example.com:8080 {',
      '\thandle /_cluster/healthz {',
      '\t\trespond "ok" 200',
      '\t}',
      '\thandle {',
      '\t\trespond "no upstream routed for app.example.com" 503',
      '\t}',
      '}',
    ]);
    expect(before.caddyfile).not.toContain('CLUSTER_UPSTREAMS_APP_EXAMPLE_COM');
  });

  it('a catch-all answers healthz and 421 for hostnames the cluster does not front', () => {
    expect(block(before.caddyfile, 'http://:8080 {')).toEqual([
      'http://:8080 {',
      '\thandle /_cluster/healthz {',
      '\t\trespond "ok" 200',
      '\t}',
      '\thandle {',
      '\t\trespond "this proxy does not front that hostname" 421',
      '\t}',
      '}',
    ]);
    expect(before.caddyfile.trimEnd().endsWith(block(before.caddyfile, 'http://:8080 {').join('\n'))).toBe(true);
  });

  it('the Heroku URL goes through a bridge that sends its own Host', () => {
    expect(before.bridges).toEqual([
      { upstreamId: 2, port: 20000, kind: 'url', target: 'https://my-rails-app.herokuapp.com', hostHeader: null },
    ]);
    expect(block(before.caddyfile, 'http://:20000 {')).toEqual([
      'http://:20000 {',
      '\tbind {$CLUSTER_PROXY_BIND}',
      '\treverse_proxy https://my-rails-app.herokuapp.com {',
      '\t\theader_up Host {upstream_hostport}',
      '\t}',
      '}',
    ]);
  });

  it('the switch changes only the env: the Caddyfile and bridge ports stay the same', () => {
    expect(after.caddyfile).toBe(before.caddyfile);
    expect(after.bridges).toEqual(before.bridges);
    expect(after.replicaEnv).toEqual({
      CLUSTER_UPSTREAMS: '127.0.0.2:20000',
      CLUSTER_UPSTREAMS_API_EXAMPLE_COM: '127.0.0.2:20000',
      CLUSTER_UPSTREAMS_APP_EXAMPLE_COM: '',
      CLUSTER_PROXY_BIND: '127.0.0.2',
      CLUSTER_ADMIN_ADDR: '127.0.0.2:2019',
    });
    // the contract env keeps the URL exactly as the product document says
    expect(after.contractEnv.CLUSTER_UPSTREAMS_API_EXAMPLE_COM).toBe('https://my-rails-app.herokuapp.com');
  });

  it('emits only directives Caddy 2.6.2 parses', () => {
    for (const r of [before, after]) {
      expect(r.caddyfile).not.toMatch(/health_passes|health_fails|health_method|health_follow_redirects|stream_close_delay|stream_timeout|weighted_round_robin/);
    }
  });
});

describe('renderCaddyfile: a hostname mixing an app and an https URL', () => {
  const mixed = render('mixed', mixedCluster());

  it('every URL and every Host override gets a bridge, ports in upstream id order', () => {
    expect(mixed.bridges).toEqual([
      { upstreamId: 2, port: 20000, kind: 'url', target: 'https://my-rails-app.herokuapp.com', hostHeader: null },
      { upstreamId: 3, port: 20001, kind: 'app', target: '127.0.0.1:4001', hostHeader: 'www.internal' },
      { upstreamId: 4, port: 20002, kind: 'url', target: 'http://legacy.example.net:8080', hostHeader: 'www.example.com' },
      // standby variant: bridged anyway so a switch never moves ports
      { upstreamId: 5, port: 20003, kind: 'url', target: 'https://standby.example.org:8443', hostHeader: null },
    ]);
  });

  it('the replica env lists only plain host:port members; the contract env keeps the URLs', () => {
    expect(mixed.contractEnv).toEqual({
      CLUSTER_UPSTREAMS: '127.0.0.1:3001 127.0.0.1:3002 https://my-rails-app.herokuapp.com 127.0.0.1:4001 http://legacy.example.net:8080',
      CLUSTER_UPSTREAMS_API_EXAMPLE_COM:
        '127.0.0.1:3001 127.0.0.1:3002 https://my-rails-app.herokuapp.com https://my-rails-app.herokuapp.com',
      CLUSTER_UPSTREAMS_WWW_EXAMPLE_COM: '127.0.0.1:4001 http://legacy.example.net:8080',
      CLUSTER_UPSTREAMS_EMPTY_EXAMPLE_COM: '',
    });
    expect(mixed.replicaEnv).toEqual({
      CLUSTER_UPSTREAMS: '127.0.0.1:3001 127.0.0.1:3002 127.0.0.2:20000 127.0.0.2:20001 127.0.0.2:20002',
      CLUSTER_UPSTREAMS_API_EXAMPLE_COM: '127.0.0.1:3001 127.0.0.1:3002 127.0.0.2:20000 127.0.0.2:20000',
      CLUSTER_UPSTREAMS_WWW_EXAMPLE_COM: '127.0.0.2:20001 127.0.0.2:20002',
      CLUSTER_UPSTREAMS_EMPTY_EXAMPLE_COM: '',
      CLUSTER_PROXY_BIND: '127.0.0.2',
      CLUSTER_ADMIN_ADDR: '127.0.0.2:2019',
    });
  });

  it('a Host-override app bridge balances and checks the app itself', () => {
    expect(block(mixed.caddyfile, 'http://:20001 {')).toEqual([
      'http://:20001 {',
      '\tbind {$CLUSTER_PROXY_BIND}',
      '\treverse_proxy 127.0.0.1:4001 {',
      '\t\theader_up Host www.internal',
      '\t\tlb_policy random',
      '\t\tlb_try_duration 5s',
      '\t\tlb_try_interval 250ms',
      '\t\thealth_uri /',
      '\t\thealth_interval 5s',
      '\t\thealth_timeout 2s',
      '\t\thealth_headers {',
      '\t\t\tHost www.internal',
      '\t\t}',
      '\t\tfail_duration 10s',
      '\t}',
      '}',
    ]);
  });

  it('a URL with a Host override sends that Host', () => {
    expect(block(mixed.caddyfile, 'http://:20002 {')).toContain('\t\theader_up Host www.example.com');
  });

  it('never emits a scheme inside a hostname block', () => {
    for (const line of mixed.caddyfile.split('\n').filter((l) => l.includes('reverse_proxy {$'))) {
      expect(line).toMatch(/^\t\treverse_proxy \{\$CLUSTER_UPSTREAMS_[A-Z0-9_]+\} \{$/);
    }
    for (const [key, value] of Object.entries(mixed.replicaEnv)) {
      if (key.startsWith('CLUSTER_UPSTREAMS')) expect(value).not.toContain('://');
    }
  });

  it('each replica gets its own bind address in the bridged entries (IPv6 bracketed)', () => {
    const c = mixedCluster();
    const r3 = render('mixed replica 3', c, OPTS, { bind: '127.0.0.3', adminAddress: '127.0.0.3:2019' });
    expect(r3.caddyfile).toBe(mixed.caddyfile);
    expect(r3.replicaEnv.CLUSTER_UPSTREAMS_WWW_EXAMPLE_COM).toBe('127.0.0.3:20001 127.0.0.3:20002');
    const r6 = render('mixed replica ::1', c, OPTS, { bind: '::1', adminAddress: '[::1]:2019' });
    expect(r6.replicaEnv.CLUSTER_UPSTREAMS_WWW_EXAMPLE_COM).toBe('[::1]:20001 [::1]:20002');
  });
});

describe('renderCaddyfile: options and guards', () => {
  const one = cluster({ variants: [variant(1, 'blue', 1)], upstreams: [app(1, 1, ['10.0.0.1:80'])] });

  it('admin off when adminAddress is null; a literal address when given', () => {
    expect(render('admin off', one, { ...OPTS, adminAddress: null }).caddyfile).toContain('\n\tadmin off\n');
    expect(render('admin literal', one, { ...OPTS, adminAddress: '127.0.0.1:2999' }).caddyfile).toContain('\n\tadmin 127.0.0.1:2999\n');
  });

  it('health settings come from the cluster', () => {
    const c = { ...one, health: { path: '/up?full=1', interval: '1500ms', timeout: '1s' } };
    const { caddyfile } = render('health settings', c);
    expect(caddyfile).toContain('\t\t\thealth_uri /up?full=1\n\t\t\thealth_interval 1500ms\n\t\t\thealth_timeout 1s\n');
  });

  it('a wildcard and a punycode hostname', () => {
    const c = { ...one, domains: domains('*.example.com', 'xn--bcher-kva.example') };
    const { caddyfile } = render('wildcard + punycode', c);
    expect(caddyfile).toContain('http://*.example.com:8080 {');
    expect(caddyfile).toContain('\t\treverse_proxy {$CLUSTER_UPSTREAMS___EXAMPLE_COM} {');
    expect(caddyfile).toContain('\t\treverse_proxy {$CLUSTER_UPSTREAMS_XN__BCHER_KVA_EXAMPLE} {');
  });

  it('an app with a Host override and no addresses gets a 503 bridge', () => {
    const c = cluster({ variants: [variant(1, 'blue', 1)], upstreams: [app(1, 1, [], { hostHeader: 'x.internal' }), app(2, 1, ['10.0.0.1:80'])] });
    const r = render('empty host-override app', c);
    expect(block(r.caddyfile, 'http://:20000 {')).toEqual([
      'http://:20000 {',
      '\tbind {$CLUSTER_PROXY_BIND}',
      '\trespond "no addresses for upstream 1" 503',
      '}',
    ]);
  });

  it('is deterministic', () => {
    expect(renderCaddyfile(mixedCluster(), OPTS)).toEqual(renderCaddyfile(mixedCluster(), OPTS));
  });

  it.each([
    ['whitespace', 'a b.example.com'],
    ['an opening brace', 'a{.example.com'],
    ['a closing brace', 'a}.example.com'],
    ['a quote', 'a".example.com'],
    ['a comma', 'a,b.example.com'],
    ['a newline', 'a.example.com\nx'],
  ])('refuses a hostname with %s', (_what, hostname) => {
    expect(() => renderCaddyfile({ ...one, domains: domains(hostname) }, OPTS)).toThrow(/contains whitespace, braces, quotes, commas or newlines/);
  });

  it('refuses unsafe URLs, addresses, host headers and health settings', () => {
    const withUrl = (u: string): RenderCluster => cluster({ variants: [variant(1, 'b', 1)], upstreams: [url(1, 1, u)] });
    expect(() => renderCaddyfile(withUrl('https://x.example.org/path'), OPTS)).toThrow(/scheme:\/\/host\[:port\]/);
    expect(() => renderCaddyfile(withUrl('https://x.example.org,https://y'), OPTS)).toThrow(/commas/);
    expect(() => renderCaddyfile(withUrl('https://x.example.org}'), OPTS)).toThrow(/braces/);
    const withAddress = cluster({ variants: [variant(1, 'b', 1)], upstreams: [app(1, 1, ['10.0.0.1:80 10.0.0.2:80'])] });
    expect(() => renderCaddyfile(withAddress, OPTS)).toThrow(/whitespace/);
    const withHeader = cluster({ variants: [variant(1, 'b', 1)], upstreams: [app(1, 1, ['10.0.0.1:80'], { hostHeader: 'x"y' })] });
    expect(() => renderCaddyfile(withHeader, OPTS)).toThrow(/quotes/);
    expect(() => renderCaddyfile({ ...one, health: { path: '/ x', interval: '5s', timeout: '2s' } }, OPTS)).toThrow(/health path/);
    expect(() => renderCaddyfile({ ...one, health: { path: 'up', interval: '5s', timeout: '2s' } }, OPTS)).toThrow(/start with \//);
    expect(() => renderCaddyfile({ ...one, health: { path: '/', interval: '5 s', timeout: '2s' } }, OPTS)).toThrow(/interval/);
    expect(() => renderCaddyfile(one, { ...OPTS, adminAddress: '127.0.0.1:2019 }' })).toThrow(/admin address/);
  });

  it('refuses bridge ports that collide with the listen port or leave the port range', () => {
    const c = cluster({ variants: [variant(1, 'b', 1)], upstreams: [url(1, 1, 'https://a.example'), url(2, 1, 'https://b.example')] });
    expect(() => renderCaddyfile(c, { listenPort: 20001, bridgeBasePort: 20000 })).toThrow(/overlap the listen port/);
    expect(() => renderCaddyfile(c, { listenPort: 8080, bridgeBasePort: 65535 })).toThrow(/not a TCP port/);
  });

  it('renderReplicaEnv refuses a contract env that is not the table\'s', () => {
    const c = walkthrough({ blue: 100, green: 0 });
    const { bridges } = renderCaddyfile(c, OPTS);
    const stale = renderEnv(computeRouting(walkthrough({ blue: 0, green: 100 })));
    expect(() => renderReplicaEnv(stale, computeRouting(c), bridges, REPLICA)).toThrow(/does not match the routing table/);
    expect(() => renderReplicaEnv(renderEnv(computeRouting(c)), computeRouting(walkthrough({ blue: 0, green: 100 })), [], REPLICA)).toThrow();
    const table = computeRouting(walkthrough({ blue: 0, green: 100 }));
    expect(() => renderReplicaEnv(renderEnv(table), table, [], REPLICA)).toThrow(/needs a bridge/);
  });

  it('renderReplicaEnv keeps unrelated keys of the contract env', () => {
    const table = computeRouting(one);
    const env = renderReplicaEnv({ ...renderEnv(table), OTHER: 'kept' }, table, [], REPLICA);
    expect(env.OTHER).toBe('kept');
  });
});

// ---- caddy validate: every Caddyfile rendered above, plus generated clusters ----

const caddyVersion = await caddyAvailable();
const skipCaddy = caddyVersion === null && process.env.OWNSTACK_SKIP_CADDY === '1';

function requireCaddy(): void {
  if (caddyVersion === null) {
    throw new Error(
      'caddy is not installed, so the rendered Caddyfiles cannot be validated. Install Caddy 2.6.2 ' +
        '(`apt-get install -y caddy` on Debian bookworm) or set OWNSTACK_SKIP_CADDY=1 to skip these tests.',
    );
  }
}

async function expectValid(r: { label: string; caddyfile: string; replicaEnv: Record<string, string> }): Promise<void> {
  const result = await validateCaddyfile(r.caddyfile, r.replicaEnv);
  expect(result.ok, `${r.label}: caddy validate failed\n${result.output}\n---\n${r.caddyfile}`).toBe(true);
  expect(result.output, `${r.label}: not in caddy fmt style`).not.toMatch(/not formatted/);
}

describe.skipIf(skipCaddy)('caddy validate (Caddy 2.6.2)', () => {
  it('caddy is installed', () => {
    requireCaddy();
    expect(caddyVersion).toMatch(/^2\./);
  });

  it('every Caddyfile rendered in this file validates with its replica env', async () => {
    requireCaddy();
    expect(rendered.length).toBeGreaterThanOrEqual(10);
    for (const r of rendered) await expectValid(r);
  });

  it('the mixed app + https hostname validates through its bridges', async () => {
    requireCaddy();
    const r = rendered.find((x) => x.label === 'mixed')!;
    await expectValid(r);
    expect(r.replicaEnv.CLUSTER_UPSTREAMS_API_EXAMPLE_COM).toBe('127.0.0.1:3001 127.0.0.1:3002 127.0.0.2:20000 127.0.0.2:20000');
  });

  it('a replica env is required: the contract env alone is refused (no CLUSTER_PROXY_BIND)', async () => {
    requireCaddy();
    const r = rendered.find((x) => x.label === 'walkthrough blue')!;
    const result = await validateCaddyfile(r.caddyfile, r.contractEnv);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('default_bind');
  });

  it('generated clusters render Caddyfiles that validate', async () => {
    requireCaddy();
    await fc.assert(
      fc.asyncProperty(clusterArb, async (c) => {
        const out = renderCaddyfile(c, OPTS);
        const table = computeRouting(c);
        const replicaEnv = renderReplicaEnv(renderEnv(table), table, out.bridges, REPLICA);
        await expectValid({ label: 'generated', caddyfile: out.caddyfile, replicaEnv });
      }),
      { numRuns: 12 },
    );
  });
});
