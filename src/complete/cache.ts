// A short-lived on-disk cache of control-plane answers for completion, so repeated Tabs are
// instant: $OWNSTACK_HOME/cache/completion-<profile>-<key>.json, folder 0700, files 0600.
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../atomic-file.js';

export interface CacheEntry {
  /** The API URL the answer came from: an entry for another URL is a miss. */
  url: string;
  /** When it was fetched (ms since the epoch). */
  at: number;
  /** The response body, or null when the control plane could not be reached. */
  body: unknown;
}

/** The cache file for one profile and one resource. Names are made file-safe. */
export function cachePath(home: string, profile: string, key: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return join(home, 'cache', `completion-${safe(profile)}-${safe(key)}.json`);
}

/** Reads an entry when it is for this URL and younger than ttlMs; anything else is a miss. */
export function readCache(path: string, url: string, ttlMs: number, now: number): CacheEntry | null {
  if (ttlMs <= 0) return null;
  try {
    const entry = JSON.parse(readFileSync(path, 'utf8')) as CacheEntry;
    if (entry?.url !== url || typeof entry.at !== 'number') return null;
    if (now - entry.at >= ttlMs || entry.at > now) return null;
    return entry;
  } catch {
    return null;
  }
}

/** Writes an entry atomically, 0600 in a 0700 folder. Failures are ignored: a cache is optional. */
export function writeCache(path: string, entry: CacheEntry): void {
  try {
    const dir = join(path, '..');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    writeFileAtomicSync(path, JSON.stringify(entry), { mode: 0o600 });
  } catch {
    // A read-only or full disk must not break completion.
  }
}
