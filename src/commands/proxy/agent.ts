// proxy agent: runs src/agent/agent.ts in this process until a signal (see the command's help).
import { Option, type Command } from 'commander';
import * as z from 'zod';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import { checkDuration, clusterNameSchema, integerSchema, parseDuration, parseInput, sanitiseName } from '../../inputs/index.js';
import { UsageError } from '../../errors.js';
import { printJson } from '../../output/json.js';
import { successLine } from '../../output/style.js';
import { isLoopbackHost } from '../../inputs/loopback.js';
import { isWildcardHost, parseListen } from '../../inputs/listen.js';

export function define(cmd: Command): void {
  cmd
    .addOption(completes(new Option('--cluster <name>', 'the cluster this proxy serves').makeOptionMandatory(), 'cluster'))
    .option('--server <url>', 'the control plane (https off loopback)')
    .addOption(new Option('--token-file <path>', "a file holding this cluster's agent token (ownstack token create <name> --cluster <cluster>)").makeOptionMandatory())
    .option('--listen <address:port>', 'where the proxy serves (default 0.0.0.0:80)')
    .option('--public-address <ip>', 'the address the edge publishes for this proxy (default: the --listen address)')
    .option('--name <name>', 'this proxy in the cluster (default: the host name)')
    .option('--state-dir <dir>', 'where the agent keeps its last config (default: $OWNSTACK_HOME/agent/<cluster>)')
    .option('--dns-port <n>', "UDP port on the loopback for the agent's upstream resolver (default: the --listen port)")
    .option('--internal-ports <first-last>', 'loopback ports for URL-upstream bridges (default 20000-20999)')
    .option('--instance-id <id>', "this host's EC2 instance id, for aws_alb instance target groups (default on EC2: read from the instance metadata)")
    .option('--heartbeat <duration>', 'how often the agent reports when nothing changes (default 5s)')
    .option('--caddy-bin <path>', 'the Caddy binary (default: caddy on PATH, or OWNSTACK_CADDY_BIN)')
    .addOption(new Option('--server-info <file>').hideHelp())
    .addOption(new Option('--local-bind <address>').hideHelp())
    .addOption(new Option('--index <n>').hideHelp())
    .addHelpText(
      'after',
      examples(
        'ownstack proxy agent --cluster api --server https://cp.example.com:8443 --token-file /etc/ownstack/agent-api.token --public-address 203.0.113.10 --listen 0.0.0.0:80',
      ) +
        '\nSignals: SIGTERM or Ctrl-C stop the proxy (requests in flight finish) and exit; SIGUSR2 exits and leaves the\n' +
        'proxy serving for the next agent on the same --state-dir, which takes over without a gap.\n',
    );
}

declare const __VERSION__: string;

const listenSchema = z.string().transform((raw, ctx) => {
  const at = parseListen(raw);
  if (!at) {
    ctx.addIssue({ code: 'custom', message: 'an IP address and port, e.g. 0.0.0.0:80, 203.0.113.10:80 or [::]:80' });
    return z.NEVER;
  }
  return { address: isWildcardHost(at.host) ? null : at.host, port: at.port };
});

const rangeSchema = z.string().transform((raw, ctx) => {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(raw);
  const first = m ? Number(m[1]) : NaN;
  const last = m ? Number(m[2]) : NaN;
  if (!m || first < 1024 || last > 65535 || last - first < 2) {
    ctx.addIssue({ code: 'custom', message: 'a port range FIRST-LAST of at least 3 ports from 1024 to 65535, e.g. 20000-20999' });
    return z.NEVER;
  }
  return { first, last };
});

const serverSchema = z.string().transform((raw, ctx) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'a URL such as https://cp.example.com:8443' });
    return z.NEVER;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    ctx.addIssue({ code: 'custom', message: 'an http(s) URL' });
    return z.NEVER;
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    ctx.addIssue({ code: 'custom', message: 'https off loopback: the token and the config must not cross the network in clear text' });
    return z.NEVER;
  }
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    ctx.addIssue({ code: 'custom', message: 'scheme://host[:port] only (no path, query or user info)' });
    return z.NEVER;
  }
  return url.origin;
});

export const agentInput = z
  .object({
    cluster: clusterNameSchema,
    server: serverSchema.optional(),
    serverInfo: z.string().min(1).optional(),
    tokenFile: z.string().min(1, 'a path'),
    listen: listenSchema,
    publicAddress: z
      .string()
      .refine((a) => isIP(a) !== 0, 'an IP address')
      .optional(),
    name: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits and inner dashes, at most 63')
      .optional(),
    stateDir: z.string().min(1).optional(),
    dnsPort: integerSchema({ what: 'port', min: 1, max: 65535 }).optional(),
    internalPorts: rangeSchema,
    instanceId: z
      .string()
      .regex(/^i-[0-9a-f]{8,17}$/, 'an EC2 instance id such as i-0123456789abcdef0')
      .nullable(),
    heartbeat: z.string().refine((d) => checkDuration(d).ok, 'a duration such as 5s').transform((d) => parseDuration(d)),
    caddyBin: z.string().min(1),
    localBind: z.string().refine((a) => isIP(a) !== 0 && isLoopbackHost(a), 'a loopback address').optional(),
    index: integerSchema({ what: 'index', min: 0, max: 250 }).nullable(),
  })
  .superRefine((o, ctx) => {
    if ((o.server === undefined) === (o.serverInfo === undefined)) ctx.addIssue({ code: 'custom', path: ['server'], message: 'the control plane URL is required' });
    if (o.publicAddress === undefined && o.listen.address === null) {
      ctx.addIssue({ code: 'custom', path: ['publicAddress'], message: 'required when --listen is a wildcard address: the edge must know what to publish' });
    }
  });
