// `ownstack __complete` and `ownstack completion …` in-process: the protocol output, words that
// look like flags, live names over msw (cache, timeout, errors), and the script/install commands.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, HttpResponse, delay } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API, runOwnstack, tempHome } from '../helpers/cli.js';
import { sampleCluster, sampleDetail } from '../fixtures/contract.js';

const requests: string[] = [];
let mode: 'ok' | 'slow' | 'unauthorized' = 'ok';

const server = setupServer(
  http.all(`${API}/*`, async ({ request }) => {
    const url = new URL(request.url);
    requests.push(`${request.method} ${url.pathname} ${request.headers.get('authorization') ?? ''}`);
    if (mode === 'slow') await delay(5_000);
    if (mode === 'unauthorized') return HttpResponse.json({ error: { code: 'unauthorized', message: 'bad token' } }, { status: 401 });
    if (url.pathname === '/api/clusters') return HttpResponse.json({ clusters: [sampleCluster, { ...sampleCluster, id: 2, name: 'web', hostnames: [] }] });
    if (url.pathname === '/api/clusters/api') return HttpResponse.json(sampleDetail);
    if (url.pathname === '/api/local/apps') return HttpResponse.json({ apps: [] });
    return HttpResponse.json({ error: { code: 'not_found', message: 'no such thing' } }, { status: 404 });
  }),
);

let home: { home: string; cleanup: () => void };
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => {
  home = tempHome();
  requests.length = 0;
  mode = 'ok';
});
afterEach(() => home.cleanup());
afterAll(() => server.close());

/** Runs `ownstack __complete <words>` and splits its output into candidates and directive. */
async function complete(words: string[], env: NodeJS.ProcessEnv = {}) {
  const r = await runOwnstack(['__complete', ...words], { home: home.home, env });
  const lines = r.stdout.trimEnd().split('\n');
  const last = lines.pop() ?? '';
  return {
    code: r.code,
    stderr: r.stderr,
    raw: r.stdout,
    directive: Number(last.slice(1)),
    directiveLine: last,
    candidates: lines.filter(Boolean).map((l) => {
      const [value, description] = l.split('\t');
      return { value, description };
    }),
    values: lines.filter(Boolean).map((l) => l.split('\t')[0]),
  };
}

describe('__complete output', () => {
  it('prints value<TAB>description lines, then :<directive>', async () => {
    const r = await complete(['cluster', 'sw']);
    expect(r.code).toBe(0);
    expect(r.raw).toMatch(/^switch\tRoute every hostname[^\n]*\n:36\n$/);
    expect(r.stderr).toBe('');
  });

  it('treats every word as data: flags of the root are not parsed', async () => {
    expect((await complete(['-V'])).values).toEqual(['-V']);
    expect((await complete(['--help'])).values).toEqual(['--help']);
    expect((await complete(['cluster', 'list', '--prof'])).values).toEqual(['--profile']);
    expect((await complete(['cluster', 'list', '--profile'])).values).toEqual(['--profile']);
    const r = await complete(['cluster', 'list', '--json', '--api-url']);
    expect(r.code).toBe(0);
    expect(r.values).toEqual(['--api-url']);
  });

  it('completes with no word at all', async () => {
    expect((await complete([])).values).toContain('cluster');
  });

  it('is hidden from help', async () => {
    const r = await runOwnstack(['--help'], { home: home.home });
    expect(r.stdout).toContain('completion');
    expect(r.stdout).not.toContain('__complete');
  });
});

