// Starting the local control plane for a command: the one it finds, or a new background process
// (dist/control-plane.js, log appended to server.log) started once under the start lock.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../clock.js';
import { ConflictError, FailedError, TimeoutError, UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { logTail, localPaths, readServerInfo, readToken, tildify, type LocalPaths, type ServerInfo } from './files.js';
import { findRunning, knownRunning, probeHealth, type LocalServer } from './find.js';
import { START_TIMEOUT_MS, withStartLock } from './lock.js';

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

/** Returns the running server, starting it (once, under the lock) when none runs. */
export async function ensureRunning(opts: { home: string; env: NodeJS.ProcessEnv; clock: Clock; port?: number }): Promise<LocalServer> {
  const paths = localPaths(opts.home);
  const withToken = (info: ServerInfo, started: boolean): LocalServer => {
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
  if (!r.started && r.info.version && r.info.version !== VERSION) {
    opts.notice(`note: the local control plane runs version ${r.info.version}, this CLI is ${VERSION}; restart it with \`ownstack local stop\``);
  }
  const reconnect = async () => {
    const again = await ensure();
    return { baseUrl: again.url, token: again.token };
  };
  return { url: r.url, token: r.token, reconnect };
}
