// The agent's Caddy: one process in its own session (it outlives the agent, so restarting the
// agent or the control plane never stops traffic), its config loaded through the admin API on a
// unix socket only the agent can reach. A new config is `caddy adapt`ed first (a refused one
// changes nothing) and loaded in place (`POST /load`: atomic, the listeners are kept, the old
// config keeps serving if it fails). Caddy's in-place reload marks upstreams down on 2.6.2 only
// through active health checks, which the agent's config has none of (docs/architecture.md).
import { request } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { cmdlineOf, isAlive } from '../process.js';
import { readLogFrom, readPidFile, removePidFile, spawnDetached, terminate, writeFileAtomic, writePidFile } from '../proxy/runtime-process.js';

const ADAPT_TIMEOUT_MS = 60_000;
const LOAD_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 30_000;
/** Caddy's log line once `caddy run` has loaded and started its config. */
const SERVING = 'serving initial configuration';

export class CaddyRefusedError extends Error {
  override readonly name = 'CaddyRefusedError';
}

export interface CaddyFiles {
  /** The JSON config a (re)started Caddy runs: always the last one loaded. */
  json: string;
  pid: string;
  log: string;
  /** Caddy's storage (HOME, XDG folders): certificates and locks stay out of the user's home. */
  storage: string;
}

export function caddyFiles(stateDir: string): CaddyFiles {
  return { json: join(stateDir, 'caddy.json'), pid: join(stateDir, 'caddy.pid'), log: join(stateDir, 'caddy.log'), storage: join(stateDir, 'caddy') };
}

export interface CaddyProcessOptions {
  bin: string;
  stateDir: string;
  adminSocket: string;
  /** PATH for Caddy (nothing else of the agent's environment reaches it). */
  path: string;
}

/** One Caddy process driven by an agent. */
export class CaddyProcess {
  readonly files: CaddyFiles;
  private pid: number | null = null;
  private exited: Promise<string> | null = null;

  constructor(private readonly opts: CaddyProcessOptions) {
    this.files = caddyFiles(opts.stateDir);
  }

  private env(): Record<string, string> {
    const s = this.files.storage;
    return { PATH: this.opts.path, HOME: s, XDG_DATA_HOME: s, XDG_CONFIG_HOME: s };
  }

  /** The running process, or null. */
  current(): number | null {
    if (this.pid !== null && !isAlive(this.pid)) this.pid = null;
    return this.pid;
  }

  /** Resolves when the process this object started exits (never for an adopted one). */
  exit(): Promise<string> | null {
    return this.exited;
  }

  /** Takes over a Caddy an earlier agent left running (its pid file, our config path, alive). */
  adopt(): number | null {
    const pid = readPidFile(this.files.pid);
    if (pid === null || !isAlive(pid)) {
      removePidFile(this.files.pid);
      return null;
    }
    const argv = cmdlineOf(pid);
    const i = argv?.indexOf('--config') ?? -1;
    if (!argv || !/(^|\/)caddy$/.test(argv[0] ?? '') || i < 0 || argv[i + 1] !== this.files.json) return null;
    this.pid = pid;
    this.exited = null;
    return pid;
  }

  /** `caddy adapt`: the Caddyfile as JSON, or CaddyRefusedError. */
  async adapt(caddyfile: string): Promise<string> {
    const path = join(this.opts.stateDir, 'Caddyfile.next');
    await writeFileAtomic(path, caddyfile, { mode: 0o600 });
    const r = await execa(this.opts.bin, ['adapt', '--config', path, '--adapter', 'caddyfile'], {
      env: this.env(),
      extendEnv: false,
      reject: false,
      timeout: ADAPT_TIMEOUT_MS,
      stdin: 'ignore',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (r.exitCode !== 0) throw new CaddyRefusedError(`caddy adapt refused the config: ${r.timedOut ? `timed out after ${ADAPT_TIMEOUT_MS} ms` : lastLines(String(r.stderr || r.message))}`);
    const json = String(r.stdout);
    try {
      JSON.parse(json);
    } catch {
      throw new CaddyRefusedError('caddy adapt printed something that is not JSON');
    }
    return json;
  }

  /** Starts Caddy with `json` and waits until it serves. */
  async start(json: string): Promise<number> {
    await writeFileAtomic(this.files.json, json, { mode: 0o600 });
    const spawned = spawnDetached(this.opts.bin, ['run', '--config', this.files.json], { env: this.env(), cwd: this.opts.stateDir, logPath: this.files.log });
    if (spawned.pid <= 0) throw new Error(`could not start caddy: ${await spawned.exited}`);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const why = spawned.exitReason();
      if (why !== null) throw new Error(`caddy exited while starting (${why}): ${logTail(readLogFrom(this.files.log, spawned.logOffset))}`);
      if (readLogFrom(this.files.log, spawned.logOffset).includes(SERVING)) break;
      if (Date.now() >= deadline) {
        await terminate(spawned.pid);
        throw new Error(`caddy did not serve within ${READY_TIMEOUT_MS / 1000} s (log: ${this.files.log})`);
      }
      await sleep(20);
    }
    this.pid = spawned.pid;
    this.exited = spawned.exited;
    writePidFile(this.files.pid, spawned.pid);
    return spawned.pid;
  }

  /** Loads `json` into the running Caddy in place; a refusal leaves the old config serving. */
  async load(json: string): Promise<void> {
    const res = await this.admin('POST', '/load', json, LOAD_TIMEOUT_MS);
    if (res.status !== 200) throw new CaddyRefusedError(`caddy refused the config: ${lastLines(res.body) || `HTTP ${res.status}`}`);
    await writeFileAtomic(this.files.json, json, { mode: 0o600 });
  }

  /** Requests in flight per upstream dial address, from Caddy's admin API. */
  async inFlight(): Promise<Map<string, number>> {
    const res = await this.admin('GET', '/reverse_proxy/upstreams', undefined, 5_000);
    const out = new Map<string, number>();
    if (res.status !== 200) return out;
    for (const u of JSON.parse(res.body) as { address: string; num_requests: number }[]) out.set(u.address, (out.get(u.address) ?? 0) + u.num_requests);
    return out;
  }

  /** Stops Caddy (SIGTERM: in-flight requests finish, then it exits). */
  async stop(): Promise<void> {
    const pid = this.current();
    this.pid = null;
    if (pid !== null) await terminate(pid, 10_000);
    removePidFile(this.files.pid);
  }

  private admin(method: string, path: string, body: string | undefined, timeoutMs: number): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.opts.adminSocket,
          setHost: false,
          path,
          method,
          // Caddy's admin API on a unix socket accepts only an empty Host.
          headers: { host: '', ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }) },
          timeout: timeoutMs,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`caddy admin ${method} ${path} timed out after ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(`caddy admin ${method} ${path}: ${err.code ?? err.message}`)));
      req.end(body);
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function lastLines(text: string, n = 3): string {
  const lines = text.trim().split('\n').filter((l) => l.trim() !== '');
  return lines.slice(-n).join(' | ').slice(0, 1_000);
}

/** The last lines of Caddy's output on one line: its final `Error:` line when there is one. */
export function logTail(text: string, n = 3): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      try {
        const j = JSON.parse(l) as { msg?: string; error?: string };
        return [j.msg, j.error].filter(Boolean).join(': ') || l;
      } catch {
        return l;
      }
    });
  const fatal = lines.filter((l) => l.startsWith('Error: ')).at(-1);
  return (fatal ?? lines.slice(-n).join(' | ')).slice(-600);
}
