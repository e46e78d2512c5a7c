// cluster destroy: the confirmation rules, then the DELETE and its output.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasAnsi, runOwnstack } from '../../helpers/cli.js';
import { cluster as clusterSchema } from '../../../src/api/schemas.js';
import { apiError, contractHandlers, contractServer, http, sampleCluster, url } from '../../fixtures/contract.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

describe('cluster destroy', () => {
  it('piped without --yes: exit 2 "pass --yes", nothing sent', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'destroy', 'api']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --yes');
    expect(api.seen).toHaveLength(0);
  });

  it('TTY, wrong name retyped: exit 2 aborted, nothing sent', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'destroy', 'api'], { tty: true, confirm: ['apі'] });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('aborted: the name did not match');
    expect(r.stderr).toContain('hint: nothing was changed');
    expect(api.seen).toHaveLength(0);
  });

  it('TTY, right name retyped: sent; success line and a note that the proxy app stays', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'destroy', 'api'], { tty: true, confirm: ['api'], env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(api.seen.map((s) => `${s.method} ${s.url.pathname}${s.url.search}`)).toEqual(['DELETE /api/clusters/api']);
    expect(r.stdout).toBe('✓ Destroyed cluster api\n');
    expect(r.stderr).toContain('The proxy app api-proxy was kept (pass --with-proxy to remove it too).');
  });

  it('--with-proxy --yes: sends with_proxy=true and says the proxy went too', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'destroy', 'api', '--with-proxy', '--yes']);
    expect(r.code).toBe(0);
    expect(api.seen[0].url.search).toBe('?with_proxy=true');
    expect(r.stdout).toBe('✓ Destroyed cluster api and its proxy app api-proxy\n');
    expect(r.stderr).toBe('');
    expect(hasAnsi(r.stdout)).toBe(false);
  });

  it('TTY with FORCE_COLOR: the check mark is green', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'destroy', 'api', '--yes'], { tty: true, env: { FORCE_COLOR: '1' } });
    expect(r.stdout).toBe('\x1b[32m✓\x1b[39m Destroyed cluster api\n');
  });

  it('--quiet: no success line and no note', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'destroy', 'api', '--yes', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
  });

  it('--json: the destroyed Cluster', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'destroy', 'api', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(clusterSchema.parse(JSON.parse(r.stdout))).toEqual(sampleCluster);
  });

  it('404 → exit 3 with hint; 409 → exit 5', async () => {
    api.use(...contractHandlers());
    const nf = await runOwnstack(['cluster', 'destroy', 'apx', '--yes']);
    expect(nf.code).toBe(3);
    expect(nf.stderr).toContain('hint: did you mean "api"?');
    api.use(http.delete(url('/api/clusters/api'), () => apiError(409, 'conflict', 'a deploy is running on api', { hint: 'wait for deploy 12 or abort it' })));
    const c = await runOwnstack(['cluster', 'destroy', 'api', '--yes']);
    expect(c.code).toBe(5);
    expect(c.stderr).toContain('error: a deploy is running on api');
    expect(c.stdout).toBe('');
  });
});
