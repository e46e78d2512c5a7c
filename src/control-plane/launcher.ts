// Finds, starts and stops the local control plane. State: $OWNSTACK_HOME/local/server.json
// (written by the server process once it listens). A start lock makes concurrent commands start
// exactly one server: the first takes the lock and starts it, the others wait and then find it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../api/client.js';
import { ConflictError, FailedError, TimeoutError, UsageError } from '../errors.js';

declare const __VERSION__: string;

/** How long a command waits for a freshly started server to answer. */
export const START_TIMEOUT_MS = 15_000;
/** How long a command waits for another command's start to finish (covers one start). */
const LOCK_WAIT_MS = START_TIMEOUT_MS + 15_000;
/** A lock older than this is left over from a killed command, whatever its pid says. */
const LOCK_STALE_MS = LOCK_WAIT_MS + 5_000;

/** What server.json holds. */
export interface ServerInfo {
  pid: number;
  url: string;
  port: number;
  started_at: string;
  version: string;
}

/** The liveness answer of GET /api/health. */
export interface HealthInfo {
  ok: boolean;
  service: 'ownstack-control-plane';
  version: string;
  pid: number;
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

function cliVersion(): string {
  return typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';
}

/** `~/x` for paths under the user's home folder (shorter in notices). */
export function tildify(path: string): string {
  const h = homedir();
  return h && h !== '/' && path.startsWith(h + '/') ? `~${path.slice(h.length)}` : path;
}

function ensurePrivateDir(dir: string): void {
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
  };
}

/** Writes server.json atomically (temp file + rename), 0600. */
export function writeServerInfo(paths: LocalPaths, info: ServerInfo): void {
  ensurePrivateDir(paths.dir);
  const tmp = `${paths.serverJson}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, paths.serverJson);
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

/** True while `pid` runs. A zombie (exited, not yet reaped by its parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    // No /proc (macOS) or the process just went away: kill(0) already answered.
  }
  return true;
}

/** `pid`'s command line, word by word (Linux /proc); null when it cannot be read. */
function commandLineOf(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return null;
  }
}

/** Whether `pid`'s command line looks like a control plane process; null when it cannot tell. */
function looksLikeControlPlane(pid: number): boolean | null {
  const args = commandLineOf(pid);
  return args && /control-plane|ownstack/.test(args.join(' '));
}

/** GET <url>/api/health with a short timeout; the parsed answer, or null when it is not ours. */
export function probeHealth(url: string, timeoutMs = 1_500): Promise<HealthInfo | null> {
  return new Promise((resolvePromise) => {
    let settled = false;
    const finish = (v: HealthInfo | null) => {
      if (settled) return;
      settled = true;
      resolvePromise(v);
    };
    let req: ReturnType<typeof request>;
    try {
      req = request(new URL('/api/health', url), { method: 'GET', headers: { accept: 'application/json' }, agent: false, timeout: timeoutMs }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
          if (body.length > 65_536) res.destroy();
        });
        res.on('error', () => finish(null));
        res.on('end', () => {
          try {
            const j = JSON.parse(body) as Partial<HealthInfo>;
            finish(res.statusCode === 200 && j?.service === 'ownstack-control-plane' ? (j as HealthInfo) : null);
          } catch {
            finish(null);
          }
        });
      });
    } catch {
      return finish(null);
    }
    req.on('timeout', () => {
      req.destroy();
      finish(null);
    });
    req.on('error', () => finish(null));
    req.end();
  });
}

/**
 * The running server named by server.json, or null when none runs. Throws when a control plane
 * process is alive but does not answer (a hung server must not get a twin on the same state).
 */
export async function findRunning(paths: LocalPaths, clock: Clock): Promise<ServerInfo | null> {
  const info = readServerInfo(paths);
  if (!info || !isAlive(info.pid)) return null;
  // A busy machine (or a long transaction) can delay an answer; a hung server cannot.
  const deadline = clock.now() + 10_000;
  for (;;) {
    const health = await probeHealth(info.url, 2_000);
    if (health) return health.pid === undefined || health.pid === info.pid ? info : null;
    if (!isAlive(info.pid)) return null;
    // A live pid that is not a control plane: server.json outlived its server (e.g. a reboot).
    if (looksLikeControlPlane(info.pid) === false) return null;
    if (clock.now() >= deadline) {
      throw new FailedError(`the local control plane (pid ${info.pid}) is running but does not answer on ${info.url}`, {
        hint: `see its log: ${tildify(paths.log)}; restart it with \`ownstack local stop\` and run the command again`,
      });
    }
    await clock.sleep(200);
  }
}

