#!/usr/bin/env node
// `npm run bench:apply`: bundles scripts/bench-apply.ts with esbuild (a tsup dependency, already
// installed) into node_modules/.cache and runs it; arguments pass through (--sizes, --port-base, --json).
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'node_modules', '.cache', 'ownstack-bench', 'bench-apply.mjs');
mkdirSync(dirname(outfile), { recursive: true });
await build({
  entryPoints: [join(root, 'scripts', 'bench-apply.ts')],
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
