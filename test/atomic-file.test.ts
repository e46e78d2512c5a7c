// writeFileAtomic / writeFileAtomicSync: the new content or the old, the mode asked for whatever
// the umask, missing folders created, and no temp file left behind.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from '../src/atomic-file.js';

const root = mkdtempSync(join(tmpdir(), 'ownstack-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each([
  ['writeFileAtomicSync', async (p: string, d: string, mode?: number) => writeFileAtomicSync(p, d, { mode })],
  ['writeFileAtomic', (p: string, d: string, mode?: number) => writeFileAtomic(p, d, { mode })],
])('%s', (name, write) => {
  it('creates missing folders 0700 and the file with exactly the mode asked for', async () => {
    const dir = join(root, name, 'a', 'b');
    const path = join(dir, 'f.json');
    // 0666 under the usual umask 022 would be 0644 without an explicit chmod.
    await write(path, 'one', name === 'writeFileAtomicSync' ? 0o666 : 0o600);
    expect(readFileSync(path, 'utf8')).toBe('one');
    expect(statSync(path).mode & 0o777).toBe(name === 'writeFileAtomicSync' ? 0o666 : 0o600);
    expect(statSync(join(root, name, 'a')).mode & 0o777).toBe(0o700);
  });

  it('replaces an existing file and leaves no temp file', async () => {
    const dir = join(root, name, 'replace');
    const path = join(dir, 'server.json');
    await write(path, 'old');
    await write(path, 'new', 0o600);
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['server.json']);
  });
});

describe('writeFileAtomicSync', () => {
  it('keeps the old content and removes its temp file when the rename fails', () => {
    const dir = join(root, 'fails');
    const path = join(dir, 'target');
    writeFileAtomicSync(join(path, 'inside'), 'x');
    // `path` is a non-empty folder: renaming a file over it fails (EISDIR).
    expect(() => writeFileAtomicSync(path, 'y')).toThrow();
    expect(readdirSync(dir)).toEqual(['target']);
  });
});
