// End to end: helpers for the edge tests that run the BUILT CLI (bin/ownstack) against a
// real local control plane in a temporary OWNSTACK_HOME. Every command's output is kept in a
// transcript so a test can prove a secret never appeared in any of it (nor in server.log, nor in
// any API response). Build first: `npm run build`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ownstack, serverInfo, type CliResult } from '../helpers/e2e.js';
export { waitFor } from '../helpers/wait.js';

export interface Session {
  home: string;
  /** The environment every command (and so the control plane it starts) gets. */
  env: NodeJS.ProcessEnv;
  /** stdout + stderr of every command, and every API body read, in order. */
  transcript: string[];
}

export function session(home: string, env: NodeJS.ProcessEnv): Session {
  return { home, env, transcript: [] };
}

/** `ownstack <argv>` with the session's env (+ stdin); never throws on an exit code. */
export async function cli(s: Session, argv: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const r = await ownstack(s.home, argv, { env: { ...s.env, ...opts.env }, ...(opts.input === undefined ? {} : { input: opts.input }) });
  s.transcript.push(`$ ownstack ${argv.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Like cli(), but the command must exit 0. */
export async function must(s: Session, argv: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const r = await cli(s, argv, opts);
  if (r.exitCode !== 0) throw new Error(`ownstack ${argv.join(' ')} exited ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** `--json` output of a command that must succeed. */
export async function json<T = any>(s: Session, argv: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<T> {
  const r = await must(s, [...argv, '--json'], opts);
  return JSON.parse(r.stdout) as T;
}

/** GET an API path of the local control plane with its token (raw body kept in the transcript). */
export async function apiGet(s: Session, path: string): Promise<{ status: number; text: string }> {
  const info = serverInfo(s.home);
  if (!info) throw new Error('the local control plane is not running');
  const token = readFileSync(join(s.home, 'local', 'token'), 'utf8').trim();
  const res = await fetch(`${info.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  s.transcript.push(`GET ${path} → ${res.status}\n${text}`);
  return { status: res.status, text };
}

/** POST a JSON body to an API path of the local control plane (answer kept in the transcript). */
export async function apiPost(s: Session, path: string, body: unknown): Promise<{ status: number; json: any }> {
  const info = serverInfo(s.home);
  if (!info) throw new Error('the local control plane is not running');
  const token = readFileSync(join(s.home, 'local', 'token'), 'utf8').trim();
  const res = await fetch(`${info.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  s.transcript.push(`POST ${path} → ${res.status}\n${text}`);
  return { status: res.status, json: JSON.parse(text) };
}

/** The control plane's log so far. */
export function serverLog(s: Session): string {
  try {
    return readFileSync(join(s.home, 'local', 'server.log'), 'utf8');
  } catch {
    return '';
  }
}

/**
 * The secret appears in no command output, no API body read so far (plus the cluster list, show,
 * status and the OpenAPI document, read now), and not in server.log.
 */
export async function expectSecretNowhere(s: Session, secret: string, cluster?: string): Promise<void> {
  const paths = ['/api/clusters', '/api/openapi.json'];
  if (cluster) paths.push(`/api/clusters/${cluster}`, `/api/clusters/${cluster}/status`, `/api/clusters/${cluster}/proxy-config`);
  for (const p of paths) await apiGet(s, p);
  const leaks = s.transcript.filter((t) => t.includes(secret)).map((t) => t.split('\n')[0]);
  expect(leaks, 'outputs that contain the secret').toEqual([]);
  expect(serverLog(s).includes(secret), 'server.log contains the secret').toBe(false);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The proxies as `cluster status` sees them, one line each (for failure messages). */
export async function proxyLines(s: Session, cluster: string): Promise<string> {
  const r = await cli(s, ['cluster', 'status', cluster, '--json']);
  if (r.exitCode !== 0) return `cluster status exited ${r.exitCode}: ${r.stderr}`;
  const st = JSON.parse(r.stdout) as { proxies: { address: string; port: number; state: string; healthz: string; pid: number | null; last_error: string | null }[] };
  return st.proxies.map((p) => `${p.address}:${p.port} ${p.state} healthz=${p.healthz} pid=${p.pid} ${p.last_error ?? ''}`).join('\n');
}
