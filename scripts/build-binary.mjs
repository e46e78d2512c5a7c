#!/usr/bin/env node
// `npm run build:binary`: the standalone linux-x64 executable, dist-binary/ownstack-linux-x64.
//
// 1. scripts/bundle.mjs bundles scripts/binary/app.mjs (-> src/main.ts and src/control-plane/main.ts)
//    and every dependency, better-sqlite3's JavaScript included, into one script (app.cjs), as
//    `npm run build` does for the npm CLI but with nothing left external.
// 2. scripts/binary/warmup.cjs runs a few commands of that bundle in-process and writes V8's
//    code cache for everything they compiled (app.cache).
// 3. `node --experimental-sea-config` makes the blob: main script scripts/binary/loader.cjs
//    (tiny, with its own code cache: useCodeCache), assets app.cjs, app.cache, better-sqlite3's
//    native addon and the completion scripts.
// 4. A copy of this node (stripped when `strip` exists) gets the blob injected with postject.
//
// The output sits in dist-binary/, not dist/: `npm run build` (tsup, clean: true) empties dist/,
// and `npm test` builds first. The folder carries its own .gitignore.
//
//   node scripts/build-binary.mjs [--no-strip] [--keep]     --keep leaves the work files in dist-binary/work
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { ROOT, bundleApp, warmUp } from './bundle.mjs';

const OUT_DIR = join(ROOT, 'dist-binary');
const WORK = join(OUT_DIR, 'work');
const OUTPUT = join(OUT_DIR, 'ownstack-linux-x64');
const SENTINEL = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const args = new Set(process.argv.slice(2));
for (const a of args) if (!['--no-strip', '--keep'].includes(a)) die(`unknown argument ${a}`);

function die(message) {
  process.stderr.write(`build-binary: ${message}\n`);
  process.exit(1);
}

function step(message) {
  process.stderr.write(`build-binary: ${message}\n`);
}