// ---------- the start lock ----------

interface LockBody {
  pid: number;
  at: number;
  nonce: string;
}

function readLock(path: string): { body: LockBody | null; text: string; mtimeMs: number } | null {
  try {
    const text = readFileSync(path, 'utf8');
    const mtimeMs = statSync(path).mtimeMs;
    let body: LockBody | null = null;
    try {
      body = JSON.parse(text) as LockBody;
    } catch {
      body = null;
    }
    return { body, text, mtimeMs };
  } catch {
    return null;
  }
}

function lockIsStale(lock: NonNullable<ReturnType<typeof readLock>>): boolean {
  const age = Date.now() - (lock.body?.at ?? lock.mtimeMs);
  // Empty: the holder was killed between creating and writing it (or is writing it right now).
  if (!lock.body) return Date.now() - lock.mtimeMs > 2_000;
  if (!isAlive(lock.body.pid)) return true;
  return age > LOCK_STALE_MS;
}

/** Removes a stale lock; a second small lock keeps two waiters from removing a fresh one. */
function breakStaleLock(path: string): void {
  const judged = readLock(path);
  if (!judged || !lockIsStale(judged)) return;
  const breaker = `${path}.break`;
  let fd: number;
  try {
    fd = openSync(breaker, 'wx', 0o600);
  } catch {
    // Someone else is breaking it; a breaker left by a killed process is removed after 5 s.
    try {
      if (Date.now() - statSync(breaker).mtimeMs > 5_000) rmSync(breaker, { force: true });
    } catch {
      /* gone already */
    }
    return;
  }
  try {
    const again = readLock(path);
    if (again && again.text === judged.text) rmSync(path, { force: true });
  } finally {
    closeSync(fd);
    rmSync(breaker, { force: true });
  }
}

/** Runs `fn` holding `$home/local/start.lock`; waits (bounded) while another command holds it. */
export async function withStartLock<T>(paths: LocalPaths, clock: Clock, fn: () => Promise<T>): Promise<T> {
  ensurePrivateDir(paths.home);
  ensurePrivateDir(paths.dir);
  const body: LockBody = { pid: process.pid, at: Date.now(), nonce: randomBytes(8).toString('hex') };
  const text = JSON.stringify(body);
  const deadline = clock.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(paths.lock, 'wx', 0o600);
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    breakStaleLock(paths.lock);
    if (clock.now() >= deadline) {
      const holder = readLock(paths.lock)?.body?.pid;
      throw new TimeoutError(`another ownstack command${holder ? ` (pid ${holder})` : ''} has been starting the local control plane for ${Math.round(LOCK_WAIT_MS / 1000)} s`, {
        hint: `see ${tildify(paths.log)}; if no ownstack command is running, remove ${tildify(paths.lock)}`,
      });
    }
    await clock.sleep(40 + Math.floor(Math.random() * 40));
  }
  try {
    return await fn();
  } finally {
    // Release only our own lock (a waiter may have broken it if we took far too long).
    if (readLock(paths.lock)?.text === text) rmSync(paths.lock, { force: true });
  }
}

// ---------- starting ----------

/** The port asked for: an explicit value, else OWNSTACK_LOCAL_PORT, else 0 (the OS picks). */
export function requestedPort(env: NodeJS.ProcessEnv, explicit?: number): number {
  if (explicit !== undefined) return explicit;
  const raw = env.OWNSTACK_LOCAL_PORT;
  if (raw === undefined || raw.trim() === '') return 0;
  if (!/^\d{1,5}$/.test(raw.trim()) || Number(raw) > 65_535) {
    throw new UsageError(`invalid OWNSTACK_LOCAL_PORT "${raw}": a port is a whole number from 0 to 65535 (0: any free port)`);
  }
  return Number(raw);
}

