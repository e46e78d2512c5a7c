// Shared by scripts/build-cli.mjs (the npm CLI, dist/ownstack.bundle.js) and scripts/build-binary.mjs (the
// standalone binary): the application bundled into one script, and V8's code cache for it.
//
// Why one CommonJS file with a code cache: Node 20 has no compile cache for ES modules
// (module.enableCompileCache came in Node 22), so an ESM CLI compiles every module it loads at
// every start, and the ESM loader itself costs ~7 % of `node -e 0`. A CommonJS file compiled
// through vm.Script can use V8's code cache: functions compiled during a build-time warm-up are
// deserialized instead of parsed and compiled. esbuild keeps every `await import()` lazy in the
// bundle (a module body runs on its first import; see NO_DYNAMIC_IMPORT for the external ones),
// so a command still runs only what it loads.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
// esbuild comes with tsup (a devDependency); resolve it through tsup so a nested copy is found too.
const esbuild = createRequire(require.resolve('tsup'))('esbuild');

/**
 * The first line of every bundle: names its content. A code cache file starts with the same line
 * (then V8's data), so a loader uses a cache only with the bundle it was made for. V8's own check
 * compares the source's length, not its content.
 */
const HASH_PREFIX = '//ownstack-bundle ';

/**
 * The loaders compile a bundle with vm.Script, which has no module loader behind it: an `import()`
 * left in the text throws ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING when it runs (https, proxies,
 * prompts, the AWS SDK). esbuild then writes each `import(x)` as `Promise.resolve().then(() =>
 * require(x))`: still loaded on first use, through the loader's require.
 */
const NO_DYNAMIC_IMPORT = { 'dynamic-import': false };

