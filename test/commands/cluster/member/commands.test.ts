// cluster member list/add/drain/undrain/weight/remove: output in TTY and piped mode, --json, errors.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hasAnsi, runOwnstack } from '../../../helpers/cli.js';
import { member, plan as planSchema } from '../../../../src/api/schemas.js';
import { apiError, contractServer, http, sampleDryRunPlan, sampleMember, url } from '../../../fixtures/contract.js';
import { memberHandlers } from './handlers.js';

const api = contractServer({ beforeAll, afterEach, afterAll });
const tty = { tty: true, env: { NO_COLOR: '1' } };
const draining = { ...sampleMember, app: 'worker-app', status: 'draining' as const, weight: 0, addresses: [] };

describe('cluster member list', () => {
  it('TTY: table with APP STATUS WEIGHT VARIANTS ADDRESSES', async () => {
    api.use(...memberHandlers(['api'], [sampleMember, draining]));
    const r = await runOwnstack(['cluster', 'member', 'list', 'api'], tty);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^APP\s+STATUS\s+WEIGHT\s+VARIANTS\s+ADDRESSES$/);
    expect(lines[1]).toMatch(/^my-rails-app\s+active\s+100\s+blue\s+10\.0\.0\.11:5000 10\.0\.0\.12:5000$/);
    expect(lines[2]).toMatch(/^worker-app\s+draining\s+0\s+blue\s+-$/);
  });

  it('TTY with colour: draining is yellow; piped: TSV without ANSI even when colour is forced off', async () => {
    api.use(...memberHandlers(['api'], [sampleMember, draining]));
    const c = await runOwnstack(['cluster', 'member', 'list', 'api'], { tty: true, env: { FORCE_COLOR: '1' } });
    expect(c.stdout).toContain('\x1b[33mdraining\x1b[39m');
    const p = await runOwnstack(['cluster', 'member', 'list', 'api']);
    expect(p.stdout).toBe('my-rails-app\tactive\t100\tblue\t10.0.0.11:5000 10.0.0.12:5000\nworker-app\tdraining\t0\tblue\t-\n');
    expect(hasAnsi(p.stdout + p.stderr)).toBe(false);
  });

  it('--json: an array of members that parses against the contract; empty prints []', async () => {
    api.use(...memberHandlers());
    const r = await runOwnstack(['cluster', 'member', 'list', 'api', '--json']);
    expect(z.array(member).parse(JSON.parse(r.stdout))).toEqual([sampleMember]);
    api.use(...memberHandlers(['api'], []));
    const e = await runOwnstack(['cluster', 'member', 'list', 'api', '--json']);
    expect(JSON.parse(e.stdout)).toEqual([]);
    const t = await runOwnstack(['cluster', 'member', 'list', 'api'], tty);
    expect(t.stdout).toBe('No members in cluster api. Add one: ownstack cluster member add api <app>\n');
  });

  it('unknown cluster → exit 3 with the hint', async () => {
    api.use(...memberHandlers());
    const r = await runOwnstack(['cluster', 'member', 'list', 'apj']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('hint: did you mean "api"?');
  });
});

describe('member mutations', () => {
  it.each([
    [['add', 'api', 'worker-app', '--weight=50'], '✓ Added worker-app to cluster api (variant blue, weight 50, 1 address)'],
    [['drain', 'api', 'my-rails-app'], '✓ Draining my-rails-app in cluster api: no new connections, existing ones finish (undo: ownstack cluster member undrain api my-rails-app)'],
    [['undrain', 'api', 'my-rails-app'], '✓ Undrained my-rails-app in cluster api: it receives new connections again'],
    [['weight', 'api', 'my-rails-app', '0'], '✓ Set the weight of my-rails-app in cluster api to 0 (no traffic unless it is the only member left)'],
    [['weight', 'api', 'my-rails-app', '25'], '✓ Set the weight of my-rails-app in cluster api to 25'],
    [['remove', 'api', 'my-rails-app', '--yes'], '✓ Removed my-rails-app from cluster api (the app itself was not touched)'],
  ])('%j piped: exactly the success line', async (args, line) => {
    api.use(...memberHandlers());
    const r = await runOwnstack(['cluster', 'member', ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${line}\n`);
    expect(hasAnsi(r.stdout + r.stderr)).toBe(false);
  });

  it('TTY: the success line, then the env changes; plan warnings on stderr', async () => {
    api.use(...memberHandlers());
    const r = await runOwnstack(['cluster', 'member', 'drain', 'api', 'my-rails-app'], tty);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  CLUSTER_UPSTREAMS_API_EXAMPLE_COM (api.example.com)\n');
    expect(r.stderr).toContain('! app.example.com has no upstream');
  });

  it.each([['drain'], ['undrain'], ['weight', '5'], ['remove']])('%s --json: the member; --dry-run --json: the plan', async (verb, ...rest) => {
    api.use(...memberHandlers());
    const argv = ['cluster', 'member', verb, 'api', 'my-rails-app', ...rest];
    const a = await runOwnstack([...argv, '--json', ...(verb === 'remove' ? ['--yes'] : [])]);
    expect(a.code).toBe(0);
    expect(member.parse(JSON.parse(a.stdout)).app).toBe('my-rails-app');
    const d = await runOwnstack([...argv, '--json', '--dry-run']);
    expect(d.code).toBe(0);
    expect(planSchema.parse(JSON.parse(d.stdout))).toEqual(sampleDryRunPlan);
    expect(d.stderr).toBe('Dry run: nothing was changed\n');
  });

  it('remove: TTY confirmation must match the app name', async () => {
    api.use(...memberHandlers());
    const no = await runOwnstack(['cluster', 'member', 'remove', 'api', 'my-rails-app'], { ...tty, confirm: ['my-rails'] });
    expect(no.code).toBe(2);
    expect(no.stderr).toContain('error: aborted: the name did not match');
    expect(api.seen).toHaveLength(0);
    const yes = await runOwnstack(['cluster', 'member', 'remove', 'api', 'my-rails-app'], { ...tty, confirm: ['my-rails-app'] });
    expect(yes.code).toBe(0);
    expect(api.seen.map((s) => s.method)).toEqual(['DELETE']);
  });

  it.each([
    [404, 'not_found', 'no member named "workr" in cluster api', 3],
    [409, 'conflict', 'my-rails-app is the last routable member: draining it would leave api with none', 5],
    [401, 'unauthorized', 'invalid token', 4],
    [500, 'internal', 'boom', 1],
  ])('drain: HTTP %i → exit %#', async (status, code, message, exit) => {
    api.use(http.post(url('/api/clusters/api/members/:app/drain'), () => apiError(status, code, message)));
    const r = await runOwnstack(['cluster', 'member', 'drain', 'api', 'workr']);
    expect(r.code).toBe(exit);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(`error: ${message}`);
  });
});