/** dist/control-plane.js: next to this module in the bundle; from the sources, under ../../dist. */
export function controlPlaneScript(): string {
  const here = fileURLToPath(import.meta.url);
  const candidates = [join(dirname(here), 'control-plane.js'), resolve(dirname(here), '../../dist/control-plane.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new FailedError(`cannot find the control plane program (looked for ${candidates.join(', ')})`, { hint: 'build it with `npm run build`' });
  return found;
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

/** Spawns the server detached (log appended to server.log) and waits until it answers. */
async function startInBackground(paths: LocalPaths, env: NodeJS.ProcessEnv, clock: Clock, port: number): Promise<ServerInfo> {
  const script = controlPlaneScript();
  const logFd = openSync(paths.log, 'a', 0o600);
  let child;
  try {
    child = spawn(process.execPath, [script, '--home', paths.home, '--port', String(port)], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env,
      // Not the user's folder: the server must not keep a directory busy (or vanish under it).
      cwd: paths.dir,
    });
  } finally {
    closeSync(logFd);
  }
  let exited: string | null = null;
  let exitCode: number | null = null;
  child.on('exit', (code, signal) => {
    exitCode = code;
    exited = signal ? `killed by ${signal}` : `exit code ${code}`;
  });
  child.on('error', (err) => {
    exited = err.message;
  });
  child.unref();
  const pid = child.pid;
  const deadline = clock.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited !== null || pid === undefined) {
      const tail = logTail(paths);
      const message = `the local control plane stopped while starting (${exited ?? 'no pid'})${tail ? `:\n${tail}` : ''}`;
      const hint = `full log: ${tildify(paths.log)}`;
      if (exitCode === 5) throw new ConflictError(message, { hint: `pick another port with --port or OWNSTACK_LOCAL_PORT (0: any free port); ${hint}` });
      throw new FailedError(message, { hint });
    }
    const info = readServerInfo(paths);
    if (info && info.pid === pid && (await probeHealth(info.url, 1_000))) return info;
    if (clock.now() >= deadline) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      throw new TimeoutError(`the local control plane did not answer within ${START_TIMEOUT_MS / 1000} s`, { hint: `see its log: ${tildify(paths.log)}` });
    }
    await clock.sleep(50);
  }
}

/** The one stderr line printed when a command starts the server. */
export function startedNotice(info: ServerInfo, paths: LocalPaths): string {
  return `Started the local control plane on ${info.url} (state ${tildify(paths.dir)}, log ${tildify(paths.log)}; stop: ownstack local stop)`;
}

export interface EnsureResult {
  url: string;
  token: string;
  info: ServerInfo;
  /** True when this call started it. */
  started: boolean;
}

/** Returns the running server, starting it (once, under the lock) when none runs. */
export async function ensureRunning(opts: { home: string; env: NodeJS.ProcessEnv; clock: Clock; port?: number }): Promise<EnsureResult> {
  const paths = localPaths(opts.home);
  const withToken = (info: ServerInfo, started: boolean): EnsureResult => {
    const token = readToken(paths);
    if (!token) throw new FailedError(`the local control plane runs but its token is missing (${tildify(paths.token)})`, { hint: 'restart it: `ownstack local stop`' });
    return { url: info.url, token, info, started };
  };
  const running = await findRunning(paths, opts.clock);
  if (running) return withToken(running, false);
  const port = requestedPort(opts.env, opts.port);
  return withStartLock(paths, opts.clock, async () => {
    const again = await findRunning(paths, opts.clock);
    if (again) return withToken(again, false);
    return withToken(await startInBackground(paths, opts.env, opts.clock, port), true);
  });
}

/**
 * The server named by server.json, without asking it anything: its pid is alive and its command
 * line is the one the launcher starts for this home (`<node> …/control-plane.js --home <home> …`),
 * and the token exists. null when any of that does not hold. This saves the health request on every
 * command; the client calls `ensureLocalControlPlane`'s `reconnect` when the address turns out stale.
 */
