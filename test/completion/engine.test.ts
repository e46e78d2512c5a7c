// The static engine against the real command tree: what each cursor position can be.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/program.js';
import { createIO } from '../../src/output/io.js';
import { filterCandidates, planCompletion, staticCompletion } from '../../src/complete/engine.js';
import { Directive, formatCompletion } from '../../src/complete/protocol.js';
import { cachePath, readCache, writeCache } from '../../src/complete/cache.js';
import { candidatesFrom } from '../../src/complete/live.js';

const io = createIO({ stdout: { write: () => true }, stderr: { write: () => true }, stdoutIsTTY: false, stderrIsTTY: false, stdinIsTTY: false, env: {} });
// Planning reads the tree and never changes it: one whole tree serves every case.
const tree = await buildProgram(() => {
  throw new Error('the engine must not build a context');
}, io);

/** The plan for a line: words split at spaces; a trailing space means an empty word under the cursor. */
const plan = (line: string) => planCompletion(tree, line.split(' '));
const values = (line: string) => staticCompletion(plan(line)).candidates.map((c) => c.value);

describe('commands and subcommands', () => {
  it('offers the top-level commands, without the hidden __complete', () => {
    const v = values('');
    expect(v).toEqual(expect.arrayContaining(['cluster', 'profile', 'local', 'login', 'completion', 'help']));
    expect(v).not.toContain('__complete');
  });

  it('offers subcommands in their defined order, with descriptions', () => {
    const p = plan('cluster ');
    const c = staticCompletion(p).candidates;
    expect(c.map((x) => x.value).slice(0, 5)).toEqual(['list', 'show', 'status', 'create', 'destroy']);
    expect(c.find((x) => x.value === 'switch')?.description).toMatch(/variant/);
    expect(p.directive & Directive.noFileComp).toBeTruthy();
    expect(p.directive & Directive.keepOrder).toBeTruthy();
  });

  it('filters by the typed prefix', () => {
    expect(values('cluster s')).toEqual(['show', 'status', 'switch']);
    expect(values('cluster domain r')).toEqual(['remove']);
    expect(values('cl')).toEqual(['cluster']);
  });

  it('follows aliases and global flags placed before the command', () => {
    expect(values('--json cluster ')).toContain('switch');
    expect(values('--profile prod cluster ')).toContain('switch');
    expect(plan('--profile prod cluster status ').flags).toEqual({ profile: 'prod' });
    expect(plan('--api-url=http://127.0.0.1:9 cluster status ').flags).toEqual({ apiUrl: 'http://127.0.0.1:9' });
  });

  it('completes command names after help', () => {
    expect(values('help cl')).toEqual(['cluster']);
    expect(values('cluster help sw')).toEqual(['switch']);
  });
});

describe('flags', () => {
  it('offers the command flags and the global ones, with descriptions', () => {
    const c = staticCompletion(plan('cluster create api --')).candidates;
    const v = c.map((x) => x.value);
    expect(v).toEqual(expect.arrayContaining(['--edge', '--proxy-count', '--hostname', '--json', '--profile', '--help']));
    expect(v).not.toContain('--version'); // root only
    expect(v.every((x) => x.startsWith('--'))).toBe(true);
    expect(c.find((x) => x.value === '--edge')?.description).toBe('how the edge balances the proxies');
  });

  it('offers short flags for a lone dash', () => {
    expect(values('cluster destroy api -')).toEqual(expect.arrayContaining(['--yes', '-y', '-q', '-h']));
  });

  it('does not offer a flag again once given, unless it can repeat', () => {
    // --edge is given: only the other flag starting with --e is offered.
    expect(values('cluster create api --edge=none --e')).toEqual(['--edge-allow-private-addresses']);
    expect(values('cluster create api --hostname a.example.com --host')).toEqual(['--hostname']);
  });

  it('offers missing flags (required first) where no argument is left', () => {
    const v = values('cluster switch api ');
    expect(v[0]).toBe('--to');
    expect(values('cluster list ')).toContain('--json');
  });

  it('treats words after -- as arguments', () => {
    expect(values('cluster create -- --e')).toEqual([]);
  });
});

describe('flag values', () => {
  it('offers fixed values in both --flag=value and --flag value forms', () => {
    for (const line of ['cluster create api --edge=', 'cluster create api --edge ']) {
      const c = staticCompletion(plan(line)).candidates;
      expect(c.map((x) => x.value)).toEqual(['dns_rr', 'cloudflare', 'aws_alb', 'none']);
      expect(c[0].description).toMatch(/DNS/);
    }
    expect(values('cluster create api --edge=c')).toEqual(['cloudflare']);
    expect(values('cluster deploy api --strategy ')).toEqual(['parallel', 'rolling']);
    expect(values('cluster deploy api --strategy=r')).toEqual(['rolling']);
    expect(values('cluster variant update api blue --status=')).toEqual(['active', 'draining']);
    expect(values('cluster variant add api blue --status ')).toEqual(['active', 'draining']);
  });

  it('asks for live values with the cluster typed earlier', () => {
    expect(plan('cluster switch api --to=').live).toEqual({ kind: 'variant', cluster: 'api' });
    expect(plan('cluster switch api --to g').live).toEqual({ kind: 'variant', cluster: 'api' });
    expect(plan('cluster switch api --to g').prefix).toBe('g');
    expect(plan('cluster upstream add api --variant=blue --hostname=').live).toEqual({ kind: 'hostname', cluster: 'api' });
    expect(plan('cluster upstream add api --app ').live).toEqual({ kind: 'app', cluster: 'api' });
    expect(plan('--profile ').live?.kind).toBe('profile');
  });

  it('lets the shell complete file names for file flags', () => {
    const p = plan('cluster create api --cloudflare-token-file ');
    expect(p.directive).toBe(0);
    expect(p.live).toBeUndefined();
  });

  it('offers nothing (and no files) for free-text values', () => {
    const p = plan('cluster create api --proxy-count ');
    expect(p.candidates).toEqual([]);
    expect(p.live).toBeUndefined();
    expect(p.directive).toBe(Directive.noFileComp);
  });
});

