#!/usr/bin/env node
// Start-up benchmark of the BUILT CLI (bin/ownstack -> dist/), against bare `node -e 0` timed in
// the same run, interleaved (round-robin over the commands, so a busy machine slows every row
// alike). Prints a markdown table: median wall time, ratio to `node -e 0`, the issue's target,
// peak RSS, and whether the target is met. Timing uses hyperfine when it is installed (one short
// hyperfine call per round, commands rotated each round), else a small Node harness.
//
//   npm run build && npm run bench
//   npm run bench -- --runs 30          more runs per command (default 20)
//   npm run bench -- --harness node     use the Node harness even when hyperfine is installed
//   npm run bench -- --imports          also: what each package costs to import, what each command loads
//   npm run bench -- --check            exit 1 when a target is missed (the default exit is 0)
//   npm run bench -- --no-binary        leave out dist-binary/ownstack-linux-x64 (timed when it exists)
//
// When `perf` can count instructions, the table also gives each command's user-space instructions
// as a ratio to `node -e 0`: unlike wall time, that hardly moves when the machine is busy.
//
// Setup: a temporary OWNSTACK_HOME, the local control plane started with `ownstack local start`
// (127.0.0.1, any free port), one cluster with two hostnames, two variants and three upstreams
// created through the CLI, and the completion cache warmed. Everything stays on loopback; the
// control plane is stopped and the temporary folder removed at the end, also on failure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'ownstack');
const BINARY = join(ROOT, 'dist-binary', 'ownstack-linux-x64');
const NODE = process.execPath;

// ---------- arguments ----------

function parseArgs(argv) {
  const o = { runs: 20, harness: 'auto', imports: false, check: false, binary: true, instructions: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a.startsWith('--runs')) o.runs = Number(value());
    else if (a.startsWith('--harness')) o.harness = value();
    else if (a === '--imports') o.imports = true;
    else if (a === '--check') o.check = true;
    else if (a === '--no-binary') o.binary = false;
    else if (a === '--no-instructions') o.instructions = false;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 19).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else fail(`unknown argument ${a} (see --help)`);
  }
  if (!Number.isInteger(o.runs) || o.runs < 3 || o.runs > 200) fail('--runs must be a whole number from 3 to 200');
  if (!['auto', 'hyperfine', 'node'].includes(o.harness)) fail('--harness must be auto, hyperfine or node');
  return o;
}

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

// ---------- helpers ----------

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The environment every timed command gets: no proxies, no colour switches, our home. */
function benchEnv(home) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('OWNSTACK_') || k.startsWith('npm_') || k === 'NODE_OPTIONS') continue;
    if (/^(http|https|all|no)_proxy$/i.test(k)) continue;
    if (['NO_COLOR', 'FORCE_COLOR', 'CLICOLOR', 'CLICOLOR_FORCE'].includes(k)) continue;
    env[k] = v;
  }
  env.OWNSTACK_HOME = home;
  env.NO_PROXY = env.no_proxy = '127.0.0.1,localhost,::1';
  // Keep the warmed completion cache valid for the whole run.
  env.OWNSTACK_COMPLETION_TTL = '86400';
  return env;
}