export function knownRunning(paths: LocalPaths): EnsureResult | null {
  const info = readServerInfo(paths);
  if (!info || !isAlive(info.pid)) return null;
  const args = commandLineOf(info.pid);
  if (!args) return null;
  const at = args.findIndex((a) => /(^|[/\\])control-plane\.js$/.test(a));
  if (at < 0 || args[at + 1] !== '--home' || args[at + 2] !== paths.home) return null;
  const token = readToken(paths);
  return token ? { url: info.url, token, info, started: false } : null;
}

/**
 * Called by the context factory when the active profile is `local`: the URL and token to use, and
 * `reconnect` for the client's first connection failure (finds or starts the server, asking it).
 */
export async function ensureLocalControlPlane(opts: {
  home: string;
  env: NodeJS.ProcessEnv;
  notice: (line: string) => void;
  clock: Clock;
}): Promise<{ url: string; token: string; reconnect: () => Promise<{ baseUrl: string; token: string }> }> {
  const paths = localPaths(opts.home);
  const ensure = async () => {
    const r = await ensureRunning(opts);
    if (r.started) opts.notice(startedNotice(r.info, paths));
    return r;
  };
  const r = knownRunning(paths) ?? (await ensure());
  if (!r.started && r.info.version && r.info.version !== cliVersion()) {
    opts.notice(`note: the local control plane runs version ${r.info.version}, this CLI is ${cliVersion()}; restart it with \`ownstack local stop\``);
  }
  const reconnect = async () => {
    const again = await ensure();
    return { baseUrl: again.url, token: again.token };
  };
  return { url: r.url, token: r.token, reconnect };
}

// ---------- serving (the server process itself, or `local start --foreground`) ----------

export interface Serving {
  info: ServerInfo;
  close(): Promise<void>;
}

/** Starts the server in this process, writes server.json, and returns how to close it. */
export async function serveHere(opts: { home: string; port: number; log: (line: string) => void }): Promise<Serving> {
  const paths = localPaths(opts.home);
  ensurePrivateDir(paths.home);
  ensurePrivateDir(paths.dir);
  const { startControlPlane, allowedHostsFromEnv } = await import('./server.js');
  const { DEFAULT_EDGE_INTERVAL_MS } = await import('./runtime/edge-loop.js');
  const { durationFromEnv, proxyPortBaseFromEnv } = await import('./settings.js');
  const proxyPortBase = proxyPortBaseFromEnv(process.env);
  const edgeIntervalMs = durationFromEnv(process.env, 'OWNSTACK_EDGE_INTERVAL') ?? DEFAULT_EDGE_INTERVAL_MS;
  // Proxies are agent processes (src/agent) this control plane starts, unless OWNSTACK_PROXY_RUNTIME=none.
  const { AgentRuntime } = await import('./runtime/agent-runtime.js');
  const { LocalAgents } = await import('./runtime/local-agents.js');
  const command = await agentCommand();
  const restartDelayMs = durationFromEnv(process.env, 'OWNSTACK_PROXY_RESTART_DELAY');
  let server: Awaited<ReturnType<typeof startControlPlane>>;
  try {
    // Deploy jobs run in this process (src/control-plane/deploy-runner.ts).
    const { createDeployRunner } = await import('./service/deploy-runner.js');
    server = await startControlPlane({
      home: paths.home,
      host: '127.0.0.1',
      port: opts.port,
      log: opts.log,
      runtime:
        process.env.OWNSTACK_PROXY_RUNTIME === 'none'
          ? undefined
          : (deps) =>
              new AgentRuntime({
                store: deps.store,
                fleet: deps.fleet,
                log: opts.log,
                version: cliVersion(),
                local: new LocalAgents({ localDir: paths.dir, command, env: process.env, log: opts.log, restartDelayMs, onChange: deps.proxiesChanged }),
              }),
      proxyPortBase,
      edgeIntervalMs,
      deployRunner: (deps) => createDeployRunner(deps),
      allowedHosts: allowedHostsFromEnv(process.env),
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ConflictError(`port ${opts.port} is already in use on 127.0.0.1`, { hint: 'pick another with --port or OWNSTACK_LOCAL_PORT (0: any free port)' });
    }
    throw err;
  }
  const info: ServerInfo = { pid: process.pid, url: server.url.replace(/\/+$/, ''), port: server.port, started_at: new Date().toISOString(), version: cliVersion() };
  writeServerInfo(paths, info);
  let closing: Promise<void> | undefined;
  return {
    info,
    close: () =>
      (closing ??= (async () => {
        // server.json goes first: a command arriving now starts a fresh server instead of
        // talking to one that is shutting down.
        removeServerInfo(paths, process.pid);
        await server.close();
      })()),
  };
}

// ---------- stopping ----------

export interface StopResult {
  was_running: boolean;
  pid: number | null;
  url: string | null;
  /** True when SIGTERM was not enough and SIGKILL ended it. */
  forced: boolean;
  /** Proxy replicas that ran before and are gone now: the server's own, and any an earlier server left. */
  stopped_proxies: number;
}

/** Stops every local proxy (its agent and its Caddy); only processes that are provably ours are signalled. */
export async function stopLocalProxies(paths: LocalPaths): Promise<number> {
  const { stopAllLocalAgents } = await import('./runtime/local-agents.js');
  return stopAllLocalAgents(paths.dir);
}

/**
 * The program a local proxy agent runs as (`<it> proxy agent …`): this binary, or node with the npm
 * package's bin/ownstack (found next to dist/, or next to src/ when run from the sources).
 */
export async function agentCommand(): Promise<string[]> {
  const sea = await import('node:sea').catch(() => null);
  if (sea?.isSea()) return [process.execPath];
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '..', 'bin', 'ownstack'), resolve(here, '..', '..', 'bin', 'ownstack')];
  const found = candidates.find((p) => existsSync(p) && existsSync(join(dirname(p), '..', 'dist', 'ownstack.bundle.js')));
  if (!found) throw new FailedError(`cannot find the ownstack program for the proxy agents (looked for ${candidates.join(', ')})`, { hint: 'build it with `npm run build`' });
  return [process.execPath, found];
}

