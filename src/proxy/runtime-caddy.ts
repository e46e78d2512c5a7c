// The Caddy replica driver: what "start", "replace" and "is it ours" mean for one local Caddy.
//
// - prepare: `caddy adapt` the cluster's Caddyfile with the replica's env (renderReplicaEnv:
//   the CLUSTER_UPSTREAMS_* values, bridges swapped for this replica's loopback bridges,
//   CLUSTER_PROXY_BIND). The {$VAR}s are substituted by the process that adapts, so the JSON
//   carries the new values: never Caddy's silent "config is unchanged". A refused config throws
//   here and nothing changes.
// - spawn: `caddy run --config proxy-<i>.g<generation>.json`, one file per generation, so the
//   file a process runs is never rewritten under it and its generation is in its command line.
// - ready: the process logged "serving initial configuration" (its listeners are up).
// - swap: Caddy binds with SO_REUSEPORT, so a new process listens next to the old one; the
//   runtime then retires the old process gracefully (SIGTERM: it stops accepting at once, lets
//   in-flight requests finish with its own config and health checks intact, then exits).
//
// Why not `POST /load` on the admin API: measured on Caddy 2.6.2 under load, an in-place reload
// cancels the old config's context while its server still finishes requests, and its active
// health checker then marks every upstream down: a burst of `503 no upstreams available` on
// most reloads. Replacing the process has none of that. The admin API is therefore off
// (CLUSTER_ADMIN_ADDR=off): nothing else on this machine can reconfigure a replica behind the
// control plane's back.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { planBridges, renderReplicaEnv } from './caddyfile.js';
import { cmdlineOf, readLogFrom, spawnDetached, type Spawned } from './runtime-process.js';
import type { DriverContext, Prepared, ReplicaDriver, ReplicaInfo } from './runtime-types.js';

const ADAPT_TIMEOUT_MS = 60_000;
/** Caddy's log line once `caddy run` has loaded and started its config. */
const SERVING = 'serving initial configuration';

/** A replica's JSON config for one generation, its storage folder and its log. */
export function caddyReplicaFiles(dir: string, index: number, generation = 0): { json: string; storage: string; log: string } {
  return { json: join(dir, `proxy-${index}.g${generation}.json`), storage: join(dir, `proxy-${index}`), log: join(dir, `proxy-${index}.log`) };
}

/** The environment a replica's Caddy (adapt and run) gets: nothing of ours but PATH and its own storage. */
function caddyProcessEnv(ctx: Pick<DriverContext, 'dir' | 'baseEnv'>, r: Pick<ReplicaInfo, 'index'>): Record<string, string> {
  const storage = caddyReplicaFiles(ctx.dir, r.index).storage;
  return { PATH: ctx.baseEnv.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: storage, XDG_DATA_HOME: storage, XDG_CONFIG_HOME: storage };
}

/** The env a replica's Caddyfile is adapted with (the contract env turned into this replica's). */
export function caddyReplicaEnv(ctx: Pick<DriverContext, 'rc' | 'rendered'>, r: Pick<ReplicaInfo, 'address'>): Record<string, string> {
  const bridges = planBridges(ctx.rendered.input, ctx.rc.bridgeBasePort);
  return renderReplicaEnv(ctx.rendered.env, ctx.rendered.table, bridges, { bind: r.address, adminAddress: 'off' });
}

/** Thrown when Caddy refuses a config. */
export class CaddyConfigError extends Error {
  override readonly name = 'CaddyConfigError';
}

export interface CaddyPrepared extends Prepared {
  json: string;
}

const CONFIG_FILE = /^proxy-(\d+)\.g(\d+)\.json$/;

/** The `--config` argument of a `caddy run` command line, or null. */
function configArg(argv: string[]): string | null {
  const i = argv.indexOf('--config');
  return i >= 0 ? (argv[i + 1] ?? null) : null;
}

/**
 * The JSON of one replica turned into another's: the replicas' envs differ only in their bind
 * address (listen addresses and their own bridges' dial addresses), so `caddy adapt` runs once
 * per generation (0.3–2 s for 1,000 hostnames). Null when the address also appears anywhere else
 * (e.g. an app listening on 127.0.0.2): then that replica is adapted on its own.
 */
