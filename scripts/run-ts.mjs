#!/usr/bin/env node
// `node scripts/run-ts.mjs <name> [args…]` (npm run bench:proxy, bench:apply): bundles
// scripts/<name>.ts with esbuild (a tsup dependency, already installed) into node_modules/.cache
// and runs it; the other arguments pass through (--sizes, --port-base, --json).
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const [name] = process.argv.splice(2, 1);
if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
  process.stderr.write('usage: node scripts/run-ts.mjs <script name in scripts/, without .ts> [args…]\n');
  process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'node_modules', '.cache', 'ownstack-bench', `${name}.mjs`);
mkdirSync(dirname(outfile), { recursive: true });
await build({
  entryPoints: [join(root, 'scripts', `${name}.ts`)],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);" },
});
await import(pathToFileURL(outfile).href);
