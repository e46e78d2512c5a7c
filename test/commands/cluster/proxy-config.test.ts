// cluster proxy-config: the Caddyfile and the env file for a bring-your-own proxy.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasAnsi, runOwnstack } from '../../helpers/cli.js';
import { proxyConfig } from '../../../src/api/schemas.js';
import { quoteEnvValue, renderEnvFile } from '../../../src/commands/cluster/proxy-config.js';
import { HttpResponse, contractHandlers, contractServer, http, sampleProxyConfig, url } from '../../fixtures/contract.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

describe('cluster proxy-config', () => {
  it('no flag: both files, each under a # header', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'proxy-config', 'api']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        '# Caddyfile (generation 7, /home/op/.ownstack/local/clusters/api/Caddyfile)',
        'api.example.com {',
        '\treverse_proxy {$CLUSTER_UPSTREAMS_API_EXAMPLE_COM}',
        '}',
        '',
        '# proxy env (generation 7, /home/op/.ownstack/local/clusters/api/proxy.env)',
        'CLUSTER_UPSTREAMS="10.0.0.11:5000 10.0.0.12:5000"',
        'CLUSTER_UPSTREAMS_API_EXAMPLE_COM="10.0.0.11:5000 10.0.0.12:5000"',
        '',
      ].join('\n'),
    );
  });

  it('--caddyfile: the Caddyfile alone, byte for byte (TTY too, no colour)', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'proxy-config', 'api', '--caddyfile'], { tty: true, env: { FORCE_COLOR: '1' } });
    expect(r.stdout).toBe(sampleProxyConfig.caddyfile);
    expect(hasAnsi(r.stdout)).toBe(false);
  });

  it('--env: KEY="value" lines only', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'proxy-config', 'api', '--env']);
    expect(r.stdout).toBe('CLUSTER_UPSTREAMS="10.0.0.11:5000 10.0.0.12:5000"\nCLUSTER_UPSTREAMS_API_EXAMPLE_COM="10.0.0.11:5000 10.0.0.12:5000"\n');
  });

  it('--caddyfile --env: refused (each means only that file), exit 2, nothing sent', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'proxy-config', 'api', '--caddyfile', '--env']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/option '--caddyfile' cannot be used with option '--env'/);
    expect(r.stdout).toBe('');
    expect(api.seen).toHaveLength(0);
  });

  it('--env with no vars prints nothing', async () => {
    api.use(http.get(url('/api/clusters/api/proxy-config'), () => HttpResponse.json({ ...sampleProxyConfig, env: {} })));
    const r = await runOwnstack(['cluster', 'proxy-config', 'api', '--env']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('quotes values safely for dotenv and shells', () => {
    expect(quoteEnvValue('a b')).toBe('"a b"');
    expect(quoteEnvValue('a"b$c`d\\e')).toBe('"a\\"b\\$c\\`d\\\\e"');
    expect(renderEnvFile({ B: '2', A: '1' })).toBe('A="1"\nB="2"');
  });

  it('--json: the ProxyConfig', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'proxy-config', 'api', '--json', '--env']);
    expect(proxyConfig.parse(JSON.parse(r.stdout))).toEqual(sampleProxyConfig);
  });

  it('404 → exit 3 with hint', async () => {
    api.use(...contractHandlers());
    const r = await runOwnstack(['cluster', 'proxy-config', 'apx']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('did you mean "api"?');
  });
});