describe('live names', () => {
  it('come from the profile API with the token, and are cached (0600) for the next Tab', async () => {
    const first = await complete(['cluster', 'status', '']);
    expect(first.values).toEqual(['api', 'web']);
    expect(first.candidates[0].description).toBe('dns_rr · api.example.com, app.example.com');
    expect(requests).toEqual(['GET /api/clusters Bearer test-token']);

    const second = await complete(['cluster', 'status', 'w']);
    expect(second.values).toEqual(['web']);
    expect(requests).toHaveLength(1);
    const file = join(home.home, 'cache', 'completion-local-clusters.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home.home, 'cache')).mode & 0o777).toBe(0o700);
  });

  it('refetch after the TTL (OWNSTACK_COMPLETION_TTL), or every time with 0', async () => {
    await complete(['cluster', 'status', ''], { OWNSTACK_COMPLETION_TTL: '0' });
    await complete(['cluster', 'status', ''], { OWNSTACK_COMPLETION_TTL: '0' });
    expect(requests).toHaveLength(2);
    expect(existsSync(join(home.home, 'cache'))).toBe(false);
  });

  it('complete variants, hostnames, upstreams (target as description) and members of the typed cluster', async () => {
    expect((await complete(['cluster', 'switch', 'api', '--to='])).values).toEqual(['blue', 'green']);
    expect((await complete(['cluster', 'switch', 'api', '--to', 'g'])).values).toEqual(['green']);
    expect((await complete(['cluster', 'domain', 'remove', 'api', ''])).values).toEqual(['api.example.com', 'app.example.com']);
    const ups = await complete(['cluster', 'upstream', 'remove', 'api', '']);
    expect(ups.candidates).toEqual([
      { value: '31', description: 'app my-rails-app · variant blue · every hostname' },
      { value: '32', description: 'https://my-rails-app.herokuapp.com · variant green · api.example.com' },
    ]);
    expect((await complete(['cluster', 'member', 'drain', 'api', ''])).values).toEqual(['my-rails-app']);
    // One request for the cluster detail served all of them.
    expect(requests).toEqual(['GET /api/clusters/api Bearer test-token']);
  });

  it('give way to the static candidates when the control plane is slow: back within the timeout, exit 0', async () => {
    mode = 'slow';
    const started = Date.now();
    const r = await complete(['cluster', 'status', ''], { OWNSTACK_COMPLETION_TIMEOUT_MS: '300' });
    const took = Date.now() - started;
    expect(r.code).toBe(0);
    expect(r.values).toEqual([]);
    expect(r.directiveLine).toBe(':36');
    expect(r.stderr).toBe('');
    // Not a benchmark: a hang would take the harness's 20 s; the 300 ms timeout must cut it short.
    expect(took).toBeLessThan(5_000);
    // The timeout is remembered for the TTL: the next Tab sends no request at all.
    await complete(['cluster', 'status', ''], { OWNSTACK_COMPLETION_TIMEOUT_MS: '300' });
    expect(requests).toHaveLength(1);
  });

  it('give nothing (and no error) on a refused token or an unknown cluster', async () => {
    mode = 'unauthorized';
    const r = await complete(['cluster', 'status', '']);
    expect(r.code).toBe(0);
    expect(r.values).toEqual([]);
    mode = 'ok';
    const missing = await complete(['cluster', 'switch', 'nope', '--to=']);
    expect(missing.values).toEqual([]);
    expect(missing.stderr).toBe('');
  });

  it('follow --profile / --api-url typed on the line', async () => {
    const r = await complete(['--api-url', API, 'cluster', 'status', ''], { OWNSTACK_API_URL: undefined });
    expect(r.values).toEqual(['api', 'web']);
    expect(requests).toHaveLength(1);
    const p = await complete(['--profile', 'missing', 'cluster', 'status', ''], { OWNSTACK_API_URL: undefined });
    expect(p.code).toBe(0);
    expect(p.values).toEqual([]);
  });

  it('never start the local control plane: without a live server.json there is no request', async () => {
    const env = { OWNSTACK_API_URL: undefined, OWNSTACK_API_TOKEN: undefined };
    expect((await complete(['cluster', 'status', ''], env)).values).toEqual([]);
    mkdirSync(join(home.home, 'local'), { recursive: true });
    // A server.json left by a server that is gone (pid 2^22 + 1 does not exist on Linux).
    writeFileSync(join(home.home, 'local', 'server.json'), JSON.stringify({ pid: 4_194_305, url: 'http://127.0.0.1:9', port: 9 }));
    expect((await complete(['cluster', 'status', ''], env)).values).toEqual([]);
    expect(requests).toEqual([]);
    expect(existsSync(join(home.home, 'local', 'state.db'))).toBe(false);
  });

  it('list profiles from disk for --profile', async () => {
    mkdirSync(join(home.home, 'profiles'), { recursive: true });
    writeFileSync(join(home.home, 'profiles', 'acme'), 'OWNSTACK_API_URL=https://api.acme.test\nOWNSTACK_API_TOKEN=x\n');
    const r = await complete(['--profile', '']);
    expect(r.candidates).toEqual([
      { value: 'acme', description: 'https://api.acme.test' },
      { value: 'local', description: 'the local control plane (active)' },
    ]);
    expect((await complete(['profile', 'use', 'a'])).values).toEqual(['acme']);
    expect(requests).toEqual([]);
  });
});

describe('completion help', () => {
  it.each(['completion', 'completion bash', 'completion zsh', 'completion fish', 'completion install'])('%s --help has a description and examples', async (argv) => {
    const r = await runOwnstack([...argv.split(' '), '--help'], { home: home.home });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: ownstack completion/);
    expect(r.stdout).toContain('Examples:\n  $ ');
  });

  it('help __complete explains the protocol', async () => {
    const r = await runOwnstack(['help', '__complete'], { home: home.home });
    expect(r.stdout).toContain(':<directive>');
  });
});

