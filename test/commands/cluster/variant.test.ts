// cluster variant list|add|update|remove against the contract.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasAnsi, runOwnstack } from '../../helpers/cli.js';
import { plan as planSchema, variant } from '../../../src/api/schemas.js';
import { parse as parseUpdate } from '../../../src/commands/cluster/variant/update.js';
import { UsageError } from '../../../src/errors.js';
import { HttpResponse, apiError, contractHandlers, contractServer, http, sampleVariant, sampleVariantGreen, url } from '../../fixtures/contract.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

describe('cluster variant list', () => {
  it('TTY: ●/○ marks the routed variant', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'variant', 'list', 'api'], { tty: true, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^ +NAME +WEIGHT +STATUS +ROUTED +DESCRIPTION$/);
    expect(lines[1]).toMatch(/^● +blue +100 +active +yes +current release$/);
    expect(lines[2]).toMatch(/^○ +green +0 +active +no$/);
  });

  it('TTY with FORCE_COLOR: coloured marks', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'variant', 'list', 'api'], { tty: true, env: { FORCE_COLOR: '1' } });
    expect(r.stdout).toContain('\x1b[32m●\x1b[39m');
  });

  it('piped: tab-separated, no mark column, no ANSI', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'variant', 'list', 'api']);
    expect(r.stdout).toBe('blue\t100\tactive\tyes\tcurrent release\ngreen\t0\tactive\tno\t\n');
  });

  it('empty on a TTY: the next step', async () => {
    api.use(http.get(url('/api/clusters/api/variants'), () => HttpResponse.json({ variants: [] })));
    const r = await runOwnstack(['cluster', 'variant', 'list', 'api'], { tty: true, env: { NO_COLOR: '1' } });
    expect(r.stdout).toBe('No variants yet. Add one: ownstack cluster variant add api <name> --weight=100\n');
  });

  it('--json: an array of Variant', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'variant', 'list', 'api', '--json']);
    expect(variant.array().parse(JSON.parse(r.stdout))).toEqual([sampleVariant, sampleVariantGreen]);
  });

  it('404 → exit 3 with hint', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'variant', 'list', 'apx']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('did you mean "api"?');
  });
});

describe('cluster variant add', () => {
  it('TTY apply: success line, changes; piped: the line only', async () => {
    api.use(...contractHandlers());
    const t = await runOwnstack(['cluster', 'variant', 'add', 'api', 'canary', '--weight=10'], { tty: true, env: { NO_COLOR: '1' } });
    expect(t.code).toBe(0);
    expect(t.stdout.split('\n')[0]).toBe('✓ Added variant canary to api (weight 10, active, routed)');
    expect(t.stdout).toContain('  - 10.0.0.11:5000 10.0.0.12:5000');
    const p = await runOwnstack(['cluster', 'variant', 'add', 'api', 'green']);
    expect(p.stdout).toBe('✓ Added variant green to api (weight 0, active)\n');
    expect(hasAnsi(p.stdout + p.stderr)).toBe(false);
  });

  it('--dry-run: plan; --json: the Variant; --json --dry-run: the plan', async () => {
    api.use(...contractHandlers());
    const d = await runOwnstack(['cluster', 'variant', 'add', 'api', 'green', '--dry-run']);
    expect(d.stderr).toBe('Dry run: nothing was changed\n');
    expect(d.stdout).toContain('Plan for cluster api (not applied)');
    const j = await runOwnstack(['cluster', 'variant', 'add', 'api', 'green', '--weight=5', '--json']);
    expect(variant.parse(JSON.parse(j.stdout)).weight).toBe(5);
    const jd = await runOwnstack(['cluster', 'variant', 'add', 'api', 'green', '--json', '--dry-run']);
    expect(planSchema.parse(JSON.parse(jd.stdout)).applied).toBe(false);
  });

  it('409 (exists) → exit 5; 404 → exit 3', async () => {
    api.use(http.post(url('/api/clusters/api/variants'), () => apiError(409, 'conflict', 'cluster api already has a variant named blue')));
    const c = await runOwnstack(['cluster', 'variant', 'add', 'api', 'blue']);
    expect(c.code).toBe(5);
    expect(c.stderr).toContain('already has a variant named blue');
    api.server.resetHandlers();
    api.use(...contractHandlers());
    const nf = await runOwnstack(['cluster', 'variant', 'add', 'apx', 'blue']);
    expect(nf.code).toBe(3);
  });
});

