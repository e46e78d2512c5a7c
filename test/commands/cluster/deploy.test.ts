// cluster deploy --detach: starting a job (waiting and progress: test/deploy/cli.test.ts).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasAnsi, runOwnstack } from '../../helpers/cli.js';
import { deploy } from '../../../src/api/schemas.js';
import { apiError, contractHandlers, contractServer, http, url } from '../../fixtures/contract.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

describe('cluster deploy', () => {
  it('TTY: the plan header on stderr, the success line on stdout', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'deploy', 'api', '--strategy=rolling', '--detach'], { tty: true, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✓ Deploy 12 started on api (rolling)\n');
    expect(r.stderr.split('\n')).toEqual([
      'Deploy 12 on api: rolling, 2 members, one at a time in this order: drain → deploy → health check → undrain',
      '  1. my-rails-app (10.0.0.11:5000, 10.0.0.12:5000)',
      '  2. worker-app (10.0.0.13:5000)',
      '  skipped upstream 32 https://my-rails-app.herokuapp.com: URL upstreams are not deployed by OwnStack',
      'follow it: ownstack cluster deploy:status api 12 --wait',
      '',
    ]);
  });

  it('TTY with FORCE_COLOR: coloured check mark', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'deploy', 'api', '--detach'], { tty: true, env: { FORCE_COLOR: '1' } });
    expect(r.stdout).toBe('\x1b[32m✓\x1b[39m Deploy 12 started on api (parallel)\n');
  });

  it('piped: the deploy id alone on stdout, everything else on stderr, no ANSI', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'deploy', 'api', '--detach']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('12\n');
    expect(r.stderr).toContain('✓ Deploy 12 started on api (parallel)');
    expect(hasAnsi(r.stderr)).toBe(false);
  });

  it('--quiet piped: only the id', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'deploy', 'api', '--detach', '-q']);
    expect(r.stdout).toBe('12\n');
    expect(r.stderr).toBe('');
  });

  it('--json: the Deploy', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'deploy', 'api', '--strategy=rolling', '--detach', '--json']);
    expect(r.code).toBe(0);
    expect(deploy.parse(JSON.parse(r.stdout)).strategy).toBe('rolling');
    expect(r.stderr).toBe('');
  });

  it('409 (a deploy is already running) → exit 5; 404 → exit 3', async () => {
    api.use(http.post(url('/api/clusters/api/deploys'), () => apiError(409, 'conflict', 'deploy 11 is still running on api', { hint: 'ownstack cluster deploy:status api 11' })));
    const c = await runOwnstack(['cluster', 'deploy', 'api']);
    expect(c.code).toBe(5);
    expect(c.stdout).toBe('');
    expect(c.stderr).toContain('deploy 11 is still running');
    api.server.resetHandlers();
    api.use(...contractHandlers());
    const nf = await runOwnstack(['cluster', 'deploy', 'apx']);
    expect(nf.code).toBe(3);
  });
});
