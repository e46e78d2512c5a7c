// End-to-end helpers: run the BUILT CLI (bin/ownstack -> dist/ownstack.bundle.js, or the executable that
// OWNSTACK_E2E_BINARY names) with execa against a temporary OWNSTACK_HOME, stop the local control
// plane it started, and serve small real HTTP upstreams on 127.0.0.1. Build first: `npm run build`
// (`npm test` does).
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The repository root; OWNSTACK_E2E_ROOT points the tests at another built copy (bin/, dist/). */
export const ROOT = process.env.OWNSTACK_E2E_ROOT ? resolve(process.env.OWNSTACK_E2E_ROOT) : fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin/ownstack');

/**
 * OWNSTACK_E2E_BINARY: a standalone executable (e.g. dist-binary/ownstack-linux-x64) that the
 * helpers run instead of `node bin/ownstack`; test/binary/ runs the smoke tests through it. Read
 * at call time, so a test file can set it before it loads the tests that use it.
 */
export function e2eBinary(): string | undefined {
  const path = process.env.OWNSTACK_E2E_BINARY;
  return path ? resolve(path) : undefined;
}

/** Fails fast with a clear message when the build (or the OWNSTACK_E2E_BINARY executable) is missing. */
export function assertBuilt(): void {
  const binary = e2eBinary();
  if (binary) {
    if (!existsSync(binary)) throw new Error(`${binary} (OWNSTACK_E2E_BINARY) is missing: build it with \`npm run build:binary\``);
    return;
  }
  for (const f of ['dist/ownstack.bundle.js', 'dist/main.js', 'dist/control-plane.js']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` before the e2e tests`);
  }
}

// Each test file's clusters get their own proxy ports (OWNSTACK_PROXY_PORT_BASE), so files that
// run in parallel never fight over a listen, admin or bridge port: listen base+k, admin
// base+1000+k, bridges base+1920+1000k (k = cluster slot). Bases 60 apart below the ephemeral range.
// A file run through OWNSTACK_E2E_BINARY (label `binary-<name>`) runs beside the same file run
// through bin/ownstack, so it has ports of its own.
const PORT_BASES: Record<string, number> = { smoke: 10000, walkthrough: 10060, concurrency: 10120, restart: 10180, crash: 10240, local: 10300, 'binary-smoke': 10420, malformed: 10480, prompt: 10540, 'binary-prompt': 10600, transport: 10660, 'binary-transport': 10720, errors: 10780, apply: 10840, 'apply-copy': 10900, dashboard: 10960, 'dashboard-cli': 11020 };
const portBaseOf = new Map<string, number>();

/** A fresh OWNSTACK_HOME for one test file (label: the file's name, which picks its proxy ports). */
export function e2eHome(label = 'e2e'): string {
  const home = mkdtempSync(join(tmpdir(), `ownstack-${label}-`));
  portBaseOf.set(home, PORT_BASES[e2eBinary() ? `binary-${label}` : label] ?? 10360);
  return home;
}

/**
 * The environment for the binary: the outer one minus anything that would change the CLI's
 * behaviour (OWNSTACK_*, colour switches, proxies), plus OWNSTACK_HOME and `extra`.
 */
export function cleanEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('OWNSTACK_')) continue;
    if (['NO_COLOR', 'FORCE_COLOR', 'CLICOLOR', 'CLICOLOR_FORCE'].includes(k)) continue;
    if (/^(http|https|all|no)_proxy$/i.test(k)) continue;
    if (k.startsWith('VITEST') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  env.OWNSTACK_HOME = home;
  const base = portBaseOf.get(home);
  if (base !== undefined) env.OWNSTACK_PROXY_PORT_BASE = String(base);
  // Every request the tests make goes to loopback; never through a proxy.
  env.NO_PROXY = env.no_proxy = '127.0.0.1,localhost,::1';
  return { ...env, ...extra };
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Wall time in milliseconds. */
  ms: number;
}

export interface CliOpts {
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

/** The program and arguments that run `ownstack <argv>`: the OWNSTACK_E2E_BINARY executable, else node bin/ownstack. */
export function ownstackCommand(argv: string[]): { file: string; args: string[] } {
  const binary = e2eBinary();
  return binary ? { file: binary, args: argv } : { file: process.execPath, args: [BIN, ...argv] };
}

/** Runs `ownstack <argv>` (the built binary) with a clean environment; never throws on exit codes. */
export async function ownstack(home: string, argv: string[], opts: CliOpts = {}): Promise<CliResult> {
  const started = Date.now();
  const { file, args } = ownstackCommand(argv);
  const r = await execa(file, args, {
    env: cleanEnv(home, opts.env),
    extendEnv: false,
    reject: false,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : undefined,
    timeout: opts.timeoutMs ?? 60_000,
    cwd: ROOT,
    stripFinalNewline: false,
  });
  if (r.timedOut) {
    let log = '';
    try {
      log = readFileSync(localFiles(home).log, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
    } catch {
      log = '(no server.log)';
    }
    throw new Error(`ownstack ${argv.join(' ')} timed out after ${opts.timeoutMs ?? 60_000} ms\nstderr: ${r.stderr}\nserver.log (tail):\n${log}`);
  }
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), ms: Date.now() - started };
}

