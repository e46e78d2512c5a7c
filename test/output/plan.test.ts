import { describe, expect, it } from 'vitest';
import { renderMutation, renderPlan, renderPlanChanges } from '../../src/output/plan.js';
import { sampleDryRunPlan, sampleEmptyPlan, samplePlan, sampleVariant } from '../fixtures/contract.js';
import { ANSI, bufferIO, renderContext, stripAnsi } from './fake-io.js';

describe('renderPlan', () => {
  it('shows changed env vars as -/+ lines and collapses unchanged ones (no ANSI when piped)', () => {
    const { io } = bufferIO(false);
    const text = renderPlan(io, sampleDryRunPlan);
    expect(ANSI.test(text)).toBe(false);
    expect(text.split('\n')).toEqual([
      'Plan for cluster api (not applied)',
      'Proxy env:',
      '  CLUSTER_UPSTREAMS_API_EXAMPLE_COM (api.example.com)',
      '  - 10.0.0.11:5000 10.0.0.12:5000',
      '  + https://my-rails-app.herokuapp.com',
      '  CLUSTER_UPSTREAMS',
      '  - 10.0.0.11:5000 10.0.0.12:5000',
      '  + 10.0.0.11:5000 10.0.0.12:5000 https://my-rails-app.herokuapp.com',
      '  CLUSTER_UPSTREAMS_APP_EXAMPLE_COM (app.example.com) (unchanged)',
      'Caddyfile changed: no',
      'Edge records:',
      '  + api.example.com A 192.0.2.10',
      '! app.example.com has no upstream in variant green: it keeps its current routing',
    ]);
  });

  it('colours - red and + green on a TTY', () => {
    const { io } = bufferIO(true);
    const text = renderPlan(io, samplePlan);
    expect(text).toContain('\x1b[31m- 10.0.0.11:5000 10.0.0.12:5000\x1b[39m');
    expect(text).toContain('\x1b[32m+ https://my-rails-app.herokuapp.com\x1b[39m');
    expect(stripAnsi(text)).toContain('Plan for cluster api (applied)');
  });

  it('honours NO_COLOR on a TTY', () => {
    const { io } = bufferIO(true, { NO_COLOR: '1' });
    expect(ANSI.test(renderPlan(io, samplePlan))).toBe(false);
  });

  it('marks new and removed vars, Caddyfile changes and removed edge records', () => {
    const { io } = bufferIO(false);
    const text = renderPlan(io, {
      ...sampleEmptyPlan,
      env: [
        { name: 'CLUSTER_UPSTREAMS_NEW_EXAMPLE_COM', hostname: 'new.example.com', before: null, after: '10.0.0.1:80', changed: true },
        { name: 'CLUSTER_UPSTREAMS_OLD_EXAMPLE_COM', hostname: 'old.example.com', before: '10.0.0.1:80', after: null, changed: true },
      ],
      caddyfile_changed: true,
      edge: { added: [], removed: [{ hostname: 'old.example.com', type: 'A', value: '192.0.2.1' }] },
    });
    expect(text).toContain('  CLUSTER_UPSTREAMS_NEW_EXAMPLE_COM (new.example.com) (new)\n  + 10.0.0.1:80\n');
    expect(text).toContain('  CLUSTER_UPSTREAMS_OLD_EXAMPLE_COM (old.example.com) (removed)\n  - 10.0.0.1:80\n');
    expect(text).toContain('Caddyfile changed: yes');
    expect(text).toContain('  - old.example.com A 192.0.2.1');
  });

  it('says so when nothing changes', () => {
    const { io } = bufferIO(false);
    expect(renderPlan(io, sampleEmptyPlan)).toBe('Plan for cluster api (applied)\nProxy env:\n  (no env vars)\nCaddyfile changed: no\nEdge records: no change');
    expect(renderPlanChanges(io, sampleEmptyPlan)).toBe('');
  });
});

describe('renderMutation', () => {
  const response = { result: sampleVariant, plan: samplePlan };

  it('apply on a TTY: success line, then the changed lines; warnings on stderr', () => {
    const b = bufferIO(true, { NO_COLOR: '1' });
    renderMutation(renderContext(b.io), response, 'Did it', false);
    expect(b.out().split('\n')[0]).toBe('✓ Did it');
    expect(b.out()).toContain('  - 10.0.0.11:5000 10.0.0.12:5000\n  + https://my-rails-app.herokuapp.com');
    expect(b.out()).not.toContain('(unchanged)');
    expect(b.out()).toContain('+ edge api.example.com A 192.0.2.10');
    expect(b.err()).toBe('! app.example.com has no upstream in variant green: it keeps its current routing\n');
  });

  it('apply when piped: the success line only, unless --verbose', () => {
    const b = bufferIO(false);
    renderMutation(renderContext(b.io), response, 'Did it', false);
    expect(b.out()).toBe('✓ Did it\n');
    const v = bufferIO(false);
    renderMutation(renderContext(v.io, { verbose: true }), response, 'Did it', false);
    expect(v.out()).toContain('✓ Did it\n  CLUSTER_UPSTREAMS_API_EXAMPLE_COM');
    expect(ANSI.test(v.out() + v.err())).toBe(false);
  });

  it('--quiet prints nothing on apply', () => {
    const b = bufferIO(true);
    renderMutation(renderContext(b.io, { quiet: true }), response, 'Did it', false);
    expect(b.out()).toBe('');
    expect(b.err()).toBe('');
  });

  it('dry run: header on stderr, plan on stdout', () => {
    const b = bufferIO(false);
    renderMutation(renderContext(b.io), { ...response, plan: sampleDryRunPlan }, 'Did it', true);
    expect(b.err()).toBe('Dry run: nothing was changed\n');
    expect(b.out()).toBe(renderPlan(b.io, sampleDryRunPlan) + '\n');
    expect(b.out()).not.toContain('✓');
  });

  it('--json: the result on apply, the plan on a dry run, one document each', () => {
    const a = bufferIO(false);
    renderMutation(renderContext(a.io, { json: true }), response, 'Did it', false);
    expect(JSON.parse(a.out())).toEqual(sampleVariant);
    const d = bufferIO(false);
    renderMutation(renderContext(d.io, { json: true }), { ...response, plan: sampleDryRunPlan }, 'Did it', true);
    expect(JSON.parse(d.out())).toEqual(sampleDryRunPlan);
  });
});

describe('renderMutation: order of the result and its warnings', () => {
  it('prints the result line first, then each distinct warning once (failed before: warnings came first, repeated)', () => {
    const b = bufferIO(false);
    const seq: string[] = [];
    const out = b.io.out.bind(b.io);
    const err = b.io.err.bind(b.io);
    b.io.out = (l = '') => {
      seq.push(`out ${l}`);
      out(l);
    };
    b.io.err = (l = '') => {
      seq.push(`err ${l}`);
      err(l);
    };
    const w = 'no upstream is routed for app.example.com';
    renderMutation(renderContext(b.io), { result: sampleVariant, plan: { ...samplePlan, warnings: [w, w] } }, 'Added it', false);
    expect(seq).toEqual(['out ✓ Added it', `err ! ${w}`]);
  });
});
