// cluster upstream remove: confirmation by retyping the id, --yes, --dry-run, non-TTY refusal.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runOwnstack } from '../../../helpers/cli.js';
import { upstream } from '../../../../src/api/schemas.js';
import { contractServer } from '../../../fixtures/contract.js';
import { upstreamHandlers } from './handlers.js';

const api = contractServer({ beforeAll, afterEach, afterAll });
const argv = ['cluster', 'upstream', 'remove', 'api', '32'];

describe('cluster upstream remove', () => {
  it('TTY: retyping the id confirms, then DELETE and a success line', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack(argv, { tty: true, confirm: ['32'], env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(api.seen.map((s) => `${s.method} ${s.url.pathname}`)).toEqual(['DELETE /api/clusters/api/upstreams/32']);
    expect(r.stdout.split('\n')[0]).toBe('✓ Removed upstream 32 from cluster api: https://my-rails-app.herokuapp.com for api.example.com in variant green (weight 100)');
  });

  it('TTY: a wrong answer aborts with exit 2 and sends nothing', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack(argv, { tty: true, confirm: ['31'], env: { NO_COLOR: '1' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: aborted: the id did not match');
    expect(r.stdout).toBe('');
    expect(api.seen).toHaveLength(0);
  });

  it('not a TTY, no --yes: exit 2 asking for --yes, nothing sent, never hangs', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pass --yes/);
    expect(api.seen).toHaveLength(0);
  });

  it('--yes: no prompt; piped output is the success line only', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack([...argv, '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✓ Removed upstream 32 from cluster api: https://my-rails-app.herokuapp.com for api.example.com in variant green (weight 100)\n');
  });

  it('--dry-run needs no confirmation and sends dry_run=true', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack([...argv, '--dry-run']);
    expect(r.code).toBe(0);
    expect(api.seen[0]!.url.searchParams.get('dry_run')).toBe('true');
    expect(r.stderr).toContain('Dry run: nothing was changed');
    expect(r.stdout).toContain('Plan for cluster api (not applied)');
  });

  it('--json --yes: the removed upstream', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack([...argv, '--yes', '--json']);
    expect(upstream.parse(JSON.parse(r.stdout)).id).toBe(32);
  });

  it('unknown cluster → exit 3', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack(['cluster', 'upstream', 'remove', 'nope', '32', '--yes']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('hint: did you mean "api"?');
  });
});
