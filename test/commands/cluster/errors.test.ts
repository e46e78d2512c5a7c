// Every command maps API errors the same way: 404 → 3 with the hint, 409 → 5, 401 → 4;
// nothing on stdout, one error line (plus hint) on stderr.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runOwnstack } from '../../helpers/cli.js';
import { apiError, contractServer, http, url } from '../../fixtures/contract.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

const commands = [
  'cluster show api',
  'cluster status api',
  'cluster destroy api --yes',
  'cluster switch api --to=green',
  'cluster proxy-config api',
  'cluster deploy api',
  'cluster domain list api',
  'cluster domain add api www.example.com',
  'cluster domain remove api www.example.com --yes',
  'cluster variant list api',
  'cluster variant add api green',
  'cluster variant update api green --weight=1',
  'cluster variant remove api green --yes',
];

const cases: [number, string, number][] = [
  [404, 'not_found', 3],
  [409, 'conflict', 5],
  [401, 'unauthorized', 4],
  [500, 'internal', 1],
];

describe.each(cases)('HTTP %i (%s) → exit %i', (status, code, exit) => {
  it.each(commands)('%s', async (argv) => {
    api.use(http.all(url('/api/*'), () => apiError(status, code, `refused with ${status}`, { hint: `hint for ${status}` })));
    const r = await runOwnstack(argv.split(' '), { tty: true, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(exit);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`error: refused with ${status}\nhint: hint for ${status}\n`);
    expect(api.seen).toHaveLength(1);
  });
});
