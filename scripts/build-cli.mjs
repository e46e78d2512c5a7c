#!/usr/bin/env node
// The second half of `npm run build` (after tsup): the CLI that bin/ownstack runs, as one script
// with V8's code cache (see scripts/bundle.mjs for why).
//   dist/ownstack.bundle.js   the CLI (src/main.ts and what it imports). Left to node_modules, loaded
//                             only by the commands that need them: better-sqlite3 (a native addon),
//                             undici (only with a proxy set) and the AWS SDK (the ALB edge of
//                             `local start --foreground`) — half of the bundle's size otherwise
//   dist/ownstack.cache       the code cache after a warm-up run of a few commands
//   dist/ownstack.tree.cache  the same after help and completion only, for those (smaller, quicker to load)
//   dist/ownstack-server.cjs  the in-process control plane of `local start --foreground`, required by
//                             the script for that command only (scripts/cli-server.mjs)
// The local control plane stays the ESM build, dist/control-plane.js, started as its own process.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, bundleApp, bundleServerParts, warmUp } from './bundle.mjs';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const appPath = join(ROOT, 'dist', 'ownstack.bundle.js');
const cachePath = join(ROOT, 'dist', 'ownstack.cache');
const treeCachePath = join(ROOT, 'dist', 'ownstack.tree.cache');
const SERVER_FILE = 'ownstack-server.cjs';
const EXTERNAL = ['better-sqlite3', 'undici', '@aws-sdk/*', '@smithy/*'];
const say = (m) => process.stderr.write(`build-cli: ${m}\n`);

try {
  const { warnings } = await bundleApp({ outfile: appPath, controlPlane: false, serverParts: SERVER_FILE, external: EXTERNAL, version: pkg.version });
  for (const w of warnings) say(`esbuild warning: ${w.text}`);
  await bundleServerParts({ outfile: join(ROOT, 'dist', SERVER_FILE), external: EXTERNAL, version: pkg.version });
} catch (err) {
  say(err.errors ? `esbuild could not bundle the sources (${err.errors.length} errors above)` : err.message);
  process.exit(1);
}
for (const [set, path] of [['full', cachePath], ['tree', treeCachePath]]) {
  const home = mkdtempSync(join(tmpdir(), 'ownstack-warmup-'));
  try {
    const warning = warmUp({ appPath, cachePath: path, home, set });
    if (warning) say(`warm-up warning (the CLI works; only its start-up is slower):\n${warning}`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
const kb = (p) => `${(statSync(p).size / 1024).toFixed(0)} KB`;
say(`dist/ownstack.bundle.js ${kb(appPath)}, dist/${SERVER_FILE} ${kb(join(ROOT, 'dist', SERVER_FILE))}, dist/ownstack.cache ${kb(cachePath)}, dist/ownstack.tree.cache ${kb(treeCachePath)}`);