/** Runs the CLI once (setup and checks); bounded in time. */
function cli(env, args, { expectCode = 0, input } = {}) {
  const r = spawnSync(BIN, args, { env, encoding: 'utf8', timeout: 60_000, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (r.error) throw new Error(`ownstack ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== expectCode) throw new Error(`ownstack ${args.join(' ')} exited ${r.status} (expected ${expectCode})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

// ---------- timing harnesses ----------

/** hyperfine: one call per round with every command once or twice, the order rotated per round. */
function timeWithHyperfine(commands, runs, dir, env) {
  const rounds = Math.max(1, Math.floor(runs / 2));
  const perRound = Math.ceil(runs / rounds);
  const times = commands.map(() => []);
  const cpu = commands.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const order = commands.map((_, i) => (i + r) % commands.length);
    const json = join(dir, `hyperfine-${r}.json`);
    const args = ['-N', '--style', 'none', '-i', '--runs', String(perRound), '--warmup', r === 0 ? '2' : '0', '--export-json', json];
    for (const i of order) args.push(commands[i].argv.map(shellQuote).join(' '));
    const res = spawnSync('hyperfine', args, { env, encoding: 'utf8', timeout: 300_000 });
    if (res.status !== 0) throw new Error(`hyperfine failed (exit ${res.status}): ${res.stderr || res.error?.message}`);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    out.results.forEach((result, k) => {
      const i = order[k];
      for (const code of result.exit_codes ?? []) if (code !== commands[i].expect) unexpectedExit(commands[i], code);
      times[i].push(...result.times.map((s) => s * 1000));
      cpu[i].push((result.user + result.system) * 1000);
    });
    process.stderr.write(`\r  round ${r + 1}/${rounds}`);
  }
  process.stderr.write('\n');
  return commands.map((_, i) => ({ median: median(times[i]), cpu: median(cpu[i]), n: times[i].length }));
}

/** A timed run that did not do its job (e.g. dist/ rebuilt under the bench) makes the numbers meaningless. */
function unexpectedExit(command, code) {
  throw new Error(`${command.label} exited ${code} during the timing (expected ${command.expect}); was dist/ rebuilt meanwhile? Run the bench again`);
}

function shellQuote(s) {
  return s === '' ? "''" : /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The Node harness: round-robin over the commands, `runs` rounds, wall time of each spawn. */
function timeWithNode(commands, runs, env) {
  const times = commands.map(() => []);
  for (let r = -2; r < runs; r++) {
    for (let k = 0; k < commands.length; k++) {
      const i = (k + Math.max(r, 0)) % commands.length;
      const [cmd, ...args] = commands[i].argv;
      const t0 = process.hrtime.bigint();
      const res = spawnSync(cmd, args, { env, cwd: ROOT, stdio: 'ignore', timeout: 30_000 });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (res.error) throw new Error(`${commands[i].label}: ${res.error.message}`);
      if (commands[i].expect !== undefined && res.status !== commands[i].expect) unexpectedExit(commands[i], res.status);
      if (r >= 0) times[i].push(ms); // the first two rounds warm the page cache
    }
    if (r >= 0) process.stderr.write(`\r  round ${r + 1}/${runs}`);
  }
  process.stderr.write('\n');
  return commands.map((_, i) => ({ median: median(times[i]), cpu: null, n: times[i].length }));
}

/** Peak RSS (MB) per command: /usr/bin/time -f %M when present, else a preloaded exit hook. */
function peakRss(commands, runs, dir, env) {
  const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const preload = join(dir, 'rss-preload.cjs');
  writeFileSync(preload, "process.on('exit', () => { try { require('fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)); } catch {} });\n");
  const rss = commands.map(() => []);
  for (let r = 0; r < runs; r++) {
    commands.forEach((c, i) => {
      if (gnuTime) {
        const res = spawnSync(gnuTime, ['-f', '%M', ...c.argv], { env, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'ignore', 'pipe'] });
        if (res.status !== c.expect) unexpectedExit(c, res.status);
        const kb = Number(res.stderr.trim().split('\n').pop());
        if (Number.isFinite(kb)) rss[i].push(kb / 1024);
      } else {
        const file = join(dir, `rss-${i}`);
        rmSync(file, { force: true });
        spawnSync(c.argv[0], c.argv.slice(1), { env: { ...env, NODE_OPTIONS: `--require ${preload}`, BENCH_RSS_FILE: file }, stdio: 'ignore', timeout: 30_000 });
        if (existsSync(file)) rss[i].push(Number(readFileSync(file, 'utf8')) / 1024);
      }
    });
  }
  return { method: gnuTime ? '/usr/bin/time -f %M' : 'process.resourceUsage().maxRSS at exit', values: rss.map((xs) => (xs.length ? median(xs) : null)) };
}

/** User-space instructions of each command as a ratio to the first (`perf stat`), or null without perf. */
function instructionRatios(commands, env) {
  const probe = spawnSync('perf', ['stat', '-x,', '-e', 'instructions:u', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.status !== 0 || !/instructions/.test(probe.stderr ?? '') || /not supported|<not counted>/.test(probe.stderr)) return null;
  const counts = commands.map((c) => {
    const r = spawnSync('perf', ['stat', '-x,', '-e', 'instructions:u', '-r', '5', '--', ...c.argv], { env, cwd: ROOT, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== c.expect) unexpectedExit(c, r.status);
    const line = (r.stderr ?? '').split('\n').find((l) => l.includes('instructions'));
    const n = Number(line?.split(',')[0]);
    return Number.isFinite(n) && n > 0 ? n : null;
  });
  if (counts[0] === null) return null;
  return counts.map((n) => (n === null ? null : n / counts[0]));
}

// ---------- import costs (--imports) ----------

const PACKAGES = ['commander', 'chalk', 'cli-table3', 'zod', 'ora', 'execa', 'undici'];

/** What importing each runtime dependency costs on its own, unbundled, against an empty ESM run. */
function importCosts(runs, env) {
  const commands = [{ label: '(empty ESM)', argv: [NODE, '--input-type=module', '-e', '0'], expect: 0 }];
  for (const p of PACKAGES) commands.push({ label: p, argv: [NODE, '--input-type=module', '-e', `await import(${JSON.stringify(p)})`], expect: 0 });
  const bare = { label: 'node -e 0', argv: [NODE, '-e', '0'], expect: 0 };
  const instr = instructionRatios([bare, ...commands], { ...env, NODE_PATH: '' });
  if (instr) return { unit: '% of node -e 0 (instructions)', rows: commands.slice(1).map((c, i) => ({ label: c.label, value: 100 * (instr[i + 2] - instr[1]) })) };
  const res = timeWithNode(commands, runs, { ...env, NODE_PATH: '' });
  return { unit: 'ms', rows: commands.slice(1).map((c, i) => ({ label: c.label, value: res[i + 1].median - res[0].median })) };
}

/**
 * The dist/ files each command loads, with sizes: the ESM build (dist/main.js) run with a loader
 * hook that logs every URL. bin/ownstack runs the one-script bundle instead, where esbuild keeps
 * the same module boundaries lazy, so this is also what the bundle evaluates.
 */
function loadedFiles(commands, dir, env) {
  const hook = join(dir, 'log-hook.mjs');
  writeFileSync(hook, "import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(process.env.BENCH_LOAD_LOG, url + '\\n'); return next(url, context); }\n");
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify('file://' + hook)});\n`);
  const dist = join(ROOT, 'dist') + '/';
  return commands
    .filter((c) => c.argv[0] === BIN)
    .map((c) => {
      const log = join(dir, 'load.log');
      rmSync(log, { force: true });
      spawnSync(NODE, ['--import', register, join(ROOT, 'dist', 'main.js'), ...c.args], { env: { ...env, BENCH_LOAD_LOG: log }, stdio: 'ignore', timeout: 30_000 });
      const urls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
      const files = [...new Set(urls.filter((u) => u.startsWith('file://') && u.includes('/dist/')).map((u) => fileURLToPath(u)))];
      const sized = files.map((f) => ({ name: f.slice(dist.length), kb: statSync(f).size / 1024, packages: packagesIn(f) }));
      return { label: c.label, files: sized, kb: sized.reduce((s, f) => s + f.kb, 0), builtins: urls.filter((u) => u.startsWith('node:')).length };
    });
}

/** The npm packages bundled into a dist file (esbuild's `// node_modules/<pkg>/…` markers). */
function packagesIn(file) {
  const found = new Set();
  for (const m of readFileSync(file, 'utf8').matchAll(/^\/\/ node_modules\/((?:@[^/\s]+\/)?[^/\s]+)/gm)) found.add(m[1]);
  return [...found];
}

/** `ownstack local stop`; if that fails (e.g. dist/ was rebuilt meanwhile), SIGTERM then SIGKILL the pid in server.json. */
function stopControlPlane(home, env) {
  let pid;
  try {
    pid = JSON.parse(readFileSync(join(home, 'local', 'server.json'), 'utf8')).pid;
  } catch {
    pid = undefined;
  }
  spawnSync(BIN, ['local', 'stop', '--proxies'], { env, stdio: 'ignore', timeout: 30_000 });
  if (!Number.isInteger(pid)) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const signal of ['SIGTERM', 'SIGKILL']) {
    if (!alive()) return;
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const deadline = Date.now() + 5_000;
    while (alive() && Date.now() < deadline) spawnSync('sleep', ['0.1']);
  }
}

// ---------- main ----------

const TARGETS = {
  version: { ratio: 1.15 },
  help: { ratio: 1.3 },
  clusterHelp: { ratio: 1.3, note: 'as --help' },
  staticCompletion: { ratio: 1.3 },
  liveCompletion: { ratio: null },
  status: { ratio: 2.0, rssMb: 70 },
  rejection: { ratio: 1.5 },
};

function main() {
  const opts = parseArgs(process.argv.slice(2));
  for (const f of ['dist/ownstack.bundle.js', 'dist/main.js', 'dist/control-plane.js']) {
    if (!existsSync(join(ROOT, f))) fail(`${f} is missing: run \`npm run build\` first (the bench times the built CLI)`);
  }
  const hyperfine = opts.harness === 'node' ? null : which('hyperfine');
  if (opts.harness === 'hyperfine' && !hyperfine) fail('hyperfine is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'ownstack-bench-'));
  const home = join(dir, 'home');
  const env = benchEnv(home);
  try {
    process.stderr.write(`bench: setting up in ${dir}\n`);
    cli(env, ['local', 'start']);
    cli(env, ['cluster', 'create', 'bench', '--hostname=api.bench.test', '--hostname=www.bench.test']);
    cli(env, ['cluster', 'variant', 'add', 'bench', 'blue', '--weight=100']);
    cli(env, ['cluster', 'variant', 'add', 'bench', 'green']);
    cli(env, ['cluster', 'upstream', 'add', 'bench', '--variant=blue', '--url=http://127.0.0.1:9001']);
    cli(env, ['cluster', 'upstream', 'add', 'bench', '--variant=blue', '--url=http://127.0.0.1:9002', '--hostname=api.bench.test']);
    cli(env, ['cluster', 'upstream', 'add', 'bench', '--variant=green', '--url=http://127.0.0.1:9003']);
    // Warm the completion cache, then prove the live completion answers from it.
    const warm = cli(env, ['__complete', 'cluster', 'status', '']);
    if (!/^bench\b/m.test(warm.stdout)) throw new Error(`the live completion did not list the cluster:\n${warm.stdout}`);
    const cacheDir = join(home, 'cache');
    if (!existsSync(cacheDir) || readdirSync(cacheDir).length === 0) throw new Error(`the completion cache was not written under ${cacheDir}`);

    const rejected = ['cluster', 'upstream', 'add', 'bench', '--variant=blue', '--url=http://127.0.0.1:9009/with/path'];
    const cli_ = (what, key, args, expect = 0) => ({ label: `ownstack ${args.map(shellQuote).join(' ')}`, what, key, argv: [BIN, ...args], args, expect });
    const commands = [
      { label: 'node -e 0', key: 'node', argv: [NODE, '-e', '0'], expect: 0 },
      cli_(null, 'version', ['--version']),
      cli_(null, 'help', ['--help']),
      cli_(null, 'clusterHelp', ['cluster', '--help']),
      cli_('static completion', 'staticCompletion', ['__complete', 'cluster', '']),
      cli_('cached live completion', 'liveCompletion', ['__complete', 'cluster', 'status', '']),
      cli_('local control plane', 'status', ['cluster', 'status', 'bench', '--json']),
      cli_('rejected locally', 'rejection', rejected, 2),
    ];
    const binary = opts.binary && existsSync(BINARY);
    if (binary) {
      for (const c of commands.slice(1).filter((c) => ['version', 'help', 'staticCompletion', 'status', 'rejection'].includes(c.key))) {
        commands.push({ label: `binary ${c.args.map(shellQuote).join(' ')}`, what: c.what, key: `binary:${c.key}`, argv: [BINARY, ...c.args], args: c.args, expect: c.expect });
      }
    }
    // Each command does what it should before it is timed.
    const status = cli(env, ['cluster', 'status', 'bench', '--json']);
    JSON.parse(status.stdout);
    cli(env, rejected, { expectCode: 2 });
    cli(env, ['__complete', 'cluster', '']);
    if (binary) {
      const r = spawnSync(BINARY, ['cluster', 'status', 'bench', '--json'], { env, encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0) throw new Error(`the binary's status failed (exit ${r.status}): ${r.stderr}`);
      JSON.parse(r.stdout);
    }

    // The cached live completion must answer from the cache: count the cluster-list requests it would make.
    const serverLog = join(home, 'local', 'server.log');
    const listRequests = () => (existsSync(serverLog) ? (readFileSync(serverLog, 'utf8').match(/GET \/api\/clusters /g) ?? []).length : 0);
    const listedBefore = listRequests();
    process.stderr.write(`bench: timing ${commands.length} commands × ${opts.runs} runs with ${hyperfine ? 'hyperfine' : 'the Node harness'}\n`);
    const load0 = loadavg()[0];
    const timed = hyperfine ? timeWithHyperfine(commands, opts.runs, dir, env) : timeWithNode(commands, opts.runs, env);
    process.stderr.write('bench: measuring peak RSS\n');
    const rss = peakRss(commands, 5, dir, env);
    const instr = opts.instructions ? instructionRatios(commands, env) : null;
    const load1 = loadavg()[0];
    const cacheMisses = listRequests() - listedBefore;

    const base = timed[0].median;
    const rows = commands.map((c, i) => {
      const t = TARGETS[c.key.replace(/^binary:/, '')] ?? {};
      const isBinary = c.key.startsWith('binary:');
      const ratio = timed[i].median / base;
      const rssMb = rss.values[i];
      const targetRatio = isBinary ? null : t.ratio;
      const met = targetRatio == null ? null : ratio <= targetRatio && (t.rssMb == null || (rssMb != null && rssMb <= t.rssMb));
      const target = [targetRatio != null ? `≤ ${targetRatio.toFixed(2)}×` : '', !isBinary && t.rssMb ? `≤ ${t.rssMb} MB` : ''].filter(Boolean).join(', ') || '—';
      return { label: c.label, what: c.what, median: timed[i].median, cpu: timed[i].cpu, instr: instr?.[i] ?? null, ratio, target: t.note && target !== '—' ? `${target} (${t.note})` : target, rssMb, met };
    });

    const out = [];
    out.push(`Node ${process.version}, ${cpus().length} CPUs, ${hyperfine ? `hyperfine (${spawnSync('hyperfine', ['--version'], { encoding: 'utf8' }).stdout.trim()})` : 'Node harness'}, ${timed[0].n} runs per command interleaved, load average ${load0.toFixed(2)} → ${load1.toFixed(2)}; peak RSS: median of 5 runs (${rss.method}).`);
    out.push('');
    out.push(`| command | median ms | ${hyperfine ? 'CPU ms | ' : ''}× node -e 0 | target | peak RSS MB | met? |${instr ? ' instructions × node |' : ''}`);
    out.push(`|---|---:|${hyperfine ? '---:|' : ''}---:|---|---:|---|${instr ? '---:|' : ''}`);
    for (const r of rows) {
      const met = r.met === null ? '—' : r.met ? 'yes' : '**no**';
      out.push(`| \`${r.label}\`${r.what ? ` (${r.what})` : ''} | ${r.median.toFixed(1)} | ${hyperfine ? `${r.cpu.toFixed(1)} | ` : ''}${r.ratio.toFixed(2)} | ${r.target} | ${r.rssMb == null ? '?' : r.rssMb.toFixed(1)} | ${met} |${instr ? ` ${r.instr == null ? '?' : r.instr.toFixed(2)} |` : ''}`);
    }
    if (binary) out.push('', `Binary: ${BINARY.slice(ROOT.length + 1)}, ${(statSync(BINARY).size / 1024 / 1024).toFixed(1)} MB.`);
    if (cacheMisses > 0) out.push('', `**Warning:** the cached live completion asked the control plane ${cacheMisses} times during the run (cache misses): its row timed requests, not the cache.`);
    if (instr) out.push('', 'instructions × node: user-space instructions (perf stat, 5 runs) as a ratio to `node -e 0`; steady on a busy machine, unlike wall time.');
    process.stdout.write(out.join('\n') + '\n');

    if (opts.imports) {
      process.stderr.write('bench: measuring import costs\n');
      const costs = importCosts(Math.min(opts.runs, 15), env);
      const lines = ['', '### What each runtime dependency costs to import (unbundled, over an empty ESM run)', '', `| package | ${costs.unit} |`, '|---|---:|'];
      for (const c of costs.rows.sort((a, b) => b.value - a.value)) lines.push(`| ${c.label} | ${c.value.toFixed(1)} |`);
      lines.push('', '### dist/ modules each command loads (the ESM build, dist/main.js: the module graph the bundle evaluates)', '', '| command | files | KB parsed | bundled packages on the path |', '|---|---:|---:|---|');
      for (const l of loadedFiles(commands, dir, env)) {
        const pkgs = [...new Set(l.files.flatMap((f) => f.packages))].filter((p) => !['ansi-regex', 'strip-ansi', 'string-width', 'emoji-regex', 'is-fullwidth-code-point', '@colors/colors'].includes(p));
        lines.push(`| \`${l.label}\` | ${l.files.length} | ${l.kb.toFixed(0)} | ${pkgs.join(', ') || '—'} |`);
      }
      process.stdout.write(lines.join('\n') + '\n');
    }
    if (opts.check && rows.some((r) => r.met === false)) process.exitCode = 1;
  } finally {
    if (existsSync(join(home, 'local'))) stopControlPlane(home, env);
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
