// cluster upstream add: apply (TTY and piped), dry run, --json, server errors.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasAnsi, runOwnstack } from '../../../helpers/cli.js';
import { plan as planSchema, upstream } from '../../../../src/api/schemas.js';
import { HttpResponse, apiError, contractServer, http, sampleDryRunPlan, url } from '../../../fixtures/contract.js';
import { upstreamHandlers } from './handlers.js';

const api = contractServer({ beforeAll, afterEach, afterAll });
const argv = ['cluster', 'upstream', 'add', 'api', '--variant=green', '--hostname=api.example.com', '--url=https://green.example.net'];

describe('cluster upstream add', () => {
  it('TTY: success line naming the new id and target, then what changed', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack(argv, { tty: true, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('✓ Added upstream 33 to cluster api: https://green.example.net for api.example.com in variant green (weight 100)');
    expect(r.stdout).toContain('  + https://my-rails-app.herokuapp.com\n');
    // Plan warnings are notices on stderr.
    expect(r.stderr).toBe('! app.example.com has no upstream in variant green: it keeps its current routing\n');
  });

  it('piped: just the success line (the id is in it; scripts use --json), no ANSI', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack(['cluster', 'upstream', 'add', 'api', '--variant=blue', '--app=worker-app', '--weight=50'], { env: { FORCE_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\x1b\[\d+m/g, '')).toBe('✓ Added upstream 33 to cluster api: worker-app for every hostname in variant blue (weight 50)\n');
    const plain = await runOwnstack(['cluster', 'upstream', 'add', 'api', '--variant=blue', '--app=worker-app']);
    expect(hasAnsi(plain.stdout + plain.stderr)).toBe(false);
  });

  it('--quiet: nothing on stdout', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack([...argv, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('--json: the created upstream, parsed by the contract', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack([...argv, '--json']);
    expect(r.code).toBe(0);
    const u = upstream.parse(JSON.parse(r.stdout));
    expect(u).toMatchObject({ id: 33, kind: 'url', url: 'https://green.example.net', hostname: 'api.example.com', variant: 'green' });
  });

  it('--dry-run: a header on stderr and the plan on stdout; --json prints the plan', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack([...argv, '--dry-run'], { tty: true, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('Dry run: nothing was changed\n');
    expect(r.stdout).toContain('Plan for cluster api (not applied)');
    expect(r.stdout).not.toContain('✓');
    expect(api.seen[0]!.body).toMatchObject({ dry_run: true });
    const j = await runOwnstack([...argv, '--dry-run', '--json']);
    expect(planSchema.parse(JSON.parse(j.stdout))).toEqual(sampleDryRunPlan);
  });

  it.each([
    [400, 'invalid', 'the variant green serves no hostname api.example.com', 2],
    [404, 'not_found', 'no variant named "gren" in cluster api', 3],
    [409, 'conflict', 'an upstream for https://green.example.net already exists in variant green', 5],
  ])('HTTP %i → exit %#', async (status, code, message, exit) => {
    api.use(http.post(url('/api/clusters/api/upstreams'), () => apiError(status, code, message, { hint: 'see ownstack cluster upstream list api' })));
    const r = await runOwnstack(argv);
    expect(r.code).toBe(exit);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`error: ${message}\nhint: see ownstack cluster upstream list api\n`);
  });

  it('--json on an error: the error body on stderr, stdout empty', async () => {
    api.use(http.post(url('/api/clusters/api/upstreams'), () => apiError(409, 'conflict', 'duplicate')));
    const r = await runOwnstack([...argv, '--json']);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr.split('\n')[0]!)).toEqual({ error: { code: 'conflict', message: 'duplicate' } });
  });

  it('a response that breaks the contract is a failure (exit 1), not a crash', async () => {
    api.use(http.post(url('/api/clusters/api/upstreams'), () => HttpResponse.json({ result: { id: 'x' } }, { status: 201 })));
    const r = await runOwnstack(argv);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not match the contract/);
  });
});
