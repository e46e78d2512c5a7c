// One way to replace a file: temp file in the same folder + rename, so a reader (or a process
// killed mid-write) sees the old content or the new, never half of it.
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AtomicWriteOptions {
  /** The file's mode (default 0644). */
  mode?: number;
  /**
   * fsync before the rename, for files whose content must survive a power cut (tokens, zone
   * files handed to other programs). Rendered proxy files skip it: the database is their
   * source of truth, every start re-renders them, and an fsync per change cost ~0.5 s here.
   */
  durable?: boolean;
}

let written = 0;

/** A temp name next to `path`, unique across processes (pid) and within one (counter). */
function tempName(path: string): string {
  written += 1;
  return `${path}.tmp-${process.pid}-${written}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Replaces `path` with `data` atomically; creates missing parent folders 0700. */
export async function writeFileAtomic(path: string, data: string, opts: AtomicWriteOptions = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = tempName(path);
  const handle = await open(tmp, 'w', opts.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    if (opts.durable) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/**
 * writeFileAtomic for the CLI's synchronous paths (profiles, the completion cache). The mode is
 * set on the open file, so a umask cannot widen or narrow it.
 */
export function writeFileAtomicSync(path: string, data: string, opts: AtomicWriteOptions = {}): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = tempName(path);
  const fd = openSync(tmp, 'w', opts.mode ?? 0o644);
  try {
    fchmodSync(fd, opts.mode ?? 0o644);
    writeSync(fd, data);
    if (opts.durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already gone.
    }
    throw err;
  }
}