/** Fails the build when a bundle still holds an `import(` (see NO_DYNAMIC_IMPORT), naming where. */
export function assertNoDynamicImport(file, text) {
  const found = [...text.matchAll(/\bimport\s*\(/g)].map((m) => text.slice(Math.max(0, m.index - 40), m.index + 60).replace(/\s+/g, ' '));
  if (found.length) throw new Error(`${relative(ROOT, file)} still holds ${found.length} import( (a vm.Script loader cannot run it):\n  ${found.join('\n  ')}`);
}

/** src/main.ts and src/control-plane/main.ts await at the top level, which CommonJS cannot: run their bodies in an async function. */
const wrapTopLevelAwait = {
  name: 'wrap-top-level-await',
  setup(build) {
    const mains = [join(ROOT, 'src', 'main.ts'), join(ROOT, 'src', 'control-plane', 'main.ts')];
    build.onLoad({ filter: /[/\\]main\.ts$/ }, (a) => {
      if (!mains.includes(a.path)) return undefined;
      const text = readFileSync(a.path, 'utf8');
      const hoisted = [];
      const body = text.replace(/^(import\s[\s\S]*?\sfrom\s+['"][^'"]+['"];?|import\s+['"][^'"]+['"];?|declare\s[^\n]*;)[ \t]*$/gm, (m) => {
        hoisted.push(m);
        return '';
      });
      if (/^export\s/m.test(body)) return { errors: [{ text: `${relative(ROOT, a.path)} exports something: a CommonJS bundle cannot wrap it in a function` }] };
      return { contents: `${hoisted.join('\n')}\nvoid (async () => {\n${body}\n})().catch((err) => { console.error(err); process.exit(1); });\n`, loader: 'ts', resolveDir: dirname(a.path) };
    });
  },
};

/** The npm CLI starts the control plane as `node dist/control-plane.js` (the ESM build): leave it out. */
const withoutControlPlane = {
  name: 'without-control-plane',
  setup(build) {
    build.onResolve({ filter: /control-plane[/\\]main\.ts$/ }, () => ({ path: 'control-plane-main', namespace: 'ownstack-cli' }));
    build.onLoad({ filter: /.*/, namespace: 'ownstack-cli' }, () => ({
      contents: "throw new Error('the npm CLI runs the control plane from dist/control-plane.js');",
      loader: 'js',
    }));
  },
};

/**
 * commander requires node:child_process when it loads, for executable subcommands, which ownstack
 * never uses; loading it (and the net and stream modules under it) costs about 2 % of `node -e 0`
 * (instructions) on every start. commander gets a stand-in that loads the real module on first use.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (a) =>
      /[/\\]node_modules[/\\]commander[/\\]/.test(a.importer) ? { path: 'child_process', namespace: 'ownstack-lazy' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'ownstack-lazy' }, () => ({
      contents: "let real;\nmodule.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });\n",
      loader: 'js',
    }));
  },
};

/**
 * The modules the npm CLI's script leaves to the server file (see serverPartsApart), by path, with
 * the name scripts/cli-server.mjs exports each under: the in-process control plane of
 * `local start --foreground` and the proxy agent of `proxy agent`, loaded only by those commands.
 */
const SERVER_PARTS = {
  'src/control-plane/server.ts': 'server',
  'src/control-plane/settings.ts': 'settings',
  'src/control-plane/runtime/agent-runtime.ts': 'agentRuntime',
  'src/control-plane/runtime/local-agents.ts': 'localAgents',
  'src/control-plane/runtime/edge-loop.ts': 'edgeLoop',
  'src/control-plane/service/deploy-runner.ts': 'deployRunner',
  'src/agent/agent.ts': 'agent',
};

/**
 * The npm CLI's script leaves the in-process control plane and the proxy agent (and what only they
 * use, such as execa) to a second file, `file`, next to it, which it require()s for those commands
 * only: most of the script's size otherwise, read at every start (page faults).
 */
function serverPartsApart(file) {
  return {
    name: 'server-parts-apart',
    setup(build) {
      build.onResolve({ filter: /\.js$/ }, (a) => {
        if (!a.importer.startsWith(join(ROOT, 'src'))) return undefined;
        const target = relative(ROOT, join(dirname(a.importer), a.path)).replace(/\.js$/, '.ts').split('\\').join('/');
        return Object.hasOwn(SERVER_PARTS, target) ? { path: SERVER_PARTS[target], namespace: 'ownstack-server-part' } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'ownstack-server-part' }, (a) => ({
        contents: `module.exports = require(${JSON.stringify(`./${file}`)}).${a.path};`,
        loader: 'js',
      }));
      build.onResolve({ filter: /.*/, namespace: 'ownstack-server-part' }, (a) => ({ path: a.path, external: true }));
    },
  };
}

/**
 * Bundles scripts/cli-server.mjs (see serverPartsApart) into one CommonJS file, loaded with
 * require() by the CLI's script; no code cache (a foreground server starts once and runs long).
 */
export async function bundleServerParts({ outfile, external = [], version }) {
  await esbuild.build({
    entryPoints: [join(ROOT, 'scripts', 'cli-server.mjs')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    logLevel: 'error',
    external,
    supported: NO_DYNAMIC_IMPORT,
    define: { __VERSION__: JSON.stringify(version), 'import.meta.url': '__ownstackImportMetaUrl' },
  });
  assertNoDynamicImport(outfile, readFileSync(outfile, 'utf8'));
}

/**
 * Bundles scripts/binary/app.mjs (the CLI; with `controlPlane`, the control plane too; with
 * `serverParts`, a file name, the in-process control plane left to that file) into one
 * script: its hash line, then one function expression `(function (exports, require, module,
 * __filename, __dirname) {…})` that the loaders compile as it is (vm.Script) and call. The wrapper
 * is part of the file so the warm-up and every loader compile the same text, which V8's code
 * cache needs. `import.meta.url` becomes the global `__ownstackImportMetaUrl` the loader defines.
 * `keepNames` keeps function and class names through minification (esbuild wraps each in a call):
 * the CLI's own code names its error classes in strings and does without (a smaller, quicker
 * script); the binary keeps them for the dependencies it bundles (the AWS SDK and the rest of the
 * control plane), which the npm CLI leaves in node_modules.
 */
export async function bundleApp({ outfile, controlPlane, serverParts, external = [], plugins = [], version, keepNames = false }) {
  const result = await esbuild.build({
    entryPoints: [join(ROOT, 'scripts', 'binary', 'app.mjs')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Smaller source: less to read at each start.
    minify: true,
    keepNames,
    legalComments: 'none',
    logLevel: 'error',
    metafile: true,
    external,
    supported: NO_DYNAMIC_IMPORT,
    define: {
      __VERSION__: JSON.stringify(version),
      'import.meta.url': '__ownstackImportMetaUrl',
    },
    plugins: [
      wrapTopLevelAwait,
      lazyChildProcessForCommander,
      ...(controlPlane ? [] : [withoutControlPlane]),
      ...(serverParts ? [serverPartsApart(serverParts)] : []),
      ...plugins,
    ],
  });
  // The loaders read the bundle as latin1 (a plain copy into a one-byte V8 string, no UTF-8
  // decoding): escape the few non-ASCII characters esbuild leaves in regular expressions (\uXXXX
  // means the same character in strings, regular expressions and identifiers).
  const text = readFileSync(outfile, 'utf8').replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  assertNoDynamicImport(outfile, text);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  writeFileSync(outfile, `${HASH_PREFIX}${hash}\n(function (exports, require, module, __filename, __dirname) {${text}\n})`);
  return { metafile: result.metafile, warnings: result.warnings, hash };
}

/**
 * Runs scripts/binary/warmup.cjs: compiles the bundle as the loaders do, runs a few commands in
 * that process (`set`: `full`, or `tree` for help and completion only), and writes the code cache
 * (hash line + V8 data). Returns the warm-up's stderr.
 */
export function warmUp({ appPath, cachePath, home, set = 'full' }) {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'binary', 'warmup.cjs'), appPath, cachePath, home, set], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (r.error || r.status !== 0) throw new Error(`the warm-up failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  return r.stderr.trim();
}
