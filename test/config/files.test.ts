// The CLI's private files (profiles, the completion cache) are replaced atomically, 0600 whatever
// the umask, and a replace that fails leaves nothing behind.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePrivateFile } from '../../src/config/files.js';
import { readCache, writeCache } from '../../src/complete/cache.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ownstack-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writePrivateFile', () => {
  it('replaces the content, mode 0600 even under a umask that would narrow or widen it', () => {
    const path = join(dir, 'default');
    const old = process.umask(0o277);
    try {
      writePrivateFile(path, 'A=1\n');
      writePrivateFile(path, 'A=2\n');
    } finally {
      process.umask(old);
    }
    expect(readFileSync(path, 'utf8')).toBe('A=2\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['default']);
  });

  it('a replace that fails leaves the old entry and no temp file', () => {
    const path = join(dir, 'taken');
    mkdirSync(join(path, 'inside'), { recursive: true });
    expect(() => writePrivateFile(path, 'A=1\n')).toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
  });
});

describe('writeCache', () => {
  it('writes an entry readCache reads back, and leaves no temp file when it cannot replace one', () => {
    const path = join(dir, 'cache', 'completion-local-clusters.json');
    writeCache(path, { url: 'http://127.0.0.1:1', at: Date.now(), body: [{ name: 'api' }] });
    expect(readCache(path, 'http://127.0.0.1:1', 10_000, Date.now())).not.toBeNull();
    const blocked = join(dir, 'cache', 'blocked.json');
    mkdirSync(join(blocked, 'inside'), { recursive: true });
    writeCache(blocked, { url: 'x', at: 0, body: null });
    expect(readdirSync(join(dir, 'cache')).sort()).toEqual(['blocked.json', 'completion-local-clusters.json']);
  });
});
