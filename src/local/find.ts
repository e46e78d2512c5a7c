// Finding the local control plane: server.json names it, its health answer (or its command line)
// says whether that process is still ours.
import { request } from 'node:http';
import { health, type Health } from '../api/schemas.js';
import type { Clock } from '../clock.js';
import { FailedError } from '../errors.js';
import { cmdlineOf, isAlive } from '../process.js';
import { readServerInfo, readToken, tildify, type LocalPaths, type ServerInfo } from './files.js';

/** A running local control plane and how to talk to it. */
export interface LocalServer {
  url: string;
  token: string;
  info: ServerInfo;
  /** True when this command started it. */
  started: boolean;
}

/** Whether `pid`'s command line looks like a control plane process; null when it cannot tell. */
export function looksLikeControlPlane(pid: number): boolean | null {
  const args = cmdlineOf(pid);
  return args && /control-plane|ownstack/.test(args.join(' '));
}

/** GET <url>/api/health with a short timeout; the answer, or null when it is not a control plane's. */
export function probeHealth(url: string, timeoutMs = 1_500): Promise<Health | null> {
  return new Promise((resolvePromise) => {
    let settled = false;
    const finish = (v: Health | null) => {
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
            const parsed = health.safeParse(JSON.parse(body));
            finish(res.statusCode === 200 && parsed.success ? parsed.data : null);
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
    const answer = await probeHealth(info.url, 2_000);
    if (answer) return answer.pid === info.pid ? info : null;
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

/**
 * The server named by server.json, without asking it anything: its pid is alive and its command
 * line is the one the CLI starts for this home (`<node> …/control-plane.js --home <home> …`), and
 * the token exists. null when any of that does not hold. This saves the health request on every
 * command; the client reconnects through `ensureLocalControlPlane` when the address turns out stale.
 */
export function knownRunning(paths: LocalPaths): LocalServer | null {
  const info = readServerInfo(paths);
  if (!info || !isAlive(info.pid)) return null;
  const args = cmdlineOf(info.pid);
  if (!args) return null;
  const at = args.findIndex((a) => /(^|[/\\])control-plane\.js$/.test(a));
  if (at < 0 || args[at + 1] !== '--home' || args[at + 2] !== paths.home) return null;
  const token = readToken(paths);
  return token ? { url: info.url, token, info, started: false } : null;
}