export type AgentCommandOptions = z.output<typeof agentInput>;

const FLAGS: Record<string, string> = {
  cluster: '--cluster',
  server: '--server',
  serverInfo: '--server-info',
  tokenFile: '--token-file',
  listen: '--listen',
  publicAddress: '--public-address',
  name: '--name',
  stateDir: '--state-dir',
  dnsPort: '--dns-port',
  internalPorts: '--internal-ports',
  instanceId: '--instance-id',
  heartbeat: '--heartbeat',
  caddyBin: '--caddy-bin',
  localBind: '--local-bind',
  index: '--index',
};

export function parse(raw: RawInput, ctx: Context): AgentCommandOptions {
  const o = raw.opts;
  return parseInput(
    agentInput,
    {
      cluster: o.cluster,
      server: o.server,
      serverInfo: o.serverInfo,
      tokenFile: o.tokenFile,
      listen: o.listen ?? '0.0.0.0:80',
      publicAddress: o.publicAddress,
      name: o.name,
      stateDir: o.stateDir,
      dnsPort: o.dnsPort,
      internalPorts: o.internalPorts ?? '20000-20999',
      instanceId: o.instanceId ?? null,
      heartbeat: o.heartbeat ?? '5s',
      caddyBin: o.caddyBin ?? (ctx.env.OWNSTACK_CADDY_BIN?.trim() || 'caddy'),
      localBind: o.localBind,
      index: o.index ?? null,
    },
    FLAGS,
  );
}

export interface AgentRunResult {
  cluster: string;
  name: string;
  signal: string;
  proxy_stopped: boolean;
}

export async function run(o: AgentCommandOptions, ctx: Context): Promise<AgentRunResult> {
  const { Agent } = await import('../../agent/agent.js');
  const name = o.name ?? sanitiseName(hostname()) ?? 'proxy';
  const stateDir = resolve(o.stateDir ?? join(ctx.home, 'agent', o.cluster));
  const listen = o.listen;
  const localBind = o.localBind ?? (listen.address !== null && isLoopbackHost(listen.address) ? listen.address : '127.0.0.1');
  if (o.internalPorts.first <= listen.port && listen.port <= o.internalPorts.last && localBind === (listen.address ?? localBind)) {
    throw new UsageError(`--internal-ports ${o.internalPorts.first}-${o.internalPorts.last} contains the --listen port ${listen.port}`);
  }
  const log = (line: string) => ctx.io.err(`${new Date().toISOString()} agent ${o.cluster}/${name}: ${line}`);
  const agent = new Agent({
    cluster: o.cluster,
    name,
    index: o.index,
    stateDir,
    listen,
    publicAddress: o.publicAddress ?? listen.address!,
    localBind,
    dnsPort: o.dnsPort ?? listen.port,
    ports: o.internalPorts,
    caddyBin: o.caddyBin,
    instanceId: o.instanceId,
    server: o.server !== undefined ? { url: o.server } : { infoFile: resolve(o.serverInfo!) },
    tokenFile: resolve(o.tokenFile),
    heartbeatMs: o.heartbeat,
    pollWaitS: 20,
    restartDelayMs: restartDelayFrom(ctx.env),
    env: ctx.env,
    version: typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev',
    log,
  });
  // Listening before the start: a signal during it is acted on once the proxy runs (never the default kill).
  const stopped = waitForSignal(ctx.signal);
  await agent.start();
  log(`running (pid ${process.pid}, state ${stateDir}, listen ${listen.address ?? '0.0.0.0'}:${listen.port}, public address ${o.publicAddress ?? listen.address})`);
  const signal = await stopped;
  const stopProxy = signal !== 'SIGUSR2';
  log(`${signal}: ${stopProxy ? 'stopping the proxy (requests in flight finish)' : 'leaving the proxy to the next agent'}`);
  await agent.stop({ proxy: stopProxy });
  return { cluster: o.cluster, name, signal, proxy_stopped: stopProxy };
}

/** OWNSTACK_PROXY_RESTART_DELAY (default 500ms): how soon a dead Caddy is started again. */
function restartDelayFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.OWNSTACK_PROXY_RESTART_DELAY?.trim();
  if (!raw) return 500;
  if (!checkDuration(raw).ok) throw new UsageError(`invalid OWNSTACK_PROXY_RESTART_DELAY "${raw}": a duration such as 500ms or 5s`);
  return parseDuration(raw);
}

/** Resolves with the signal that ends the agent (Ctrl-C arrives as the context's abort). */
function waitForSignal(abort: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const handlers: [NodeJS.Signals, () => void][] = [];
    const done = (why: string) => {
      for (const [s, h] of handlers) process.off(s, h);
      abort.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onAbort = () => done('SIGINT');
    for (const s of ['SIGTERM', 'SIGHUP', 'SIGUSR2'] as const) {
      const h = () => done(s);
      handlers.push([s, h]);
      process.once(s, h);
    }
    if (abort.aborted) return done('SIGINT');
    abort.addEventListener('abort', onAbort, { once: true });
  });
}

export function render(r: AgentRunResult, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, r);
  if (ctx.globals.quiet) return;
  ctx.io.out(successLine(ctx.io, `Agent ${r.cluster}/${r.name} stopped (${r.signal}; ${r.proxy_stopped ? 'the proxy is stopped' : 'the proxy keeps serving for the next agent'})`));
}
