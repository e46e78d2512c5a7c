'use strict';
// Build-time helper (scripts/bundle.mjs): compiles the bundle exactly as the loaders do (bin/ownstack
// for the npm CLI, loader.cjs in the binary), runs a few commands in this process (a fresh
// OWNSTACK_HOME, rejected input, a loopback stand-in for the API), and writes V8's code cache for
// everything compiled so far, after the bundle's hash line (see scripts/bundle.mjs).
//   node warmup.cjs <bundle> <out.cache> <empty-home> [full|tree]
// `tree`: only help and completion, which run nothing but the command tree; bin/ownstack loads that
// smaller cache for them (less to read and deserialize: ~200 fewer page faults per start).
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { pathToFileURL } = require('node:url');

const [appPath, outPath, home, set = 'full'] = process.argv.slice(2);
if (!['full', 'tree'].includes(set)) throw new Error(`unknown warm-up set ${set}`);
const source = fs.readFileSync(appPath, 'latin1');
const hashLine = source.slice(0, source.indexOf('\n') + 1);
const script = new vm.Script(source, { filename: appPath });
Object.defineProperty(globalThis, '__ownstackImportMetaUrl', { configurable: true, get: () => pathToFileURL(path.join(home, 'dist', 'main.js')).href });
Object.defineProperty(globalThis, '__ownstackLoadAddon', { configurable: true, value: () => { throw new Error('no addon during the warm-up'); } });

const timer = setTimeout(() => finish(new Error('the warm-up took longer than 60 s')), 60_000);
function finish(err) {
  clearTimeout(timer);
  if (err) process.stderr.write(`warm-up: ${err.stack || err}\n(the code cache covers only what compiled before this)\n`);
  fs.writeFileSync(outPath, Buffer.concat([Buffer.from(hashLine, 'latin1'), script.createCachedData()]));
  process.exit(0);
}

// A loopback stand-in for a control plane that knows no cluster: `cluster status` then runs the
// API client (transport, retries, error mapping) without any real server.
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: 'not_found', message: 'no cluster here (build-time warm-up)' } }));
});
server.unref();

server.listen(0, '127.0.0.1', () => {
  const env = { OWNSTACK_HOME: home, PATH: process.env.PATH, NO_PROXY: '127.0.0.1,localhost,::1' };
  const api = { ...env, OWNSTACK_API_URL: `http://127.0.0.1:${server.address().port}`, OWNSTACK_API_TOKEN: 'warm-up' };
  // Help and completion: the whole `tree` set, and the start of the `full` one.
  const tree = [['--help'], ['cluster', '--help'], ['cluster', 'status', '--help'], ['help', 'local'], ['__complete', 'cluster', ''], ['__complete', 'cluster', 'status', '']];
  globalThis.__ownstackWarmup = {
    env,
    commands: set === 'tree' ? tree : [
      ...tree,
      ['cluster', 'upstream', 'add', 'warmup', '--variant=blue', '--url=http://127.0.0.1:9/rejected/path'],
      ['cluster', 'status', 'Not_A_Valid_Name', '--json'],
      ['profile', 'list', '--json'],
      // The local profile's path: finds no control plane and cannot start one here (no dist/).
      ['cluster', 'list', '--json'],
      { argv: ['cluster', 'status', 'warmup', '--json'], env: api },
    ],
    done: finish,
  };
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, require, mod, appPath, path.dirname(appPath));
});
