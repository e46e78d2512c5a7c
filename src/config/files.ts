// OwnStack's KEY=VALUE files under OWNSTACK_HOME: folder 0700, files 0600, atomic writes.
import { mkdirSync, readFileSync, chmodSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../atomic-file.js';

/** The state folder: OWNSTACK_HOME or ~/.ownstack. */
export function ownstackHome(env: NodeJS.ProcessEnv): string {
  return env.OWNSTACK_HOME && env.OWNSTACK_HOME.trim() ? env.OWNSTACK_HOME : join(homedir(), '.ownstack');
}

/** Creates a folder (and parents) readable by the owner only. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Parses KEY=VALUE lines; `#` comments and blank lines ignored; optional double quotes. */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim().replace(/^export\s+/, '');
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out[key] = value;
  }
  return out;
}

/** Renders KEY=VALUE lines in the given order. */
export function formatKeyValues(values: Record<string, string | undefined>, header?: string): string {
  const lines = header ? [`# ${header}`] : [];
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== '') lines.push(`${k}=${v}`);
  return lines.join('\n') + '\n';
}

/** Reads a KEY=VALUE file; a missing file is empty. */
export function readKeyValueFile(path: string): Record<string, string> | null {
  try {
    return parseKeyValues(readFileSync(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Writes a file 0600 atomically (temp file + rename) so a crash never leaves half a token. */
export function writePrivateFile(path: string, content: string): void {
  writeFileAtomicSync(path, content, { mode: 0o600 });
}

export { existsSync, readdirSync, rmSync, join };