function run(cmd, argv, what) {
  const r = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (r.error || r.status !== 0) die(`${what} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  return r;
}

if (process.platform !== 'linux' || process.arch !== 'x64') die(`builds the linux-x64 binary from a linux-x64 node (this is ${process.platform}-${process.arch})`);

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const addonPath = join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
if (!existsSync(addonPath)) die(`better-sqlite3's addon is missing (${addonPath}): run npm ci`);
const completionFiles = readdirSync(join(ROOT, 'completions')).filter((f) => statSync(join(ROOT, 'completions', f)).isFile());

// Work in dist-binary/work; the previous binary is replaced only once the new one runs.
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
writeFileSync(join(OUT_DIR, '.gitignore'), '*\n');
const staged = join(WORK, 'ownstack-linux-x64');

// ---------- 1. the application: one CommonJS bundle ----------

/** better-sqlite3 finds its addon through `bindings`; in the binary it is an embedded asset. */
const embeddedAddon = {
  name: 'embedded-addon',
  setup(build) {
    build.onResolve({ filter: /^bindings$/ }, () => ({ path: 'bindings', namespace: 'ownstack-binary' }));
    build.onLoad({ filter: /^bindings$/, namespace: 'ownstack-binary' }, () => ({
      contents: 'module.exports = (name) => globalThis.__ownstackLoadAddon(typeof name === "string" ? name : name.bindings);',
      loader: 'js',
    }));
  },
};

step('bundling the CLI and the control plane into one script (scripts/bundle.mjs)');
const appPath = join(WORK, 'app.cjs');
const result = await bundleApp({ outfile: appPath, controlPlane: true, keepNames: true, plugins: [embeddedAddon], version: pkg.version }).catch((err) =>
  die(err.errors ? `esbuild could not bundle the sources (${err.errors.length} errors above)` : err.message),
);
for (const w of result.warnings) step(`esbuild warning: ${w.text}`);
// Anything still loaded at run time must be a node builtin: SEA's require knows nothing else.
const { builtinModules } = await import('node:module');
const external = Object.values(result.metafile.outputs)
  .flatMap((o) => o.imports)
  .filter((i) => i.external && !i.path.startsWith('node:') && !builtinModules.includes(i.path))
  .map((i) => `${i.path} (${i.kind})`);
if (external.length) die(`the bundle still loads ${[...new Set(external)].join(', ')} at run time`);
step(`bundle: ${(statSync(appPath).size / 1024 / 1024).toFixed(2)} MB`);

// ---------- 2. the code cache, the loader, the SEA blob ----------

step('warming up the bundle for the V8 code cache');
const cachePath = join(WORK, 'app.cache');
const warmHome = join(WORK, 'warmup-home');
mkdirSync(warmHome, { recursive: true, mode: 0o700 });
let warning;
try {
  warning = warmUp({ appPath, cachePath, home: warmHome });
} catch (err) {
  die(err.message);
}
if (warning) step(`warm-up warning (the binary works; only its start-up is slower):\n${warning}`);
step(`code cache: ${(statSync(cachePath).size / 1024).toFixed(0)} KB`);

const assets = { 'app.cjs': appPath, 'app.cache': cachePath, 'better_sqlite3.node': addonPath };
for (const f of completionFiles) assets[`completions/${f}`] = join(ROOT, 'completions', f);
const assetsJson = join(WORK, 'assets.json');
writeFileSync(assetsJson, JSON.stringify(Object.keys(assets)));
assets['assets.json'] = assetsJson;

// The id names the unpack folder: a new build never reuses another build's files.
const hash = createHash('sha256');
for (const file of Object.values(assets)) hash.update(readFileSync(file));
const binaryId = `${pkg.version}-${hash.digest('hex').slice(0, 12)}`;
const loaderPath = join(WORK, 'loader.cjs');
const loader = readFileSync(join(ROOT, 'scripts', 'binary', 'loader.cjs'), 'utf8').replaceAll('__OWNSTACK_VERSION__', pkg.version).replaceAll('__OWNSTACK_BINARY_ID__', binaryId);
writeFileSync(loaderPath, loader);

const seaConfig = {
  main: loaderPath,
  output: join(WORK, 'sea-prep.blob'),
  disableExperimentalSEAWarning: true,
  useCodeCache: true,
  useSnapshot: false,
  assets,
};
const seaConfigPath = join(WORK, 'sea-config.json');
writeFileSync(seaConfigPath, JSON.stringify(seaConfig, null, 2) + '\n');
step(`making the SEA blob (id ${binaryId})`);
run(process.execPath, ['--experimental-sea-config', seaConfigPath], 'node --experimental-sea-config');

// ---------- 3. inject into a copy of node ----------

copyFileSync(process.execPath, staged);
chmodSync(staged, 0o755);
if (!args.has('--no-strip')) {
  // The symbol table and debug info are ~12 MB of a ~99 MB node; the binary never needs them.
  if (spawnSync('strip', ['--version'], { stdio: 'ignore' }).status === 0) run('strip', [staged], 'strip');
  else step('strip not found: the binary keeps its symbols');
}
step('injecting the blob with postject');
const postject = join(dirname(require.resolve('postject/package.json')), 'dist', 'cli.js');
run(process.execPath, [postject, staged, 'NODE_SEA_BLOB', seaConfig.output, '--sentinel-fuse', SENTINEL], 'postject');

// ---------- check ----------

const check = spawnSync(staged, ['--version'], { encoding: 'utf8', timeout: 30_000 });
if (check.status !== 0 || check.stdout.trim() !== pkg.version) die(`the binary does not run: exit ${check.status}, stdout ${JSON.stringify(check.stdout)}, stderr ${check.stderr}`);
const help = spawnSync(staged, ['--help'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, OWNSTACK_HOME: warmHome, OWNSTACK_BINARY_DEBUG: '1' } });
if (help.status !== 0 || !help.stdout.includes('Usage: ownstack')) die(`the binary's --help failed: exit ${help.status}\n${help.stderr}`);
if (!help.stderr.includes('code cache accepted')) step(`warning: the embedded code cache is not used (${help.stderr.trim()}): the binary works but starts slower`);
renameSync(staged, OUTPUT);
if (!args.has('--keep')) rmSync(WORK, { recursive: true, force: true });
process.stdout.write(`${relative(ROOT, OUTPUT)}  ${(statSync(OUTPUT).size / 1024 / 1024).toFixed(1)} MB  (ownstack ${pkg.version}, node ${process.version})\n`);
