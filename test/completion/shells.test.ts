// The real thing: each completion script loaded in its real shell (bash, zsh, fish), asked for
// the candidates at several cursor positions, against the BUILT CLI (`npm run build` first) and
// a real local control plane running in this process (server.json written by the composition
// root's serveHere, exactly as `ownstack local start` does). Also: an unreachable control plane, the
// on-disk cache, what the static path loads, and timings (printed, not asserted).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveHere, type Serving } from '../../src/control-plane/compose.js';
import { localPaths } from '../../src/local/files.js';
import { stopLocalProxies } from '../../src/local/stop.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(ROOT, 'bin', 'ownstack');
const HARNESS = join(ROOT, 'test', 'completion', 'harness');
const SCRIPTS = { bash: join(ROOT, 'completions', 'ownstack.bash'), zsh: join(ROOT, 'completions', '_ownstack'), fish: join(ROOT, 'completions', 'ownstack.fish') };
type Shell = keyof typeof SCRIPTS;

/** The absolute path of an executable on $PATH, or null. */
function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

const skipped = new Set((process.env.OWNSTACK_SKIP_SHELLS ?? '').split(/[\s,]+/).filter(Boolean));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a program without blocking this process (the control plane answers from here). */
function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000, cwd?: string): Promise<Ran> {
  const started = performance.now();
  return new Promise((resolvePromise) => {
    execFile(file, args, { env, cwd, timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code as number) : 1) : 0;
      resolvePromise({ code, stdout: String(stdout), stderr: String(stderr), ms: performance.now() - started });
    });
  });
}

let home = '';
let pathDir = '';
let fakeDir = '';
let workDir = '';
let serving: Serving | undefined;
const serverLog: string[] = [];
let upstreamIds: { url: number; app: number } = { url: 0, app: 0 };

/** The environment of every shell: our `ownstack` first on PATH, a clean state folder, the local profile. */
function shellEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('OWNSTACK_') || k === 'BASH_ENV' || k === 'ENV') delete env[k];
  return { ...env, PATH: `${pathDir}${delimiter}${process.env.PATH ?? ''}`, HOME: home, OWNSTACK_HOME: home, COLUMNS: '200', TERM: 'dumb', ...extra };
}

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const token = readFileSync(join(home, 'local', 'token'), 'utf8').trim();
  const res = await fetch(serving!.info.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('the CLI is not built: run `npm run build` first (these tests use bin/ownstack)');
  home = mkdtempSync(join(tmpdir(), 'ownstack-comp-'));
  pathDir = join(home, 'bin');
  mkdirSync(pathDir);
  symlinkSync(BIN, join(pathDir, 'ownstack'));

  // A stand-in `ownstack` that prints $FAKE_OUT, and a folder with one file and one folder.
  fakeDir = join(home, 'fake-bin');
  mkdirSync(fakeDir);
  writeFileSync(join(fakeDir, 'ownstack'), '#!/bin/sh\nprintf "%b" "$FAKE_OUT"\n', { mode: 0o755 });
  workDir = join(home, 'work');
  mkdirSync(join(workDir, 'a-folder'), { recursive: true });
  writeFileSync(join(workDir, 'a-file.txt'), 'x');

  serving = await serveHere({ home, port: 0, log: (l) => serverLog.push(l) });
  await api('POST', '/api/clusters', { name: 'api', edge: 'none' });
  await api('POST', '/api/clusters', { name: 'web', edge: 'none' });
  await api('POST', '/api/clusters/api/domains', { hostname: 'api.example.com' });
  await api('POST', '/api/clusters/api/domains', { hostname: 'app.example.com' });
  await api('POST', '/api/clusters/api/variants', { name: 'blue', weight: 100 });
  await api('POST', '/api/clusters/api/variants', { name: 'green', weight: 0 });
  await api('POST', '/api/local/apps', { name: 'rails-app', addresses: ['127.0.0.1:3001'] });
  await api('POST', '/api/local/apps', { name: 'worker', addresses: ['127.0.0.1:3002'] });
  const url = await api('POST', '/api/clusters/api/upstreams', { variant: 'blue', hostname: 'api.example.com', url: 'https://api-blue.herokuapp.com' });
  const app = await api('POST', '/api/clusters/api/upstreams', { variant: 'green', app: 'rails-app' });
  upstreamIds = { url: url.result.id, app: app.result.id };
}, 60_000);

afterAll(async () => {
  await serving?.close();
  if (home) {
    // The proxies outlive their control plane: stop them before the folder goes.
    await stopLocalProxies(localPaths(home));
    rmSync(home, { recursive: true, force: true });
  }
});

