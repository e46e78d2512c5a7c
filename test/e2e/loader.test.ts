// bin/ownstack: the CommonJS loader of the one-script bundle and its V8 code cache. The build's
// cache is used; a cache made for another bundle is not (V8 itself compares only the length), and
// the loader then writes a fresh one; a missing bundle is a clear error. Run on a copy of bin/ and
// dist/ so the repository's build is never touched.
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { assertBuilt, ROOT } from '../helpers/e2e.js';

let copy: string;
let home: string;

beforeAll(() => {
  assertBuilt();
  copy = mkdtempSync(join(tmpdir(), 'ownstack-loader-'));
  home = join(copy, 'home');
  cpSync(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
});
afterAll(() => {
  rmSync(copy, { recursive: true, force: true });
});

async function run(argv: string[]) {
  return execa(process.execPath, [join(copy, 'bin', 'ownstack'), ...argv], {
    env: { OWNSTACK_HOME: home, OWNSTACK_BUNDLE_DEBUG: '1', NO_COLOR: '1', PATH: process.env.PATH },
    extendEnv: false,
    reject: false,
    timeout: 30_000,
  });
}

const cacheFile = () => join(copy, 'dist', 'ownstack.cache');
const treeCacheFile = () => join(copy, 'dist', 'ownstack.tree.cache');
const firstLine = (file: string) => readFileSync(file, 'latin1').split('\n', 1)[0];

describe('the code cache', () => {
  it("the build's caches start with their bundle's hash line and are accepted", async () => {
    const bundleLine = firstLine(join(copy, 'dist', 'ownstack.bundle.js'));
    expect(bundleLine).toMatch(/^\/\/ownstack-bundle [0-9a-f]{16}$/);
    expect(firstLine(cacheFile())).toBe(bundleLine);
    expect(firstLine(treeCacheFile())).toBe(bundleLine);
    // The tree cache (help and completion only) is the smaller one.
    expect(statSync(treeCacheFile()).size).toBeLessThan(statSync(cacheFile()).size);
    const r = await run(['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: ownstack');
    expect(r.stderr).toBe('ownstack: code cache accepted');
    const list = await run(['profile', 'list', '--json']);
    expect(list.exitCode).toBe(0);
    expect(list.stderr).toBe('ownstack: code cache accepted');
  });

  it('the in-process control plane is a second file, required only by `local start --foreground`', () => {
    const script = readFileSync(join(copy, 'dist', 'ownstack.bundle.js'), 'latin1');
    expect(script).toContain('require("./ownstack-server.cjs")');
    expect(statSync(join(copy, 'dist', 'ownstack-server.cjs')).size).toBeGreaterThan(100_000);
    // The server's own code is not in the script every command reads.
    expect(script).not.toContain('edge loop: cluster');
    expect(readFileSync(join(copy, 'dist', 'ownstack-server.cjs'), 'utf8')).toContain('edge loop: cluster');
  });

  it('the scripts hold no import(: vm.Script has no module loader to run it (the build checks this too)', () => {
    for (const file of ['ownstack.bundle.js', 'ownstack-server.cjs']) {
      const text = readFileSync(join(copy, 'dist', file), 'latin1');
      expect(text.match(/\bimport\s*\(.{0,40}/g) ?? [], file).toEqual([]);
    }
    // What was import() is a require() on first use, still lazy.
    const script = readFileSync(join(copy, 'dist', 'ownstack.bundle.js'), 'latin1');
    for (const id of ['node:https', 'undici', 'node:readline/promises']) expect(script).toMatch(new RegExp(`Promise\\.resolve\\(\\)\\.then\\(\\(\\)=>[\\w$]+\\(require\\("${id.replace('/', '\\/')}"\\)`));
  });

  it('the build refuses a bundle that still holds an import(, naming where', async () => {
    const { assertNoDynamicImport } = (await import(join(ROOT, 'scripts', 'bundle.mjs'))) as { assertNoDynamicImport: (file: string, text: string) => void };
    expect(() => assertNoDynamicImport(join(ROOT, 'dist', 'x.js'), 'let a=1;async function f(){return (await import("node:https")).default}')).toThrow(
      /dist\/x\.js still holds 1 import\( \(a vm\.Script loader cannot run it\):\n {2}.*await import\("node:https"\)/,
    );
    expect(() => assertNoDynamicImport('x.js', 'const reimport = 1; x.import = 2;')).not.toThrow();
  });

  it('help and completion read the tree cache, other commands the full one', async () => {
    const tree = readFileSync(treeCacheFile());
    rmSync(treeCacheFile());
    expect((await run(['profile', 'list', '--json'])).stderr).toBe('ownstack: code cache accepted');
    for (const argv of [['--help'], ['cluster', 'status', '-h'], ['help', 'cluster'], ['__complete', 'cluster', ''], []]) {
      rmSync(treeCacheFile(), { force: true });
      const r = await run(argv);
      expect(r.stderr.split('\n')[0], argv.join(' ')).toBe('ownstack: code cache absent');
      expect(firstLine(treeCacheFile())).toBe(firstLine(cacheFile())); // written again for this bundle
    }
    writeFileSync(treeCacheFile(), tree);
  });

  it('a cache made for another bundle is not used; the loader writes one for this bundle', async () => {
    const good = readFileSync(cacheFile());
    const hashLine = firstLine(cacheFile());
    // Same length, other hash: V8 alone would accept the data.
    writeFileSync(cacheFile(), Buffer.concat([Buffer.from(hashLine.replace(/[0-9a-f]{16}$/, '0'.repeat(16)) + '\n', 'latin1'), good.subarray(hashLine.length + 1)]));
    const r = await run(['profile', 'list']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('local');
    expect(r.stderr).toBe('ownstack: code cache absent');
    expect(firstLine(cacheFile())).toBe(hashLine);
    const again = await run(['profile', 'list']);
    expect(again.stderr).toBe('ownstack: code cache accepted');
  });

  it('without a cache the CLI works and leaves one behind', async () => {
    rmSync(cacheFile());
    const r = await run(['cluster', 'upstream', 'add', 'api', '--variant=blue', '--url=http://127.0.0.1:9/path']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('ownstack: code cache absent');
    expect(r.stderr).toContain('--url');
    expect(statSync(cacheFile()).size).toBeGreaterThan(1000);
  });

  it('--version answers without the bundle', async () => {
    rmSync(join(copy, 'dist', 'ownstack.bundle.js'));
    const r = await run(['--version']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('an unreadable bundle: a clear error naming it, the reason and the fix, exit 1', async () => {
    const r = await run(['cluster', 'list']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/cannot read \S*ownstack\.bundle\.js \(ENOENT\): run `npm run build`/);
  });
});