/** Runs a command that must succeed; throws with its output otherwise. */
export async function ok(home: string, argv: string[], opts: CliOpts = {}): Promise<CliResult> {
  const r = await ownstack(home, argv, opts);
  if (r.exitCode !== 0) throw new Error(`ownstack ${argv.join(' ')} exited ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** Runs a command with --json that must succeed and returns the parsed document. */
export async function okJson<T = any>(home: string, argv: string[], opts: CliOpts = {}): Promise<T> {
  const r = await ok(home, [...argv, '--json'], opts);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`ownstack ${argv.join(' ')} --json printed something that is not one JSON document:\n${r.stdout}`);
  }
}

/** The local state folder's paths. */
export function localFiles(home: string) {
  const dir = join(home, 'local');
  return {
    dir,
    serverJson: join(dir, 'server.json'),
    token: join(dir, 'token'),
    log: join(dir, 'server.log'),
    db: join(dir, 'state.db'),
    cluster: (name: string) => ({ caddyfile: join(dir, 'clusters', name, 'Caddyfile'), env: join(dir, 'clusters', name, 'proxy.env') }),
  };
}

/** server.json, or null. */
export function serverInfo(home: string): { pid: number; url: string; port: number; started_at: string; version: string } | null {
  try {
    return JSON.parse(readFileSync(localFiles(home).serverJson, 'utf8'));
  } catch {
    return null;
  }
}

/** True while the process runs (zombies count as gone). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

/** Pids of live processes (not this one) whose command line, word by word, `match` accepts (from /proc). */
export function processesWhere(match: (argv: string[]) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone
    }
    if (match(argv) && pidAlive(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}

/** Pids of live control plane processes serving this home. */
export function controlPlanePids(home: string): number[] {
  return processesWhere((argv) => {
    const i = argv.indexOf('--home');
    return argv.some((a) => a.endsWith('control-plane.js')) && i >= 0 && resolve(argv[i + 1] ?? '') === resolve(home);
  });
}

/** Pids of live processes whose command line mentions the home folder (servers, proxies). */
export function processesOf(home: string): number[] {
  const needle = resolve(home);
  return processesWhere((argv) => argv.join('\0').includes(needle));
}

/** Waits (bounded) until `pid` is gone. */
export async function waitGone(pid: number, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * Stops the local control plane of `home`: `ownstack local stop`, then SIGKILL by pid (server.json,
 * and any process still mentioning the home, e.g. a proxy) as a fallback.
 */
export async function stopLocal(home: string): Promise<void> {
  const pids = new Set<number>(controlPlanePids(home));
  const info = serverInfo(home);
  if (info) pids.add(info.pid);
  if (existsSync(localFiles(home).dir)) await ownstack(home, ['local', 'stop', '--proxies'], { timeoutMs: 40_000 }).catch(() => undefined);
  for (const pid of [...pids, ...processesOf(home)]) {
    if (!pidAlive(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await waitGone(pid, 3_000);
  }
}

/** Stops the control plane and removes the home folder. */
export async function cleanupHome(home: string | undefined): Promise<void> {
  // A beforeAll that failed early leaves nothing to clean.
  if (!home) return;
  await stopLocal(home);
  rmSync(home, { recursive: true, force: true });
}

export interface Upstream {
  name: string;
  port: number;
  /** host:port, for `local app add --addr`. */
  addr: string;
  /** http://127.0.0.1:port, for `cluster upstream add --url`. */
  url: string;
  /** Requests served so far. */
  hits: number;
  server: Server;
}

/** Starts `n` tiny HTTP servers on 127.0.0.1 that answer 200 with their name (any path). */
export async function startUpstreams(names: string[]): Promise<{ upstreams: Upstream[]; close: () => Promise<void> }> {
  const upstreams: Upstream[] = [];
  for (const name of names) {
    const up = { name, hits: 0 } as Upstream;
    const server = createServer((req, res) => {
      up.hits++;
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`${name}\n`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    Object.assign(up, { port, addr: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}`, server });
    upstreams.push(up);
  }
  return {
    upstreams,
    close: async () => {
      await Promise.all(
        upstreams.map(
          (u) =>
            new Promise<void>((r) => {
              u.server.closeAllConnections();
              u.server.close(() => r());
            }),
        ),
      );
    },
  };
}

/** Reads a KEY=VALUE (optionally "quoted") env file into an object; missing file → null. */
export function readEnvFile(path: string): Record<string, string> | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let v = line.slice(eq + 1);
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    out[line.slice(0, eq).replace(/^export\s+/, '')] = v;
  }
  return out;
}

/** Runs async jobs with at most `limit` at a time, keeping order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i], i);
    }),
  );
  return out;
}