async function waitForExit(pid: number, clock: Clock, ms: number): Promise<boolean> {
  const deadline = clock.now() + ms;
  while (isAlive(pid)) {
    if (clock.now() >= deadline) return false;
    await clock.sleep(50);
  }
  return true;
}

/** How long `local stop` waits after SIGTERM before SIGKILL. */
export const STOP_GRACE_MS = 20_000;

/** Stops the server named by server.json: SIGTERM, wait (bounded), then SIGKILL. */
export async function stopLocalControlPlane(opts: { home: string; clock: Clock; graceMs?: number; proxies?: boolean }): Promise<StopResult> {
  const paths = localPaths(opts.home);
  const none: StopResult = { was_running: false, pid: null, url: null, forced: false, stopped_proxies: 0 };
  if (!existsSync(paths.dir)) return none;
  return withStartLock(paths, opts.clock, async () => {
    const info = readServerInfo(paths);
    let result = { ...none };
    if (info && isAlive(info.pid)) {
      const health = await probeHealth(info.url);
      // Never signal a stranger that reused the pid of a server long gone.
      const ours = health ? health.pid === undefined || health.pid === info.pid : looksLikeControlPlane(info.pid) !== false;
      if (ours) {
        let forced = false;
        try {
          process.kill(info.pid, 'SIGTERM');
        } catch {
          /* exited meanwhile */
        }
        if (!(await waitForExit(info.pid, opts.clock, opts.graceMs ?? STOP_GRACE_MS))) {
          forced = true;
          try {
            process.kill(info.pid, 'SIGKILL');
          } catch {
            /* exited meanwhile */
          }
          if (!(await waitForExit(info.pid, opts.clock, 3_000))) {
            throw new FailedError(`the local control plane (pid ${info.pid}) did not exit, even after SIGKILL`);
          }
        }
        result = { was_running: true, pid: info.pid, url: info.url, forced, stopped_proxies: 0 };
      }
    }
    removeServerInfo(paths, info?.pid);
    // The proxies outlive the control plane; taking the traffic down is asked for explicitly.
    if (opts.proxies) result.stopped_proxies = await stopLocalProxies(paths);
    return result;
  });
}
