// cluster upstream list: table on a TTY, TSV when piped, JSON with --json, errors.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hasAnsi, runOwnstack } from '../../../helpers/cli.js';
import { upstream } from '../../../../src/api/schemas.js';
import { HttpResponse, contractServer, http, sampleUpstream, sampleUrlUpstream, url } from '../../../fixtures/contract.js';
import { upstreamHandlers } from './handlers.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

describe('cluster upstream list', () => {
  it('TTY: aligned table with UPPERCASE headers; a null hostname shows as *', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack(['cluster', 'upstream', 'list', 'api'], { tty: true, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+VARIANT\s+HOSTNAME\s+TARGET\s+WEIGHT\s+STATUS\s+HOST-HEADER$/);
    expect(lines[1]).toMatch(/^31\s+blue\s+\*\s+my-rails-app\s+100\s+active\s+-$/);
    expect(lines[2]).toMatch(/^32\s+green\s+api\.example\.com\s+https:\/\/my-rails-app\.herokuapp\.com\s+100\s+active\s+my-rails-app\.herokuapp\.com$/);
    expect(hasAnsi(r.stdout)).toBe(false);
  });

  it('piped: tab-separated rows, no header, no ANSI', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack(['cluster', 'upstream', 'list', 'api'], { env: { FORCE_COLOR: '0' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '31\tblue\t*\tmy-rails-app\t100\tactive\t-\n' +
        '32\tgreen\tapi.example.com\thttps://my-rails-app.herokuapp.com\t100\tactive\tmy-rails-app.herokuapp.com\n',
    );
    expect(hasAnsi(r.stdout + r.stderr)).toBe(false);
  });

  it('HOST-HEADER is the header really sent: a URL upstream without --host-header gets its own host:port', async () => {
    const plain = { ...sampleUrlUpstream, host_header: null };
    api.use(http.get(url('/api/clusters/api/upstreams'), () => HttpResponse.json({ upstreams: [sampleUpstream, plain, { ...plain, id: 33, url: 'http://10.0.0.7:8080' }] })));
    const r = await runOwnstack(['cluster', 'upstream', 'list', 'api']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').map((l) => l.split('\t')[6])).toEqual(['-', 'my-rails-app.herokuapp.com:443', '10.0.0.7:8080', undefined]);
  });

  it('--json: one array of upstreams that parses against the contract', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack(['cluster', 'upstream', 'list', 'api', '--json'], { tty: true });
    expect(r.code).toBe(0);
    expect(z.array(upstream).parse(JSON.parse(r.stdout))).toEqual([sampleUpstream, sampleUrlUpstream]);
  });

  it('empty: a hint on a TTY, nothing when piped', async () => {
    api.use(...upstreamHandlers(['api'], []));
    const t = await runOwnstack(['cluster', 'upstream', 'list', 'api'], { tty: true, env: { NO_COLOR: '1' } });
    expect(t.stdout).toBe('No upstreams in cluster api. Add one: ownstack cluster upstream add api --variant=<variant> (--url=<url> | --app=<app>)\n');
    const p = await runOwnstack(['cluster', 'upstream', 'list', 'api']);
    expect(p.code).toBe(0);
    expect(p.stdout).toBe('');
    const j = await runOwnstack(['cluster', 'upstream', 'list', 'api', '--json']);
    expect(JSON.parse(j.stdout)).toEqual([]);
  });

  it('unknown cluster: exit 3 with the server hint', async () => {
    api.use(...upstreamHandlers());
    const r = await runOwnstack(['cluster', 'upstream', 'list', 'apx']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: no cluster named "apx"\nhint: did you mean "api"? (ownstack cluster list)\n');
  });
});