interface Cand {
  value: string;
  description?: string;
}

/** Asks one shell for the candidates of a line; every shell's output becomes value + description. */
async function ask(shell: Shell, line: string, extraEnv: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Cand[]> {
  const env = shellEnv({ OWNSTACK_COMPLETION_TTL: '0', ...extraEnv });
  let r: Ran;
  if (shell === 'bash') r = await run('bash', ['--norc', '--noprofile', join(HARNESS, 'bash-complete.sh'), SCRIPTS.bash, line], env, 20_000, cwd);
  else if (shell === 'zsh') r = await run('zsh', ['-f', join(HARNESS, 'zsh-capture.zsh'), join(ROOT, 'completions'), line], env, 20_000, cwd);
  else r = await run('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', SCRIPTS.fish, line], env, 20_000, cwd);
  if (r.code !== 0) throw new Error(`${shell} failed (exit ${r.code}) for "${line}":\n${r.stderr}${r.stdout}`);
  const out: Cand[] = [];
  for (const raw of r.stdout.split('\n')) {
    if (!raw || raw === 'END') continue;
    if (shell === 'bash') {
      const m = /^(\S+)(?:\s+\((.*)\))?$/.exec(raw);
      if (m) out.push({ value: m[1], description: m[2] });
    } else if (shell === 'zsh') {
      const [value, display] = raw.replace(/^CAND:/, '').split('\t');
      const desc = display?.includes(' -- ') ? display.slice(display.indexOf(' -- ') + 4).trim() : undefined;
      // _files may add the same match under two tags; zsh lists it once.
      if (!out.some((c) => c.value === value)) out.push({ value, description: desc });
    } else {
      const [value, description] = raw.split('\t');
      // fish completes the whole token: `--to=blue`; the other shells only the value.
      out.push({ value: value.replace(/^--[^=\s]+=/, ''), description });
    }
  }
  return out;
}

const values = (c: Cand[]) => c.map((x) => x.value);

const SHELL_LIST: Shell[] = ['bash', 'zsh', 'fish'];

