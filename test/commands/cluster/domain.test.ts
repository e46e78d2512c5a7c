// cluster domain list|add|remove against the contract.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasAnsi, runOwnstack } from '../../helpers/cli.js';
import { domain, plan as planSchema } from '../../../src/api/schemas.js';
import { HttpResponse, apiError, contractHandlers, contractServer, http, sampleDomain, sampleDomain2, url } from '../../fixtures/contract.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

describe('cluster domain list', () => {
  it('TTY: a table with UPPERCASE headers', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'domain', 'list', 'api'], { tty: true, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^HOSTNAME +ENV NAME +CREATED$/);
    expect(r.stdout).toMatch(/api\.example\.com +CLUSTER_UPSTREAMS_API_EXAMPLE_COM +2026-01-15T10:00:00Z/);
  });

  it('TTY with FORCE_COLOR: bold headers', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'domain', 'list', 'api'], { tty: true, env: { FORCE_COLOR: '1' } });
    expect(hasAnsi(r.stdout)).toBe(true);
  });

  it('piped: tab-separated rows, no header, no ANSI', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'domain', 'list', 'api']);
    expect(r.stdout).toBe(
      'api.example.com\tCLUSTER_UPSTREAMS_API_EXAMPLE_COM\t2026-01-15T10:00:00Z\napp.example.com\tCLUSTER_UPSTREAMS_APP_EXAMPLE_COM\t2026-01-15T10:00:00Z\n',
    );
  });

  it('empty: a hint on a TTY, nothing when piped', async () => {
    api.use(http.get(url('/api/clusters/api/domains'), () => HttpResponse.json({ domains: [] })));
    const t = await runOwnstack(['cluster', 'domain', 'list', 'api'], { tty: true, env: { NO_COLOR: '1' } });
    expect(t.stdout).toBe('No hostnames yet. Add one: ownstack cluster domain add api <hostname>\n');
    const p = await runOwnstack(['cluster', 'domain', 'list', 'api']);
    expect(p.stdout).toBe('');
  });

  it('--json: an array of Domain', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'domain', 'list', 'api', '--json']);
    expect(domain.array().parse(JSON.parse(r.stdout))).toEqual([sampleDomain, sampleDomain2]);
  });

  it('404 → exit 3 with hint', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'domain', 'list', 'apx']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('did you mean "api"?');
  });
});

describe('cluster domain add', () => {
  it('TTY apply: success line with the env name, then the changes', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'domain', 'add', 'api', 'www.example.com'], { tty: true, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('✓ Added www.example.com to api (env CLUSTER_UPSTREAMS_WWW_EXAMPLE_COM)');
    expect(r.stdout).toContain('  + https://my-rails-app.herokuapp.com');
  });

  it('piped apply: the success line only', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'domain', 'add', 'api', 'www.example.com']);
    expect(r.stdout).toBe('✓ Added www.example.com to api (env CLUSTER_UPSTREAMS_WWW_EXAMPLE_COM)\n');
    expect(hasAnsi(r.stdout + r.stderr)).toBe(false);
  });

  it('--dry-run: header on stderr, plan on stdout; --json --dry-run: the plan', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'domain', 'add', 'api', 'www.example.com', '--dry-run']);
    expect(r.stderr).toBe('Dry run: nothing was changed\n');
    expect(r.stdout).toMatch(/^Plan for cluster api \(not applied\)\n/);
    const j = await runOwnstack(['cluster', 'domain', 'add', 'api', 'www.example.com', '--dry-run', '--json']);
    expect(planSchema.parse(JSON.parse(j.stdout)).applied).toBe(false);
  });

  it('--json: the Domain', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'domain', 'add', 'api', 'www.example.com', '--json']);
    expect(domain.parse(JSON.parse(r.stdout)).hostname).toBe('www.example.com');
  });

  it('409 (hostname taken or env name collision) → exit 5; 404 → exit 3', async () => {
    api.use(
      http.post(url('/api/clusters/api/domains'), () =>
        apiError(409, 'conflict', 'a-b.example.com and a.b.example.com would share CLUSTER_UPSTREAMS_A_B_EXAMPLE_COM'),
      ),
    );
    const c = await runOwnstack(['cluster', 'domain', 'add', 'api', 'a.b.example.com']);
    expect(c.code).toBe(5);
    expect(c.stderr).toContain('would share CLUSTER_UPSTREAMS_A_B_EXAMPLE_COM');
    api.server.resetHandlers();
    api.use(...contractHandlers());
    const nf = await runOwnstack(['cluster', 'domain', 'add', 'apx', 'www.example.com']);
    expect(nf.code).toBe(3);
    expect(nf.stderr).toContain('did you mean "api"?');
  });
});

describe('cluster domain remove', () => {
  it('piped without --yes: exit 2 "pass --yes", nothing sent', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'domain', 'remove', 'api', 'app.example.com']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --yes');
    expect(api.seen).toHaveLength(0);
  });

  it('TTY, wrong hostname retyped: exit 2, nothing sent', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'domain', 'remove', 'api', 'app.example.com'], { tty: true, confirm: ['api.example.com'] });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('aborted: the name did not match');
    expect(r.stderr).toContain('hint: nothing was changed');
    expect(api.seen).toHaveLength(0);
  });

  it('TTY, right hostname retyped: sent, success line', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'domain', 'remove', 'api', 'app.example.com'], { tty: true, confirm: ['app.example.com'], env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(api.seen.map((s) => `${s.method} ${s.url.pathname}`)).toEqual(['DELETE /api/clusters/api/domains/app.example.com']);
    expect(r.stdout.split('\n')[0]).toBe('✓ Removed app.example.com from api');
  });

  it('--dry-run needs no confirmation and changes nothing', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'domain', 'remove', 'api', 'app.example.com', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('Dry run: nothing was changed\n');
    expect(api.seen[0].url.searchParams.get('dry_run')).toBe('true');
  });

  it('--yes --json: the removed Domain', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'domain', 'remove', 'api', 'app.example.com', '--yes', '--json']);
    expect(domain.parse(JSON.parse(r.stdout)).hostname).toBe('app.example.com');
  });

  it('unknown hostname → exit 3 with hint', async () => {
    api.use(
      http.delete(url('/api/clusters/api/domains/:host'), () =>
        apiError(404, 'not_found', 'cluster api has no hostname "ap.example.com"', { hint: 'did you mean "app.example.com"?' }),
      ),
    );
    const r = await runOwnstack(['cluster', 'domain', 'remove', 'api', 'ap.example.com', '--yes']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('hint: did you mean "app.example.com"?');
  });
});
