'use strict';
// The main script of the standalone binary (Node single-executable application). Kept tiny so
// `--version` answers before anything else is compiled. Every other command compiles the
// embedded application bundle (asset app.cjs, made by scripts/build-binary.mjs from
// scripts/binary/app.mjs) with the V8 code cache built for it (asset app.cache), then runs it.
//
// What the npm package finds next to its modules (completion scripts, dist/control-plane.js,
// better-sqlite3's native addon) is embedded too and unpacked on first use into
// $OWNSTACK_HOME/binary/<id>/ (0700); `import.meta.url` in the bundle points into that folder.
// The placeholders in capitals are filled in by the build.
const VERSION = '__OWNSTACK_VERSION__';
const BINARY_ID = '__OWNSTACK_BINARY_ID__';
const argv = process.argv;

if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
  process.stdout.write(`${VERSION}\n`);
} else {
  const fs = require('node:fs');
  const path = require('node:path');
  const { pathToFileURL } = require('node:url');
  const sea = require('node:sea');
  const embedded = sea.isSea();

  /** $OWNSTACK_HOME/binary/<id> (the same home rule as src/config/files.ts). */
  const resourceDir = () => {
    const home = process.env.OWNSTACK_HOME && process.env.OWNSTACK_HOME.trim() ? process.env.OWNSTACK_HOME : path.join(require('node:os').homedir(), '.ownstack');
    return path.join(home, 'binary', BINARY_ID);
  };

  /** Writes one embedded file unless a same-size copy is there (atomic; folders 0700). */
  const unpack = (dir, key, mode) => {
    const target = path.join(dir, key);
    const data = Buffer.from(sea.getRawAsset(key));
    if (fs.existsSync(target) && fs.statSync(target).size === data.length) return target;
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    const tmp = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data, { mode });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, target);
    return target;
  };

  let root = null;
  /** The folder standing in for the package root: completions/ and dist/control-plane.js. */
  const packageRoot = () => {
    if (root) return root;
    const dir = resourceDir();
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    for (const key of JSON.parse(sea.getAsset('assets.json', 'utf8'))) if (key.startsWith('completions/')) unpack(dir, key, 0o644);
    // src/local/start.ts runs dist/control-plane.js with process.execPath, i.e. this binary, which
    // recognises the path (see app.mjs) and runs its embedded control plane; the file is never read.
    const stub = path.join(dir, 'dist', 'control-plane.js');
    if (!fs.existsSync(stub)) {
      fs.mkdirSync(path.dirname(stub), { recursive: true, mode: 0o700 });
      fs.writeFileSync(stub, '// Placeholder: the ownstack binary runs its embedded control plane when given this path.\n', { mode: 0o600 });
    }
    return (root = dir);
  };

  // `import.meta.url` of every bundled module (the build defines it to this global); read lazily,
  // so commands that never look unpack nothing.
  Object.defineProperty(globalThis, '__ownstackImportMetaUrl', {
    configurable: true,
    get: () => pathToFileURL(path.join(packageRoot(), 'dist', 'main.js')).href,
  });
  // better-sqlite3 loads its addon through `bindings`, which the build replaces with this.
  Object.defineProperty(globalThis, '__ownstackLoadAddon', {
    configurable: true,
    value: (name) => {
      const file = name.endsWith('.node') ? name : `${name}.node`;
      const mod = { exports: {} };
      process.dlopen(mod, unpack(resourceDir(), file, 0o700));
      return mod.exports;
    },
  });

  if (!embedded) throw new Error('this script runs only as the main script of the ownstack binary');
  // ASCII only (the build escapes the rest): latin1 is a plain copy, no UTF-8 decoding. The bundle
  // is one function expression after its hash line; the cache starts with the same line.
  const source = Buffer.from(sea.getRawAsset('app.cjs')).latin1Slice();
  const hashLine = source.slice(0, source.indexOf('\n') + 1);
  let cachedData;
  try {
    const cache = Buffer.from(sea.getRawAsset('app.cache'));
    if (cache.latin1Slice(0, hashLine.length) === hashLine) cachedData = cache.subarray(hashLine.length);
  } catch {
    cachedData = undefined;
  }
  const vm = require('node:vm');
  const script = new vm.Script(source, { filename: 'ownstack-app.cjs', cachedData });
  if (process.env.OWNSTACK_BINARY_DEBUG) process.stderr.write(`ownstack binary ${BINARY_ID}: code cache ${cachedData ? (script.cachedDataRejected ? 'REJECTED' : 'accepted') : 'absent'}\n`);
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, require, mod, process.execPath, path.dirname(process.execPath));
}
