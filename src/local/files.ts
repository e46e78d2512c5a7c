// The local control plane's files under $OWNSTACK_HOME/local/: server.json (written by the server
// once it listens, read by every command), the bearer token, the log, the start lock, the state.
// Read by the CLI and written by the server, so it imports nothing heavy (completion reads it too).
import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomicSync } from '../atomic-file.js';

/** What server.json holds. */
export interface ServerInfo {
  pid: number;
  url: string;
  port: number;
  started_at: string;
  version: string;
  /** The HTTPS listener for other hosts (`local start --listen`), when there is one. */
  network_url?: string;
}

/** Every path of the local control plane's state folder. */
export interface LocalPaths {
  home: string;
  dir: string;
  serverJson: string;
  token: string;
  log: string;
  lock: string;
  db: string;
}

/** The paths under `$home/local/`. */
export function localPaths(home: string): LocalPaths {
  const dir = join(resolve(home), 'local');
  return {
    home: resolve(home),
    dir,
    serverJson: join(dir, 'server.json'),
    token: join(dir, 'token'),
    log: join(dir, 'server.log'),
    lock: join(dir, 'start.lock'),
    db: join(dir, 'state.db'),
  };
}

/** `~/x` for paths under the user's home folder (shorter in notices). */
export function tildify(path: string): string {
  const h = homedir();
  return h && h !== '/' && path.startsWith(h + '/') ? `~${path.slice(h.length)}` : path;
}

/** Creates `dir` (and its parents) 0700, and makes an existing one 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

const LOOPBACK_URL = /^http:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]):(\d{1,5})$/;

/** Reads server.json; null when missing, unreadable or not pointing at a loopback server. */
export function readServerInfo(paths: LocalPaths): ServerInfo | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(paths.serverJson, 'utf8'));
  } catch {
    return null;
  }
  const v = raw as Partial<ServerInfo>;
  if (!v || typeof v !== 'object') return null;
  if (!Number.isInteger(v.pid) || (v.pid as number) <= 0) return null;
  // The CLI only ever talks to a local control plane on loopback.
  if (typeof v.url !== 'string' || !LOOPBACK_URL.test(v.url)) return null;
  return {
    pid: v.pid as number,
    url: v.url,
    port: Number.isInteger(v.port) ? (v.port as number) : Number(LOOPBACK_URL.exec(v.url)?.[2]),
    started_at: typeof v.started_at === 'string' ? v.started_at : '',
    version: typeof v.version === 'string' ? v.version : '',
    ...(typeof v.network_url === 'string' && v.network_url.startsWith('https://') ? { network_url: v.network_url } : {}),
  };
}

/** Writes server.json atomically, 0600 in a 0700 folder. */
export function writeServerInfo(paths: LocalPaths, info: ServerInfo): void {
  ensurePrivateDir(paths.dir);
  writeFileAtomicSync(paths.serverJson, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
}

/** Removes server.json if it still names `pid` (a newer server may have replaced it). */
export function removeServerInfo(paths: LocalPaths, pid?: number): void {
  if (pid !== undefined && readServerInfo(paths)?.pid !== pid) return;
  rmSync(paths.serverJson, { force: true });
}

/** Reads the bearer token the server created; null when there is none yet. */
export function readToken(paths: LocalPaths): string | null {
  try {
    return readFileSync(paths.token, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** The last lines of the server log, for error messages. */
export function logTail(paths: LocalPaths, lines = 5): string {
  try {
    const text = readFileSync(paths.log, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
