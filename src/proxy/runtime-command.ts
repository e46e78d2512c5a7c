// The bring-your-own-proxy driver (`cluster create --proxy-app=<app>`): each replica runs the
// proxy app's command (its `--deploy-cmd`, through /bin/sh) in the foreground, with the proxy
// contract in its environment:
//   CLUSTER_UPSTREAMS_<HOST>  each hostname's weighted, space-separated upstream list
//   CLUSTER_UPSTREAMS         every distinct upstream across all hostnames
//   CLUSTER_PROXY_BIND / CLUSTER_PROXY_PORT   where this replica must listen
//   CLUSTER_PROXY_INDEX, CLUSTER_NAME, CLUSTER_GENERATION, CLUSTER_HOSTNAMES,
//   CLUSTER_HEALTH_PATH / _INTERVAL / _TIMEOUT, CLUSTER_ENV_FILE (proxy.env)
// plus PATH, HOME and the few others src/command-env.ts lists (never the control plane's secrets),
// and it must answer GET /_cluster/healthz with 200 once ready. A config change is a rebuild,
// as `dokku ps:rebuild` is for a proxy app: the replicas are restarted with the new env one at a
// time (the runtime waits for each one's healthz), so the others keep serving meanwhile.
import { readFileSync } from 'node:fs';
import { commandEnv } from '../command-env.js';
import { join } from 'node:path';
import { HEALTHZ_PATH } from './caddyfile.js';
import { probeHttp } from './probe.js';
import { spawnDetached } from './runtime-process.js';
import type { Prepared, ReplicaDriver } from './runtime-types.js';

/** Env var that marks a command proxy's process as replica `<dir>#<index>` (adoption). */
export const REPLICA_MARKER_ENV = 'OWNSTACK_PROXY_REPLICA';

export interface CommandPrepared extends Prepared {
  env: Record<string, string>;
}

/** The environ of a process (Linux /proc), or null. */
function environOf(pid: number): Map<string, string> | null {
  try {
    const raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
    const out = new Map<string, string>();
    for (const kv of raw.split('\0')) {
      const eq = kv.indexOf('=');
      if (eq > 0) out.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    return out;
  } catch {
    return null;
  }
}

/** The driver that runs `command` (a shell command line) as each replica. */
export function createCommandDriver(command: string): ReplicaDriver<CommandPrepared> {
  return {
    kind: 'command',
    // The command may not use SO_REUSEPORT: a change stops the old process before starting the new.
    swap: false,

    async prepare(ctx, r) {
      const input = ctx.rendered.input;
      // An explicit environment (src/command-env.ts): never the control plane's credentials or state paths.
      const env = commandEnv(ctx.baseEnv, {
        ...ctx.rendered.env,
        CLUSTER_NAME: ctx.rc.name,
        CLUSTER_GENERATION: String(ctx.rc.generation),
        CLUSTER_PROXY_INDEX: String(r.index),
        CLUSTER_PROXY_BIND: r.address,
        CLUSTER_PROXY_PORT: String(r.port),
        CLUSTER_HOSTNAMES: input.domains.map((d) => d.hostname).join(' '),
        CLUSTER_HEALTH_PATH: input.health.path,
        CLUSTER_HEALTH_INTERVAL: input.health.interval,
        CLUSTER_HEALTH_TIMEOUT: input.health.timeout,
        CLUSTER_ENV_FILE: join(ctx.dir, 'proxy.env'),
        [REPLICA_MARKER_ENV]: `${ctx.dir}#${r.index}`,
      });
      return { env, generation: ctx.rc.generation };
    },

    spawn(ctx, r, prepared) {
      return spawnDetached('/bin/sh', ['-c', command], { env: prepared.env, cwd: ctx.dir, logPath: join(ctx.dir, `proxy-${r.index}.log`) });
    },

    async ready(_ctx, r) {
      const res = await probeHttp({ origin: `http://${r.address}:${r.port}`, path: HEALTHZ_PATH, timeoutMs: 1_000, maxRedirects: 0 });
      return res.ok;
    },

    owns(pid, ctx, r) {
      return environOf(pid)?.get(REPLICA_MARKER_ENV) === `${ctx.dir}#${r.index}`;
    },
  };
}
