// Text stored before control characters were refused (or sent by another control plane) is printed
// with every control character made visible: nothing reaches the terminal as ESC, CR or BEL, and a
// newline or TAB never splits a tab-separated row. JSON stays JSON (escaped by JSON itself).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpResponse, contractServer, http, sampleDetail, sampleStatus, sampleUpstream, sampleVariant, url } from '../fixtures/contract.js';
import { runOwnstack } from '../helpers/cli.js';
import { escapeControl } from '../../src/output/text.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

const EVIL = 'next\u001b]0;pwned\u0007 release\r\nsecond line\ttab\u009b2J\u202eevil';
const SHOWN = 'next\\x1b]0;pwned\\x07 release\\r\\nsecond line\\ttab\\x9b2J\\u202eevil';
// Anything that acts on a terminal: C0 (but the \n ending a line and the TAB between piped
// columns), DEL, C1, bidi controls.
const ACTS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('escapeControl', () => {
  it('makes every control character visible and leaves other text alone', () => {
    expect(escapeControl(EVIL)).toBe(SHOWN);
    expect(escapeControl('café ☕ — ok')).toBe('café ☕ — ok');
    expect(escapeControl('\u0000\u007f\u0085\u2028\u2066')).toBe('\\x00\\x7f\\x85\\u2028\\u2066');
  });
});

describe('stored control characters are printed escaped', () => {
  const variants = [{ ...sampleVariant, description: EVIL }, { ...sampleVariant, id: 22, name: 'green', description: 'plain' }];

  it('variant list, piped: one row per variant, no raw control character', async () => {
    api.use(http.get(url('/api/clusters/api/variants'), () => HttpResponse.json({ variants })));
    const r = await runOwnstack(['cluster', 'variant', 'list', 'api']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(2);
    // NAME WEIGHT STATUS ROUTED DESCRIPTION: a TAB in the description does not add a column.
    expect(rows.map((l) => l.split('\t').length)).toEqual([5, 5]);
    expect(r.stdout).toContain(SHOWN);
    expect(r.stdout.replace(/\n/g, '')).not.toMatch(ACTS);
  });

  it('variant list on a terminal (colour on): only our own colour codes reach it', async () => {
    api.use(http.get(url('/api/clusters/api/variants'), () => HttpResponse.json({ variants })));
    const r = await runOwnstack(['cluster', 'variant', 'list', 'api'], { tty: true, env: { FORCE_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(SHOWN);
    const withoutColour = r.stdout.replace(/\u001b\[[0-9;]*m/g, '');
    expect(withoutColour.replace(/\n/g, '')).not.toMatch(ACTS);
  });

  it('cluster show: tables and key/values', async () => {
    const detail = { ...sampleDetail, variants: variants, upstreams: [{ ...sampleUpstream, hostname: 'x\u001b[2J.example.com' }] };
    api.use(http.get(url('/api/clusters/api'), () => HttpResponse.json(detail)));
    const r = await runOwnstack(['cluster', 'show', 'api']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(SHOWN);
    expect(r.stdout).toContain('x\\x1b[2J.example.com');
    expect(r.stdout.replace(/\n/g, '')).not.toMatch(ACTS);
  });

  it('cluster status: the tree', async () => {
    const status = structuredClone(sampleStatus);
    status.hostnames[0]!.variants[0]!.name = 'blue\u001b[31m';
    status.warnings = ['warning with\u0007bell'];
    api.use(http.get(url('/api/clusters/api/status'), () => HttpResponse.json(status)));
    for (const tty of [false, true]) {
      const r = await runOwnstack(['cluster', 'status', 'api'], { tty, env: tty ? { FORCE_COLOR: '1' } : {} });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('blue\\x1b[31m');
      expect(r.stdout).toContain('warning with\\x07bell');
      expect(r.stdout.replace(/\u001b\[[0-9;]*m/g, '').replace(/\n/g, '')).not.toMatch(ACTS);
    }
  });

  it('local app show: a deploy command', async () => {
    const app = { id: 3, name: 'web', addresses: ['127.0.0.1:3000'], deploy_cmd: './deploy\n\u001b[2Jrm -rf', health_path: '/', created_at: '2026-01-15T10:00:00Z', updated_at: '2026-01-15T10:00:00Z' };
    // A networked ownstack control plane: it says so on GET /api/health (local app commands ask).
    api.use(http.get(url('/api/health'), () => HttpResponse.json({ ok: true, service: 'ownstack-control-plane', version: '0', pid: 1 })));
    api.use(http.get(url('/api/local/apps/web'), () => HttpResponse.json(app)));
    const r = await runOwnstack(['local', 'app', 'show', 'web']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('./deploy\\n\\x1b[2Jrm -rf');
    expect(r.stdout.replace(/\n/g, '')).not.toMatch(ACTS);
  });

  it('an error message from the server', async () => {
    api.use(http.get(url('/api/clusters/api'), () => HttpResponse.json({ error: { code: 'not_found', message: 'no cluster\u001b]0;x\u0007 here', hint: 'try\u001b[2J' } }, { status: 404 })));
    const r = await runOwnstack(['cluster', 'show', 'api']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no cluster\\x1b]0;x\\x07 here');
    expect(r.stderr).toContain('try\\x1b[2J');
    expect(r.stderr.replace(/\n/g, '')).not.toMatch(ACTS);
  });

  it('--json keeps the value, escaped the JSON way (C1 and bidi controls too)', async () => {
    api.use(http.get(url('/api/clusters/api/variants'), () => HttpResponse.json({ variants })));
    for (const tty of [false, true]) {
      const r = await runOwnstack(['cluster', 'variant', 'list', 'api', '--json'], { tty });
      expect(r.stdout.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      expect(r.stdout).toContain('\\u009b2J\\u202eevil');
      expect(JSON.parse(r.stdout)[0].description).toBe(EVIL);
    }
  });
});