export function rebindJson(json: string, from: string, to: string, ports: number[]): string | null {
  if (from === to) return json;
  const portSet = new Set(ports.map(String));
  const prefix = `${from}:`;
  const patched = JSON.stringify(JSON.parse(json), (_key, value: unknown) => {
    if (typeof value === 'string' && value.startsWith(prefix) && portSet.has(value.slice(prefix.length))) return `${to}:${value.slice(prefix.length)}`;
    return value;
  });
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^0-9.])${escaped}([^0-9]|$)`).test(patched) ? null : patched;
}

/** The driver for the default proxy: Caddy 2.6+ from `bin`. */
export function createCaddyDriver(bin: string): ReplicaDriver<CaddyPrepared> {
  // One `caddy adapt` per generation, shared by the replicas (see rebindJson).
  let memo: { key: string; bind: string; ports: number[]; json: Promise<string> } | null = null;

  async function adapt(ctx: DriverContext, r: ReplicaInfo): Promise<string> {
    const env = { ...caddyProcessEnv(ctx, r), ...caddyReplicaEnv(ctx, r) };
    const result = await execa(bin, ['adapt', '--config', ctx.caddyfilePath, '--adapter', 'caddyfile'], {
      env,
      extendEnv: false,
      reject: false,
      timeout: ADAPT_TIMEOUT_MS,
      stdin: 'ignore',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (result.exitCode !== 0) {
      const why = result.timedOut ? `timed out after ${ADAPT_TIMEOUT_MS} ms` : lastLines(String(result.stderr || result.message));
      throw new CaddyConfigError(`caddy adapt refused the config: ${why}`);
    }
    const json = String(result.stdout);
    try {
      JSON.parse(json);
    } catch {
      throw new CaddyConfigError('caddy adapt printed something that is not JSON');
    }
    return json;
  }

  const driver: ReplicaDriver<CaddyPrepared> = {
    kind: 'caddy',
    swap: true,

    async prepare(ctx, r) {
      const generation = ctx.rc.generation;
      // Same generation and same rendering: the replica envs differ only in the bind address.
      const key = `${ctx.dir}\u0000${generation}\u0000${ctx.rendered.hash}`;
      if (memo?.key === key) {
        const json = rebindJson(await memo.json, memo.bind, r.address, memo.ports);
        if (json !== null) return { json, generation };
        return { json: await adapt(ctx, r), generation };
      }
      const ports = [ctx.rc.port, ...planBridges(ctx.rendered.input, ctx.rc.bridgeBasePort).map((b) => b.port)];
      const json = adapt(ctx, r);
      memo = { key, bind: r.address, ports, json };
      json.catch(() => {
        if (memo?.json === json) memo = null;
      });
      return { json: await json, generation };
    },

    spawn(ctx, r, prepared): Spawned {
      const files = caddyReplicaFiles(ctx.dir, r.index, prepared.generation);
      writeFileSync(files.json, prepared.json, { mode: 0o600 });
      return spawnDetached(bin, ['run', '--config', files.json], { env: caddyProcessEnv(ctx, r), cwd: ctx.dir, logPath: files.log });
    },

    async ready(ctx, r, spawned) {
      return readLogFrom(caddyReplicaFiles(ctx.dir, r.index).log, spawned.logOffset).includes(SERVING);
    },

    owns(pid, ctx, r) {
      const argv = cmdlineOf(pid);
      if (!argv) return false;
      if (!/(^|\/)caddy$/.test(argv[0] ?? '') || !argv.includes('run')) return false;
      const config = configArg(argv);
      if (config === null || !config.startsWith(`${ctx.dir}/`)) return false;
      const m = CONFIG_FILE.exec(config.slice(ctx.dir.length + 1));
      return m !== null && Number(m[1]) === r.index;
    },

    generationOf(pid, ctx, r) {
      if (!driver.owns(pid, ctx, r)) return null;
      const config = configArg(cmdlineOf(pid) ?? []) ?? '';
      const gen = Number(CONFIG_FILE.exec(config.slice(ctx.dir.length + 1))?.[2]);
      return Number.isInteger(gen) ? gen : null;
    },

    cleanup(ctx, r, keep) {
      let names: string[];
      try {
        names = readdirSync(ctx.dir);
      } catch {
        return;
      }
      for (const name of names) {
        const m = CONFIG_FILE.exec(name);
        if (m && Number(m[1]) === r.index && !keep.includes(Number(m[2]))) rmSync(join(ctx.dir, name), { force: true });
      }
    },
  };
  return driver;
}

function lastLines(text: string, n = 3): string {
  const lines = text.trim().split('\n').filter((l) => l.trim() !== '');
  return lines.slice(-n).join(' | ').slice(0, 1_000) || 'no details';
}