describe('cluster variant update', () => {
  it('parse: only the given fields, typed', () => {
    expect(parseUpdate({ args: ['api', 'green'], opts: { weight: '25' } })).toEqual({ cluster: 'api', name: 'green', request: { weight: 25, dry_run: false, force: false } });
    expect(parseUpdate({ args: ['api', 'green'], opts: { status: 'draining', dryRun: true } })).toEqual({
      cluster: 'api',
      name: 'green',
      request: { status: 'draining', dry_run: true, force: false },
    });
    expect(() => parseUpdate({ args: ['api', 'green'], opts: {} })).toThrow(UsageError);
  });

  it('apply: success line; --json: the Variant', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'variant', 'update', 'api', 'green', '--weight=100']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✓ Updated variant green on api (weight 100, active, routed)\n');
    const j = await runOwnstack(['cluster', 'variant', 'update', 'api', 'green', '--status=draining', '--json']);
    expect(variant.parse(JSON.parse(j.stdout)).status).toBe('draining');
  });

  it('--dry-run: the plan', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'variant', 'update', 'api', 'green', '--weight=100', '--dry-run'], { tty: true, env: { FORCE_COLOR: '1' } });
    expect(r.stdout).toContain('\x1b[32m+ https://my-rails-app.herokuapp.com\x1b[39m');
    expect(r.stderr).toContain('Dry run: nothing was changed');
  });

  it('unknown variant → exit 3; 409 → exit 5', async () => {
    api.use(http.patch(url('/api/clusters/api/variants/:v'), () => apiError(404, 'not_found', 'no variant named "gren"', { hint: 'did you mean "green"?' })));
    const nf = await runOwnstack(['cluster', 'variant', 'update', 'api', 'gren', '--weight=1']);
    expect(nf.code).toBe(3);
    expect(nf.stderr).toContain('hint: did you mean "green"?');
    api.use(http.patch(url('/api/clusters/api/variants/:v'), () => apiError(409, 'conflict', 'a deploy is running')));
    const c = await runOwnstack(['cluster', 'variant', 'update', 'api', 'green', '--weight=1']);
    expect(c.code).toBe(5);
  });
});

describe('cluster variant remove', () => {
  it('piped without --yes: exit 2 "pass --yes", nothing sent', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'variant', 'remove', 'api', 'green']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --yes');
    expect(api.seen).toHaveLength(0);
  });

  it('TTY, wrong name: exit 2, nothing sent; right name: sent', async () => {
    api.use(...contractHandlers());
    const bad = await runOwnstack(['cluster', 'variant', 'remove', 'api', 'green'], { tty: true, confirm: ['blue'] });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('aborted: the name did not match');
    expect(bad.stderr).toContain('hint: nothing was changed');
    expect(api.seen).toHaveLength(0);
    const ok = await runOwnstack(['cluster', 'variant', 'remove', 'api', 'green'], { tty: true, confirm: ['green'], env: { NO_COLOR: '1' } });
    expect(ok.code).toBe(0);
    expect(ok.stdout.split('\n')[0]).toBe('✓ Removed variant green from api');
    expect(api.seen.map((s) => `${s.method} ${s.url.pathname}`)).toEqual(['DELETE /api/clusters/api/variants/green']);
  });

  it('--dry-run: no confirmation, plan; --yes --json: the Variant', async () => {
    api.use(...contractHandlers());
    const d = await runOwnstack(['cluster', 'variant', 'remove', 'api', 'green', '--dry-run']);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain('Plan for cluster api (not applied)');
    const j = await runOwnstack(['cluster', 'variant', 'remove', 'api', 'green', '--yes', '--json']);
    expect(variant.parse(JSON.parse(j.stdout)).name).toBe('green');
  });

  it('409 (the only routed variant) → exit 5', async () => {
    api.use(http.delete(url('/api/clusters/api/variants/:v'), () => apiError(409, 'conflict', 'blue is the only routed variant', { hint: 'switch to another variant first' })));
    const r = await runOwnstack(['cluster', 'variant', 'remove', 'api', 'blue', '--yes']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('hint: switch to another variant first');
  });
});
