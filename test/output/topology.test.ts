import { describe, expect, it } from 'vitest';
import { formatShare, renderTopology } from '../../src/output/topology.js';
import { sampleStatus } from '../fixtures/contract.js';
import type { ClusterStatus } from '../../src/api/schemas.js';
import { ANSI, bufferIO, stripAnsi } from './fake-io.js';
import { blankProxyStatus } from '../../src/control-plane/runtime/reconcile.js';

describe('formatShare', () => {
  it.each([
    [1, '100%'],
    [0, '0%'],
    [0.5, '50%'],
    [1 / 3, '33.3%'],
    [2 / 3, '66.7%'],
    [0.0004, '0%'],
    [0.001, '0.1%'],
  ])('%s → %s', (share, text) => expect(formatShare(share)).toBe(text));
});

describe('renderTopology', () => {
  it('shows what each agent reports (name, host, version, last heartbeat) and its place in the edge, with the reason when it is not published', () => {
    const { io } = bufferIO(false);
    const agent = { ...blankProxyStatus(0, '198.51.100.10', 80, 'edge-a'), host: 'web-1', agent_version: '2026.7.1', state: 'running' as const, healthz: 'ok' as const, generation_applied: 7 };
    const status: ClusterStatus = {
      ...sampleStatus,
      proxies: [
        { ...agent, last_seen: '2026-01-15T10:04:56Z', edge: 'published' },
        { ...agent, name: 'edge-b', address: '10.0.0.9', host: 'web-2', generation_applied: 6, lagging: true, last_seen: '2026-01-15T09:58:00Z', edge: 'refused', edge_reason: 'its public address 10.0.0.9 is in 10.0.0.0/8 (private-use)' },
      ],
    };
    const lines = renderTopology(io, status, Date.parse('2026-01-15T10:05:00Z')).split('\n');
    expect(lines).toContain('    * 198.51.100.10:80  running  healthz ok  generation 7  edge-a on web-1  agent 2026.7.1  seen 4s ago  edge published');
    expect(lines).toContain('    * 10.0.0.9:80  running  healthz ok  generation 6 (behind 7)  lagging  edge-b on web-2  agent 2026.7.1  seen 7m ago  edge refused');
    expect(lines).toContain('      edge: its public address 10.0.0.9 is in 10.0.0.0/8 (private-use)');
  });

  it('draws a box-drawing tree on a TTY', () => {
    const { io } = bufferIO(true, { NO_COLOR: '1' });
    const text = renderTopology(io, sampleStatus);
    expect(ANSI.test(text)).toBe(false);
    expect(text.split('\n')).toEqual([
      'api  edge dns_rr  generation 7',
      '├─ proxies (2)',
      '│  ├─ ● 127.0.0.1:8081  running  healthz ok  generation 7  pid 4242',
      '│  └─ ○ 127.0.0.1:8082  failed  healthz failing  generation 6 (behind 7)  lagging  error: exit status 1',
      '├─ api.example.com  CLUSTER_UPSTREAMS_API_EXAMPLE_COM',
      '│  ├─ ● blue  weight 100  active  routed',
      '│  │  └─ app my-rails-app  host api.example.com  weight 100  share 100%',
      '│  │     ├─ 10.0.0.11:5000  healthy',
      '│  │     └─ 10.0.0.12:5000  unhealthy',
      '│  └─ ○ green  weight 0  active  standby',
      '│     └─ https://my-rails-app.herokuapp.com  host my-rails-app.herokuapp.com  weight 100  share 0%',
      '├─ app.example.com  CLUSTER_UPSTREAMS_APP_EXAMPLE_COM',
      '│  ├─ draining fallback: no active upstream left, draining ones keep receiving traffic',
      '│  └─ ● blue  weight 100  active  routed',
      '│     └─ app my-rails-app  host app.example.com  weight 100  share 100%  draining',
      '│        ├─ 10.0.0.11:5000  healthy',
      '│        └─ 10.0.0.12:5000  unhealthy',
      '└─ edge dns_rr  reconciled 2026-01-15T10:05:00Z',
      '   ├─ A api.example.com 192.0.2.10',
      '   ├─ A app.example.com 192.0.2.10',
      '   └─ note: records written to the local zone file',
      'deploy 12 in progress (running)',
      '! proxy 1 is behind: generation 6 of 7',
    ]);
  });

  it('colours health and the routed marker on a TTY', () => {
    const { io } = bufferIO(true);
    const text = renderTopology(io, sampleStatus);
    expect(ANSI.test(text)).toBe(true);
    expect(text).toContain('\x1b[32mhealthy\x1b[39m');
    expect(text).toContain('\x1b[31munhealthy\x1b[39m');
    expect(text).toContain('\x1b[32m●\x1b[39m');
  });

  it('uses plain indentation and ASCII markers without ANSI when piped', () => {
    const { io } = bufferIO(false);
    const text = renderTopology(io, sampleStatus);
    expect(ANSI.test(text)).toBe(false);
    expect(text).not.toMatch(/[├└│●○]/);
    const lines = text.split('\n');
    expect(lines[0]).toBe('api  edge dns_rr  generation 7');
    expect(lines).toContain('  proxies (2)');
    expect(lines).toContain('    * blue  weight 100  active  routed');
    expect(lines).toContain('    o green  weight 0  active  standby');
    expect(lines).toContain('        10.0.0.12:5000  unhealthy');
  });

  it('shows the proxy note, edge errors and empty states', () => {
    const { io } = bufferIO(false);
    const s: ClusterStatus = {
      ...sampleStatus,
      proxies: [{ ...blankProxyStatus(0, '127.0.0.1', 8081), state: 'not_installed' }],
      proxy_note: 'Caddy is not installed: brew install caddy (or set OWNSTACK_CADDY)',
      hostnames: [],
      edge: { mode: 'cloudflare', records: [], reconciled_at: null, error: 'HTTP 403 from Cloudflare', note: null, targets: null },
      deploy: null,
      warnings: [],
    };
    const text = stripAnsi(renderTopology(io, s));
    expect(text).toContain('o 127.0.0.1:8081  not_installed  healthz unknown  generation -');
    expect(text).toContain('note: Caddy is not installed: brew install caddy (or set OWNSTACK_CADDY)');
    expect(text).toContain('no hostnames (ownstack cluster domain add api <hostname>)');
    expect(text).toContain('edge cloudflare  not reconciled yet');
    expect(text).toContain('error: HTTP 403 from Cloudflare');
    expect(text).not.toContain('deploy');
  });

  it("shows the provider's target health (aws_alb), and says when none is registered", () => {
    const { io } = bufferIO(false);
    const edge = { mode: 'aws_alb' as const, records: [{ hostname: '*', type: 'target' as const, value: '127.0.0.2:18080' }], reconciled_at: null, error: null, note: null };
    const text = stripAnsi(
      renderTopology(io, {
        ...sampleStatus,
        edge: { ...edge, targets: [{ target: '127.0.0.2:18080', state: 'healthy', reason: null }, { target: '127.0.0.3:18080', state: 'draining', reason: 'Target.DeregistrationInProgress' }] },
      }),
    );
    expect(text).toMatch(/target health \(the provider’s view\)\n.*127\.0\.0\.2:18080  healthy\n.*127\.0\.0\.3:18080  draining  Target\.DeregistrationInProgress/);
    const none = stripAnsi(renderTopology(io, { ...sampleStatus, edge: { ...edge, records: [], targets: [] } }));
    expect(none).toMatch(/target health \(the provider’s view\)\n.*no targets registered/);
    expect(stripAnsi(renderTopology(io, sampleStatus))).not.toContain('target health');
  });

  it('shows a split across upstreams and an upstream with no addresses', () => {
    const { io } = bufferIO(false);
    const host = sampleStatus.hostnames[0];
    const blue = host.variants[0];
    const s: ClusterStatus = {
      ...sampleStatus,
      hostnames: [
        {
          ...host,
          variants: [
            {
              ...blue,
              upstreams: [
                { ...blue.upstreams[0], share: 2 / 3 },
                { ...blue.upstreams[0], id: 40, target: 'other-app', share: 1 / 3, addresses: [], health: 'unknown' },
              ],
            },
          ],
        },
      ],
    };
    const text = renderTopology(io, s);
    expect(text).toContain('app my-rails-app  host api.example.com  weight 100  share 66.7%');
    expect(text).toContain('app other-app  host api.example.com  weight 100  share 33.3%  no addresses');
  });

  it('says which Host header a URL upstream really gets: its own host:port (what its bridge sends), not the hostname', () => {
    const { io } = bufferIO(false);
    const host = sampleStatus.hostnames[0];
    const blue = host.variants[0];
    const url = { ...blue.upstreams[0], id: 41, kind: 'url' as const, target: 'https://x.herokuapp.com', host_header: null as string | null, addresses: [{ address: 'https://x.herokuapp.com', health: 'unknown' as const }] };
    const s = (u: typeof url & { host_sent?: string }): ClusterStatus => ({ ...sampleStatus, hostnames: [{ ...host, variants: [{ ...blue, upstreams: [u] }] }] });
    // A control plane that says nothing about it: the CLI knows what the bridge sends.
    expect(renderTopology(io, s(url))).toContain('https://x.herokuapp.com  host x.herokuapp.com:443  weight 100');
    expect(renderTopology(io, s({ ...url, target: 'http://10.0.0.7:8080', addresses: [] }))).toContain('http://10.0.0.7:8080  host 10.0.0.7:8080');
    // What the control plane reports wins.
    expect(renderTopology(io, s({ ...url, host_sent: 'x.herokuapp.com:443' }))).toContain('host x.herokuapp.com:443');
    expect(renderTopology(io, s({ ...url, host_header: 'internal.example.com' }))).toContain('host internal.example.com');
  });
});
