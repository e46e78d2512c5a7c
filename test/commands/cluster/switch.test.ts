// cluster switch: apply, dry run, --json, errors.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasAnsi, runOwnstack } from '../../helpers/cli.js';
import { plan as planSchema, switchResult } from '../../../src/api/schemas.js';
import { apiError, contractHandlers, contractServer, http, sampleDryRunPlan, url } from '../../fixtures/contract.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

describe('cluster switch', () => {
  it('TTY apply: success line with the hostname count, then the changed env lines', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'switch', 'api', '--to=green'], { tty: true, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      '✓ Switched api to green (2 hostnames)',
      '  CLUSTER_UPSTREAMS_API_EXAMPLE_COM (api.example.com)',
      '  - 10.0.0.11:5000 10.0.0.12:5000',
      '  + https://my-rails-app.herokuapp.com',
      '  CLUSTER_UPSTREAMS',
      '  - 10.0.0.11:5000 10.0.0.12:5000',
      '  + 10.0.0.11:5000 10.0.0.12:5000 https://my-rails-app.herokuapp.com',
      '  + edge api.example.com A 192.0.2.10',
      '',
    ]);
    expect(r.stderr).toBe('! app.example.com has no upstream in variant green: it keeps its current routing\n');
  });

  it('TTY with FORCE_COLOR: red/green diff lines', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'switch', 'api', '--to=green'], { tty: true, env: { FORCE_COLOR: '1' } });
    expect(r.stdout).toContain('\x1b[31m- 10.0.0.11:5000 10.0.0.12:5000\x1b[39m');
    expect(r.stdout).toContain('\x1b[32m+ https://my-rails-app.herokuapp.com\x1b[39m');
  });

  it('piped apply: the success line only, no ANSI; --verbose adds the changes', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'switch', 'api', '--to=green']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✓ Switched api to green (2 hostnames)\n');
    expect(hasAnsi(r.stdout + r.stderr)).toBe(false);
    const v = await runOwnstack(['cluster', 'switch', 'api', '--to=green', '--verbose']);
    expect(v.stdout).toContain('  + https://my-rails-app.herokuapp.com\n');
  });

  it('--dry-run: header on stderr, the whole plan on stdout', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'switch', 'api', '--to=green', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('Dry run: nothing was changed\n');
    expect(r.stdout).toContain('Plan for cluster api (not applied)\n');
    expect(r.stdout).toContain('  CLUSTER_UPSTREAMS_APP_EXAMPLE_COM (app.example.com) (unchanged)\n');
    expect(r.stdout).toContain('Caddyfile changed: no\n');
    expect(r.stdout).toContain('! app.example.com has no upstream');
    expect(r.stdout).not.toContain('✓');
  });

  it('--json apply: the SwitchResult; --json --dry-run: the plan', async () => {
    api.use(...contractHandlers());
    const a = await runOwnstack(['cluster', 'switch', 'api', '--to=green', '--json']);
    expect(a.code).toBe(0);
    expect(switchResult.parse(JSON.parse(a.stdout)).to).toBe('green');
    const d = await runOwnstack(['cluster', 'switch', 'api', '--to=green', '--dry-run', '--json']);
    expect(planSchema.parse(JSON.parse(d.stdout))).toEqual(sampleDryRunPlan);
  });

  it('unknown variant → exit 3 with hint; 409 → exit 5', async () => {
    api.use(
      http.post(url('/api/clusters/api/switch'), () =>
        apiError(404, 'not_found', 'no variant named "gren" in cluster api', { hint: 'did you mean "green"?', candidates: ['green'] }),
      ),
    );
    const nf = await runOwnstack(['cluster', 'switch', 'api', '--to=gren']);
    expect(nf.code).toBe(3);
    expect(nf.stderr).toContain('hint: did you mean "green"?');
    api.use(http.post(url('/api/clusters/api/switch'), () => apiError(409, 'conflict', 'variant green has no healthy upstream', { hint: 'pass --force to switch anyway' })));
    const c = await runOwnstack(['cluster', 'switch', 'api', '--to=green']);
    expect(c.code).toBe(5);
    expect(c.stderr).toContain('hint: pass --force to switch anyway');
  });

  it('--json on an error: the error body on stderr, nothing on stdout', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'switch', 'apx', '--to=green', '--json']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr.split('\n')[0]).error.code).toBe('not_found');
  });
});