describe('arguments', () => {
  it('marks live arguments by kind', () => {
    expect(plan('cluster status ').live).toEqual({ kind: 'cluster', cluster: undefined });
    expect(plan('cluster domain remove api ').live).toEqual({ kind: 'hostname', cluster: 'api' });
    expect(plan('cluster upstream remove api ').live).toEqual({ kind: 'upstream', cluster: 'api' });
    expect(plan('cluster member drain api ').live).toEqual({ kind: 'member', cluster: 'api' });
    expect(plan('cluster member add api ').live).toEqual({ kind: 'app', cluster: 'api' });
    expect(plan('cluster variant remove api ').live).toEqual({ kind: 'variant', cluster: 'api' });
    expect(plan('profile use ').live?.kind).toBe('profile');
  });

  it('skips flags and their values when counting arguments', () => {
    expect(plan('cluster --json domain remove --quiet api ').live).toEqual({ kind: 'hostname', cluster: 'api' });
    expect(plan('cluster upstream add api --variant blue --hostname ').live).toEqual({ kind: 'hostname', cluster: 'api' });
  });

  it('offers no live value for a name being created', () => {
    const p = plan('cluster create ');
    expect(p.live).toBeUndefined();
    expect(p.candidates).toEqual([]);
  });
});

describe('protocol', () => {
  it('prints value<TAB>description lines and the directive last', () => {
    expect(formatCompletion({ candidates: [{ value: 'a', description: 'first\tone\nline' }, { value: 'b' }], directive: 36 })).toBe('a\tfirst one line\nb\n:36\n');
  });

  it('filters by prefix and drops duplicates', () => {
    expect(filterCandidates([{ value: 'ab' }, { value: 'ab' }, { value: 'b' }], 'a')).toEqual([{ value: 'ab' }]);
  });
});

describe('live values from response bodies', () => {
  const detail = {
    domains: [{ hostname: 'b.example.com' }, { hostname: 'a.example.com' }],
    variants: [
      { name: 'green', weight: 0, status: 'active', routed: false, description: '' },
      { name: 'blue', weight: 100, status: 'active', routed: true, description: 'current' },
    ],
    upstreams: [
      { id: 10, variant: 'green', hostname: null, url: null, app: 'rails' },
      { id: 2, variant: 'blue', hostname: 'a.example.com', url: 'https://x.herokuapp.com', app: null },
    ],
    members: [
      { app: 'rails', status: 'draining', weight: 100 },
      { app: 'gone', status: 'removed', weight: 0 },
    ],
  };

  it('sorts names, numbers ids, and describes each', () => {
    expect(candidatesFrom('hostname', detail)).toEqual([
      { value: 'a.example.com', description: '2 upstreams' },
      { value: 'b.example.com', description: '1 upstream' },
    ]);
    expect(candidatesFrom('variant', detail).map((c) => c.value)).toEqual(['blue', 'green']);
    expect(candidatesFrom('variant', detail)[0].description).toBe('weight 100, active, routed, current');
    expect(candidatesFrom('upstream', detail)).toEqual([
      { value: '2', description: 'https://x.herokuapp.com · variant blue · a.example.com' },
      { value: '10', description: 'app rails · variant green · every hostname' },
    ]);
    expect(candidatesFrom('member', detail)).toEqual([{ value: 'rails', description: 'draining, weight 100' }]);
  });

  it('ignores bodies of an unexpected shape', () => {
    expect(candidatesFrom('cluster', { clusters: 'nope' })).toEqual([]);
    expect(candidatesFrom('variant', null)).toEqual([]);
    expect(candidatesFrom('app', { apps: [{ name: 3 }, null, { name: 'web', addresses: ['10.0.0.1:80'] }] })).toEqual([
      { value: '3', description: undefined },
      { value: 'web', description: '10.0.0.1:80' },
    ]);
  });
});

describe('the completion cache', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps entries for the TTL, for the same URL only, in 0600 files under a 0700 folder', () => {
    dir = mkdtempSync(join(tmpdir(), 'ownstack-cache-'));
    const path = cachePath(dir, 'local', 'cluster-api');
    expect(path).toBe(join(dir, 'cache', 'completion-local-cluster-api.json'));
    writeCache(path, { url: 'http://127.0.0.1:1', at: 1_000, body: { ok: 1 } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'cache')).mode & 0o777).toBe(0o700);
    expect(readCache(path, 'http://127.0.0.1:1', 10_000, 5_000)?.body).toEqual({ ok: 1 });
    expect(readCache(path, 'http://127.0.0.1:1', 10_000, 11_000)).toBeNull();
    expect(readCache(path, 'http://127.0.0.1:2', 10_000, 5_000)).toBeNull();
    expect(readCache(path, 'http://127.0.0.1:1', 0, 5_000)).toBeNull();
    writeFileSync(path, '{not json');
    expect(readCache(path, 'http://127.0.0.1:1', 10_000, 5_000)).toBeNull();
  });

  it('makes odd keys file-safe', () => {
    expect(cachePath('/h', 'p', 'cluster-a/b')).toBe(join('/h', 'cache', 'completion-p-cluster-a%2fb.json'));
  });
});
