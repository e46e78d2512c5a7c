// A real control plane on 127.0.0.1 (random port) over a temp OWNSTACK_HOME, and a tiny fetch client.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startControlPlane, type ControlPlaneOptions, type RunningControlPlane } from '../../src/control-plane/server.js';
import { tempDir } from '../helpers/home.js';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestServer {
  home: string;
  cp: RunningControlPlane;
  logs: string[];
  /** Authenticated JSON request. */
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  /** Request without the token (or with the given headers only). */
  raw(method: string, path: string, init?: { body?: string; headers?: Record<string, string> }): Promise<ApiResponse>;
  file(...parts: string[]): string;
  restart(extra?: Partial<ControlPlaneOptions>): Promise<void>;
  close(): Promise<void>;
}

/** A fresh OWNSTACK_HOME for a control plane (remove it with removeHome). */
export const tempHome = (): string => tempDir('ownstack-cp-');

export async function startTestServer(opts: { home?: string } & Partial<ControlPlaneOptions> = {}): Promise<TestServer> {
  const home = opts.home ?? tempHome();
  const logs: string[] = [];
  const options = (): ControlPlaneOptions => ({ reconcileIntervalMs: 0, ...opts, home, port: 0, log: (l) => logs.push(l) });
  let cp = await startControlPlane(options());
  const raw = async (method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<ApiResponse> => {
    const res = await fetch(cp.url + path, { method, body: init.body, headers: init.headers });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* SSE or plain text */
    }
    return { status: res.status, body, headers: res.headers };
  };
  const server: TestServer = {
    home,
    get cp() {
      return cp;
    },
    logs,
    api: (method, path, body, headers = {}) =>
      raw(method, path, {
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: { authorization: `Bearer ${cp.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      }),
    raw,
    file: (...parts) => readFileSync(join(home, 'local', ...parts), 'utf8'),
    async restart(extra = {}) {
      await cp.close();
      cp = await startControlPlane({ ...options(), ...extra });
    },
    async close() {
      await cp.close();
    },
  } as TestServer;
  return server;
}

export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}

/** Every row of every table (idempotency keys excluded), for "nothing changed" assertions. */
export function dumpDb(home: string): Record<string, unknown[]> {
  const db = new Database(join(home, 'local', 'state.db'), { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    const out: Record<string, unknown[]> = {};
    for (const t of tables) if (t !== 'idempotency_keys') out[t] = db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all();
    return out;
  } finally {
    db.close();
  }
}