describe.each(SHELL_LIST)('%s', (shell) => {
  const installed = which(shell) !== null;
  const skip = skipped.has(shell);

  it.skipIf(skip)(`is installed (set OWNSTACK_SKIP_SHELLS=${shell} to skip its tests)`, () => {
    if (!installed) throw new Error(`${shell} is not installed: install it (.ci/run does: apt-get install ${shell}) or set OWNSTACK_SKIP_SHELLS=${shell}`);
  });

  it.skipIf(skip || !installed)('the script is valid syntax', async () => {
    const r = await run(shell, shell === 'fish' ? ['--no-config', '-n', SCRIPTS.fish] : ['-n', SCRIPTS[shell]], shellEnv());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  describe.skipIf(skip || !installed)('candidates', { timeout: 90_000 }, () => {
    it('commands and subcommands, filtered by what is typed', async () => {
      const top = await ask(shell, 'ownstack ');
      expect(values(top)).toEqual(expect.arrayContaining(['cluster', 'profile', 'local', 'completion']));
      expect(values(top)).not.toContain('__complete');
      expect(values(await ask(shell, 'ownstack cluster '))).toEqual(expect.arrayContaining(['list', 'status', 'switch', 'domain', 'variant', 'upstream', 'member', 'deploy']));
      expect(values(await ask(shell, 'ownstack cluster sw'))).toEqual(['switch']);
      expect(values(await ask(shell, 'ownstack cluster domain re'))).toEqual(['remove']);
    });

    it('flags with their descriptions', async () => {
      const flags = await ask(shell, 'ownstack cluster create api --p');
      expect(values(flags)).toEqual(expect.arrayContaining(['--proxy-count', '--proxy-app', '--profile']));
      expect(flags.find((f) => f.value === '--proxy-count')?.description).toMatch(/proxies this control plane runs/);
      expect(values(await ask(shell, 'ownstack cluster status --j'))).toEqual(['--json']);
    });

    it('fixed values: --edge=, --strategy (space), --status=', async () => {
      expect(values(await ask(shell, 'ownstack cluster create x --edge='))).toEqual(['dns_rr', 'cloudflare', 'aws_alb', 'none']);
      expect(values(await ask(shell, 'ownstack cluster create x --edge '))).toEqual(['dns_rr', 'cloudflare', 'aws_alb', 'none']);
      expect(values(await ask(shell, 'ownstack cluster deploy api --strategy '))).toEqual(['parallel', 'rolling']);
      expect(values(await ask(shell, 'ownstack cluster deploy api --strategy=r'))).toEqual(['rolling']);
      expect(values(await ask(shell, 'ownstack cluster variant update api green --status='))).toEqual(['active', 'draining']);
    });

    it('live cluster names from the control plane', async () => {
      const c = await ask(shell, 'ownstack cluster status ');
      expect(values(c)).toEqual(['api', 'web']);
      expect(c[0].description).toMatch(/none · api\.example\.com, app\.example\.com/);
      expect(values(await ask(shell, 'ownstack cluster status w'))).toEqual(['web']);
    });

    it('live variant names for switch --to= and --to', async () => {
      expect(values(await ask(shell, 'ownstack cluster switch api --to='))).toEqual(['blue', 'green']);
      expect(values(await ask(shell, 'ownstack cluster switch api --to '))).toEqual(['blue', 'green']);
      expect(values(await ask(shell, 'ownstack cluster switch api --to=g'))).toEqual(['green']);
    });

    it('live hostnames of the cluster typed', async () => {
      expect(values(await ask(shell, 'ownstack cluster domain remove api '))).toEqual(['api.example.com', 'app.example.com']);
      expect(values(await ask(shell, 'ownstack cluster upstream add api --variant=blue --hostname='))).toEqual(['api.example.com', 'app.example.com']);
      expect(values(await ask(shell, 'ownstack cluster domain remove web '))).toEqual([]);
    });

    it('live upstream ids with their targets as descriptions', async () => {
      const ups = await ask(shell, 'ownstack cluster upstream remove api ');
      expect(values(ups)).toEqual([String(upstreamIds.url), String(upstreamIds.app)]);
      expect(ups[0].description).toMatch(/^https:\/\/api-blue\.herokuapp\.com · variant blue · api\.example\.com/);
      expect(ups[1].description).toMatch(/^app rails-app · variant green · every hostname/);
    });

    it('live member apps and local app names', async () => {
      expect(values(await ask(shell, 'ownstack cluster member drain api '))).toEqual(['rails-app']);
      expect(values(await ask(shell, 'ownstack cluster upstream add api --app '))).toEqual(['rails-app', 'worker']);
      expect(values(await ask(shell, 'ownstack local app show w'))).toEqual(['worker']);
    });

    it.runIf(shell === 'zsh')('also when sourced after compinit instead of autoloaded from $fpath', async () => {
      expect(values(await ask(shell, 'ownstack cluster switch api --to=', { ZCAP_SOURCE: '1' }))).toEqual(['blue', 'green']);
    });

    it('the script obeys the directive (a stand-in ownstack prints the answer)', async () => {
      const fake = { PATH: `${fakeDir}${delimiter}${process.env.PATH ?? ''}` };
      const answer = (out: string) => ({ ...fake, FAKE_OUT: out });
      const listed = await ask(shell, 'ownstack x ', answer('alpha\\tthe first\\nbeta\\tthe second\\n:4\\n'), workDir);
      expect(values(listed)).toEqual(['alpha', 'beta']);
      expect(listed.map((c) => c.description)).toEqual(['the first', 'the second']);
      // 1: an error — nothing at all, not even file names.
      expect(await ask(shell, 'ownstack x ', answer('alpha\\n:1\\n'), workDir)).toEqual([]);
      // 4: no file names when there is no candidate.
      expect(await ask(shell, 'ownstack x ', answer(':4\\n'), workDir)).toEqual([]);
      // 0: no candidate — the shell completes file names. (bash: readline does it for
      // `complete -o default` once the function returns nothing, which the harness cannot see.)
      const files = values(await ask(shell, 'ownstack x ', answer(':0\\n'), workDir)).map((v) => v.replace(/\/$/, ''));
      if (shell === 'bash') {
        expect(files).toEqual([]);
        const spec = await run('bash', ['--norc', '--noprofile', '-c', 'source "$1"; complete -p ownstack', 'bash', SCRIPTS.bash], shellEnv());
        expect(spec.stdout.trim()).toBe('complete -o default -F __ownstack_complete ownstack');
      } else expect(files).toEqual(expect.arrayContaining(['a-file.txt', 'a-folder']));
      // 16: folders only.
      expect(values(await ask(shell, 'ownstack x ', answer(':16\\n'), workDir)).map((v) => v.replace(/\/$/, ''))).toEqual(['a-folder']);
    });

    it('an unreachable control plane: static candidates only, quickly', async () => {
      const dead = { OWNSTACK_API_URL: `http://127.0.0.1:${closedPort}`, OWNSTACK_API_TOKEN: 'x', OWNSTACK_HOME: emptyHome };
      expect(values(await ask(shell, 'ownstack cluster status ', dead))).toEqual([]);
      expect(values(await ask(shell, 'ownstack cluster sw', dead))).toEqual(['switch']);
    });
  });
});

// ---------- an unreachable control plane ----------

let closedPort = 0;
let silent: Server | undefined;
let silentPort = 0;
const held: Socket[] = [];
let emptyHome = '';

beforeAll(async () => {
  emptyHome = mkdtempSync(join(tmpdir(), 'ownstack-comp-empty-'));
  // A port nobody listens on: take one, then close it.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  // A listener that accepts connections and never answers.
  silent = createServer((s) => void held.push(s));
  await new Promise<void>((r) => silent!.listen(0, '127.0.0.1', () => r()));
  silentPort = (silent.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise<void>((r) => (silent ? silent.close(() => r()) : r()));
  if (emptyHome) rmSync(emptyHome, { recursive: true, force: true });
});

/** `ownstack __complete <words>` with the built binary. */
async function completeBin(words: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const r = await run(BIN, ['__complete', ...words], shellEnv(extraEnv));
  const lines = r.stdout.trimEnd().split('\n');
  const directive = lines.pop();
  return { ...r, directive, values: lines.filter(Boolean).map((l) => l.split('\t')[0]) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('an unreachable control plane', () => {
  // The start-up cost of a static completion on this machine (the slower of two runs).
  let baseline = 0;
  beforeAll(async () => {
    baseline = Math.max((await completeBin(['cluster', ''])).ms, (await completeBin(['cluster', ''])).ms);
  });

  it('that never answers: back within the 1 s timeout (+ start-up) with static candidates, exit 0', async () => {
    const dead = { OWNSTACK_API_URL: `http://127.0.0.1:${silentPort}`, OWNSTACK_API_TOKEN: 'x', OWNSTACK_HOME: emptyHome };
    const r = await completeBin(['cluster', 'status', ''], dead);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.values).toEqual([]);
    expect(r.directive).toBe(':36');
    console.log(`[completion timing] silent control plane: ${r.ms.toFixed(0)} ms (static completion: ${baseline.toFixed(0)} ms)`);
    expect(r.ms).toBeGreaterThan(900); // it did wait for the timeout…
    expect(r.ms).toBeLessThan(1_500 + baseline); // …and no longer than ~1.5 s beyond start-up
    const connections = held.length;
    expect(connections).toBeGreaterThan(0);

    // The timeout is remembered for a short while: the next Tab does not even connect.
    const again = await completeBin(['cluster', 'status', 'a'], dead);
    expect(again.values).toEqual([]);
    expect(held.length).toBe(connections);
  });

  it('that refuses connections: static candidates at once, exit 0', async () => {
    const dead = { OWNSTACK_API_URL: `http://127.0.0.1:${closedPort}`, OWNSTACK_API_TOKEN: 'x', OWNSTACK_HOME: emptyHome };
    const r = await completeBin(['cluster', 'switch', 'api', '--to='], dead);
    expect(r.code).toBe(0);
    expect(r.values).toEqual([]);
    expect(r.ms).toBeLessThan(900 + baseline); // no waiting for the timeout
    const s = await completeBin(['cluster', 'sw'], dead);
    expect(s.values).toEqual(['switch']);
  });
});

describe('the on-disk cache', () => {
  it('serves a second Tab within the TTL without any request; the file is 0600', async () => {
    rmSync(join(home, 'cache'), { recursive: true, force: true });
    // server.log names the route template and the parameter served.
    const count = () => serverLog.filter((l) => /^GET \/api\/clusters\/:cluster cluster="api" /.test(l)).length;
    const before = count();
    const first = await completeBin(['cluster', 'switch', 'api', '--to=']);
    expect(first.values).toEqual(['blue', 'green']);
    expect(count()).toBe(before + 1);
    const second = await completeBin(['cluster', 'variant', 'remove', 'api', 'g']);
    expect(second.values).toEqual(['green']);
    expect(count()).toBe(before + 1);
    const file = join(home, 'cache', 'completion-local-cluster-api.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'cache')).mode & 0o777).toBe(0o700);
  });
});

describe('what completion loads', () => {
  const hook = join(HARNESS, 'record-loads.mjs');
  // bin/ownstack runs the one-script bundle (dist/ownstack.bundle.js), where esbuild keeps every
  // module boundary of the ESM build lazy: the ESM build (dist/main.js), whose loads a loader hook
  // can see, evaluates the same modules.
  const ESM_ENTRY = join(ROOT, 'dist', 'main.js');

  async function loaded(words: string[], extraEnv: NodeJS.ProcessEnv = {}) {
    const log = join(home, `loads-${randomUUID()}.log`);
    const r = await run(process.execPath, ['--import', hook, ESM_ENTRY, '__complete', ...words], shellEnv({ OWNSTACK_LOAD_LOG: log, ...extraEnv }));
    expect(r.code).toBe(0);
    const urls = readFileSync(log, 'utf8').trim().split('\n');
    const files = urls.filter((u) => u.startsWith('file:') && u.includes('/dist/')).map((u) => fileURLToPath(u));
    const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    return { r, urls, files, text };
  }

  // esbuild keeps a `// <path>` comment per bundled module: heavy libraries and our API,
  // validation and rendering code are recognisable in whatever chunk they landed in.
  // esbuild names each bundled file in a `// path` comment; a symlinked node_modules shows up
  // as a longer relative path, so match node_modules anywhere in the comment.
  const heavy = [
    /^\/\/ (?:\S*\/)?node_modules\/(zod|undici|chalk|cli-table3|ora|conf|execa|better-sqlite3)\//m,
    /^\/\/ src\/(api|inputs|proxy|edge)\//m,
    /^\/\/ src\/output\/(?!io\.ts)/m,
    /^\/\/ src\/control-plane\//m,
    /^\/\/ src\/local\/(?!files\.ts)/m,
  ];

  it('the static path (commands, flags) loads no API, validation or rendering code, and no live code', async () => {
    const { r, text, files } = await loaded(['cluster', '']);
    expect(r.stdout).toContain('switch\t');
    expect(files.length).toBeGreaterThan(1);
    for (const re of heavy) expect(text).not.toMatch(re);
    expect(text).not.toMatch(/^\/\/ src\/complete\/live\.ts/m);
    expect(text).toMatch(/^\/\/ (?:\S*\/)?node_modules\/commander\//m); // the detection itself works
  });

  // One module per command: completing `cluster status ''` loads the status command's module for
  // its argument's completion kind, and with it what its parse step uses (zod, src/inputs, the JSON
  // printer). Still no HTTP client, API code, control plane or other command.
  const liveAllowed = [/^\/\/ (?:\S*\/)?node_modules\/zod\//m, /^\/\/ src\/inputs\//m, /^\/\/ src\/output\/json\.ts/m];
  it('the live path adds the live module and the one command module (no undici, no API client)', async () => {
    const { r, text } = await loaded(['cluster', 'status', ''], { OWNSTACK_COMPLETION_TTL: '0' });
    expect(r.stdout).toMatch(/^api\t/m);
    expect(text).toMatch(/^\/\/ src\/complete\/live\.ts/m);
    let rest = text;
    for (const re of liveAllowed) rest = rest.replace(new RegExp(re.source.replace('^', '^.*?'), 'gm'), '');
    for (const re of heavy) expect(rest).not.toMatch(re);
    expect(text).not.toMatch(/^\/\/ src\/commands\/cluster\/(?!status\.ts|index\.ts)/m);
  });
});

describe('the shipped scripts', () => {
  it.each(Object.entries(SCRIPTS))('completions/ for %s is exactly what `ownstack completion` prints', async (shell, file) => {
    const r = await run(BIN, ['completion', shell], shellEnv());
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(file, 'utf8'));
  });
});

describe('timings (printed, not asserted)', () => {
  it('node -e 0 vs a static and a cached live completion', async () => {
    const n = 5;
    const times = { node: [] as number[], static: [] as number[], cached: [] as number[] };
    await completeBin(['cluster', 'status', '']); // warm the cache
    for (let i = 0; i < n; i++) {
      times.node.push((await run(process.execPath, ['-e', '0'], shellEnv())).ms);
      times.static.push((await completeBin(['cluster', ''])).ms);
      times.cached.push((await completeBin(['cluster', 'status', ''])).ms);
    }
    console.log(
      `[completion timing] median of ${n}: node -e 0 ${median(times.node).toFixed(0)} ms, ` +
        `static (ownstack __complete cluster '') ${median(times.static).toFixed(0)} ms, ` +
        `cached live (ownstack __complete cluster status '') ${median(times.cached).toFixed(0)} ms`,
    );
    expect(times.static.length).toBe(n);
  });
});