describe('completion <shell>', () => {
  it.each([
    ['bash', 'ownstack.bash'],
    ['zsh', '_ownstack'],
    ['fish', 'ownstack.fish'],
  ])('%s prints completions/%s exactly', async (shell, file) => {
    const r = await runOwnstack(['completion', shell], { home: home.home });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(process.cwd(), 'completions', file), 'utf8'));
    expect(r.stdout).toContain('__complete');
  });

  it('rejects an unknown shell with exit 2', async () => {
    const r = await runOwnstack(['completion', 'tcsh'], { home: home.home });
    expect(r.code).toBe(2);
  });
});

describe('completion install', () => {
  it('writes the script for the shell named by $SHELL where that shell loads it', async () => {
    const env = { HOME: home.home, SHELL: '/usr/bin/fish', XDG_CONFIG_HOME: undefined };
    const r = await runOwnstack(['completion', 'install'], { home: home.home, env });
    expect(r.code).toBe(0);
    const path = join(home.home, '.config', 'fish', 'completions', 'ownstack.fish');
    expect(r.stdout).toBe(`✓ Installed the fish completion script: ${path}\n`);
    expect(r.stderr).toMatch(/open a new shell/);
    expect(readFileSync(path, 'utf8')).toBe(readFileSync(join(process.cwd(), 'completions', 'ownstack.fish'), 'utf8'));
  });

  it('prints the result as JSON, with the step left for zsh', async () => {
    const env = { HOME: home.home, XDG_DATA_HOME: join(home.home, 'data') };
    const r = await runOwnstack(['completion', 'install', 'zsh', '--json'], { home: home.home, env });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual({ shell: 'zsh', path: join(home.home, 'data', 'zsh', 'site-functions', '_ownstack'), next: expect.arrayContaining([`  fpath=(${join(home.home, 'data', 'zsh', 'site-functions')} $fpath)`]) });
    expect(readdirSync(join(home.home, 'data', 'zsh', 'site-functions'))).toEqual(['_ownstack']);
  });

  it('honours --path (with ~) and refuses an unknown $SHELL', async () => {
    const r = await runOwnstack(['completion', 'install', 'bash', '--path', '~/x/ownstack'], { home: home.home, env: { HOME: home.home } });
    expect(r.code).toBe(0);
    expect(existsSync(join(home.home, 'x', 'ownstack'))).toBe(true);
    const bad = await runOwnstack(['completion', 'install'], { home: home.home, env: { HOME: home.home, SHELL: '/bin/tcsh' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot tell your shell from \$SHELL \("\/bin\/tcsh"\): name it, one of bash, zsh, fish/);
  });
});
