// cluster show / cluster status against the contract: TTY, piped, colour, --json, errors.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasAnsi, runOwnstack } from '../../helpers/cli.js';
import { clusterDetail, clusterStatus } from '../../../src/api/schemas.js';
import {
  HttpResponse,
  contractHandlers,
  contractServer,
  http,
  sampleCloudflareCluster,
  sampleDetail,
  sampleStatus,
  url,
} from '../../fixtures/contract.js';

const api = contractServer({ beforeAll, afterEach, afterAll });
const NO_COLOR = { NO_COLOR: '1' };

describe('cluster show', () => {
  it('TTY: key/value summary, then domains, variants, upstreams and members tables', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'show', 'api'], { tty: true, env: NO_COLOR });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(hasAnsi(r.stdout)).toBe(false);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      'name           api',
      'id             1',
      'edge           dns_rr',
      'edge settings  dns_provider=zonefile dns_zone=example.com',
      'proxies        2 (app api-proxy)',
      'health         /up every 5s, timeout 2s',
      'generation     7',
      'updated        2026-01-15T10:05:00Z',
    ]);
    expect(r.stdout).toContain('\nDomains\nHOSTNAME         ENV NAME\napi.example.com  CLUSTER_UPSTREAMS_API_EXAMPLE_COM\n');
    expect(r.stdout).toMatch(/\nVariants\nNAME +WEIGHT +STATUS +ROUTED +DESCRIPTION\nblue +100 +active +● +current release\ngreen +0 +active +○\n/);
    expect(r.stdout).toMatch(/\nUpstreams\nID +VARIANT +HOSTNAME +TARGET .*\n31 +blue +\* +app my-rails-app +100 +active +\(hostname\) +10\.0\.0\.11:5000, 10\.0\.0\.12:5000\n/);
    expect(r.stdout).toMatch(/\nMembers\nAPP +STATUS .*\nmy-rails-app +active +100 +blue/);
  });

  it('TTY with FORCE_COLOR: coloured', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'show', 'api'], { tty: true, env: { FORCE_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(hasAnsi(r.stdout)).toBe(true);
  });

  it('piped: tab-separated, no ANSI (even with FORCE_COLOR unset)', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'show', 'api']);
    expect(r.code).toBe(0);
    expect(hasAnsi(r.stdout)).toBe(false);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('edge\tdns_rr');
    expect(lines).toContain('generation\t7');
    expect(lines).toContain('DOMAINS');
    expect(lines).toContain('api.example.com\tCLUSTER_UPSTREAMS_API_EXAMPLE_COM');
    expect(lines).toContain('blue\t100\tactive\tyes\tcurrent release');
    expect(lines).toContain('31\tblue\t*\tapp my-rails-app\t100\tactive\t-\t10.0.0.11:5000,10.0.0.12:5000');
    expect(lines).toContain('my-rails-app\tactive\t100\tblue\t10.0.0.11:5000,10.0.0.12:5000');
  });

  it('shows the Cloudflare token only masked, as the API returned it', async () => {
    api.use(http.get(url('/api/clusters/web'), () => HttpResponse.json({ ...sampleDetail, cluster: sampleCloudflareCluster })));
    const r = await runOwnstack(['cluster', 'show', 'web'], { tty: true, env: NO_COLOR });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('edge settings  cloudflare_zone_id=023e105f4ecef8ad9ca31a8372d0c353 cloudflare_api_token=…a1b2');
  });

  it('TTY with no domains/variants: friendly next steps', async () => {
    api.use(http.get(url('/api/clusters/api'), () => HttpResponse.json({ ...sampleDetail, domains: [], variants: [], upstreams: [], members: [] })));
    const r = await runOwnstack(['cluster', 'show', 'api'], { tty: true, env: NO_COLOR });
    expect(r.stdout).toContain('No hostnames. Add one: ownstack cluster domain add api <hostname>');
    expect(r.stdout).toContain('No variants. Add one: ownstack cluster variant add api <name> --weight=100');
  });

  it('--json: the ClusterDetail, one document', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'show', 'api', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(clusterDetail.parse(doc)).toEqual(sampleDetail);
  });

  it('404 → exit 3 with the server hint', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'show', 'apii']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error: no cluster named "apii"');
    expect(r.stderr).toContain('hint: did you mean "api"?');
  });
});

describe('cluster status', () => {
  it('TTY: a box-drawing tree with colour', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'status', 'api'], { tty: true, env: { FORCE_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(hasAnsi(r.stdout)).toBe(true);
    expect(r.stdout).toContain('├─ ');
    expect(r.stdout).toContain('└─ ');
    expect(r.stdout).toContain('●');
  });

  it('TTY with NO_COLOR: the same tree, no ANSI', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'status', 'api'], { tty: true, env: NO_COLOR });
    expect(hasAnsi(r.stdout)).toBe(false);
    expect(r.stdout).toContain('│  ├─ ● blue  weight 100  active  routed\n│  │  └─ app my-rails-app  host api.example.com  weight 100  share 100%\n');
    expect(r.stdout).toContain('│  └─ ○ green  weight 0  active  standby\n');
  });

  it('piped: indented, ASCII markers, no ANSI', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'status', 'api']);
    expect(r.code).toBe(0);
    expect(hasAnsi(r.stdout)).toBe(false);
    expect(r.stdout).not.toMatch(/[├└│●○]/);
    expect(r.stdout).toContain('\n    * blue  weight 100  active  routed\n');
    expect(r.stdout).toContain('! proxy 1 is behind: generation 6 of 7');
  });

  it('shows the proxy note when Caddy is missing', async () => {
    api.use(
      http.get(url('/api/clusters/api/status'), () =>
        HttpResponse.json({ ...sampleStatus, proxy_note: 'Caddy 2.6+ is not installed: install it (https://caddyserver.com/docs/install) or set OWNSTACK_CADDY' }),
      ),
    );
    const r = await runOwnstack(['cluster', 'status', 'api']);
    expect(r.stdout).toContain('    note: Caddy 2.6+ is not installed');
  });

  it('--json: the ClusterStatus', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'status', 'api', '--json'], { tty: true });
    expect(r.code).toBe(0);
    expect(clusterStatus.parse(JSON.parse(r.stdout))).toEqual(sampleStatus);
    expect(hasAnsi(r.stdout)).toBe(false);
  });

  it('404 → exit 3 with the server hint', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'status', 'nope']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('hint: did you mean "api"?');
  });
});
