// local start: in the background (idempotent: an already running server is fine), or with
// --foreground in this process until SIGTERM / Ctrl-C, which is what a systemd unit runs.
import type { Command } from 'commander';
import * as z from 'zod';
import { appendFileSync } from 'node:fs';
import type { Context } from '../../context.js';
import { type RawInput, examples } from '../define.js';
import { integerSchema, parseInput } from '../../inputs/index.js';
import { resolve } from 'node:path';
import { ConflictError, FailedError, UsageError } from '../../errors.js';
import { loadTls, removeNetwork, selfSignedPair, writeNetwork } from '../../control-plane/network.js';
import { parseListen } from '../../inputs/listen.js';
import { printJson } from '../../output/json.js';
import { successLine } from '../../output/style.js';
import { localPaths, tildify, type ServerInfo } from '../../local/files.js';
import { findRunning } from '../../local/find.js';
import { withStartLock } from '../../local/lock.js';
import { ensureRunning, requestedPort } from '../../local/start.js';

export function define(cmd: Command): void {
  cmd
    .option('--foreground', 'run in this process until SIGTERM or Ctrl-C (for systemd); the log goes to stderr and server.log')
    .option('--port <n>', 'port on 127.0.0.1 (default: OWNSTACK_LOCAL_PORT, else any free port)')
    .option('--listen <address:port>', 'also serve HTTPS here for agents and operators on other hosts, e.g. 0.0.0.0:8443 (kept for later starts; "off" removes it)')
    .option('--tls-cert <file>', 'PEM certificate (chain) of the --listen address')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--tls-self-signed', 'make a self-signed pair in the state folder (agents trust it with NODE_EXTRA_CA_CERTS)')
    .addHelpText(
      'after',
      examples(
        'ownstack local start',
        'ownstack local start --port=47100',
        'OWNSTACK_HOME=/var/lib/ownstack ownstack local start --foreground',
        'ownstack local start --foreground --listen 0.0.0.0:8443 --tls-cert /etc/ownstack/cp.crt --tls-key /etc/ownstack/cp.key',
        'ownstack local start --listen 10.0.0.5:8443 --tls-self-signed',
        'ownstack local start --json | jq -r .url',
      ),
    );
}

const listenSchema = z.string().transform((raw, ctx) => {
  if (raw === 'off') return 'off' as const;
  const at = parseListen(raw);
  if (!at) {
    ctx.addIssue({ code: 'custom', message: 'an IP address and port such as 0.0.0.0:8443, 10.0.0.5:8443 or [::]:8443, or off' });
    return z.NEVER;
  }
  return at;
});

export const localStartInput = z
  .object({
    foreground: z.boolean(),
    port: integerSchema({ what: 'port', min: 0, max: 65535 }).optional(),
    listen: listenSchema.optional(),
    tlsCert: z.string().min(1, 'a file path').optional(),
    tlsKey: z.string().min(1, 'a file path').optional(),
    tlsSelfSigned: z.boolean(),
  })
  .superRefine((o, ctx) => {
    const tls = o.tlsCert !== undefined || o.tlsKey !== undefined || o.tlsSelfSigned;
    if ((o.listen === undefined || o.listen === 'off') && tls) {
      ctx.addIssue({ code: 'custom', path: [o.tlsSelfSigned ? 'tlsSelfSigned' : o.tlsCert !== undefined ? 'tlsCert' : 'tlsKey'], message: 'only with --listen ADDRESS:PORT (the TLS listener it configures)' });
      return;
    }
    if (o.listen === undefined || o.listen === 'off') return;
    if (o.tlsSelfSigned && (o.tlsCert !== undefined || o.tlsKey !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tlsSelfSigned'], message: 'either --tls-self-signed or --tls-cert with --tls-key, not both' });
    } else if (!o.tlsSelfSigned && (o.tlsCert === undefined || o.tlsKey === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['listen'],
        message: 'serves other hosts, so it is HTTPS only: give --tls-cert and --tls-key (or --tls-self-signed); plain http stays on 127.0.0.1',
      });
    }
  });
export type LocalStartOptions = z.output<typeof localStartInput>;

/** What `local start` prints with --json. */
export interface LocalStartResult extends ServerInfo {
  /** False when it was already running. */
  started: boolean;
  foreground: boolean;
  state_dir: string;
  log: string;
}

export function parse(raw: RawInput): LocalStartOptions {
  const o = raw.opts;
  return parseInput(
    localStartInput,
    { foreground: Boolean(o.foreground), port: o.port, listen: o.listen, tlsCert: o.tlsCert, tlsKey: o.tlsKey, tlsSelfSigned: Boolean(o.tlsSelfSigned) },
    { foreground: '--foreground', port: '--port', listen: '--listen', tlsCert: '--tls-cert', tlsKey: '--tls-key', tlsSelfSigned: '--tls-self-signed' },
  );
}

export async function run(o: LocalStartOptions, ctx: Context): Promise<LocalStartResult> {
  const paths = localPaths(ctx.home);
  const where = { state_dir: paths.dir, log: paths.log };
  if (o.listen !== undefined) await configureNetwork(o, ctx);
  if (o.foreground) return { ...(await runForeground(o, ctx)), started: true, foreground: true, ...where };
  const r = await ensureRunning({ home: ctx.home, env: ctx.env, clock: ctx.clock, port: o.port });
  if (!r.started && o.port !== undefined && o.port !== 0 && o.port !== r.info.port) {
    ctx.notice(`note: it already runs on port ${r.info.port}; to move it to port ${o.port}: ownstack local stop && ownstack local start --port=${o.port}`);
  }
  return { ...r.info, started: r.started, foreground: false, ...where };
}

/**
 * Saves (or with `off` removes) the network listener's settings, which every later start reads. Refused
 * while the control plane runs: a listener is opened at start, so the change would silently wait.
 */
async function configureNetwork(o: LocalStartOptions, ctx: Context): Promise<void> {
  const paths = localPaths(ctx.home);
  const running = await findRunning(paths, ctx.clock);
  if (running) {
    throw new ConflictError(`the local control plane already runs on ${running.url} (pid ${running.pid}); --listen takes effect when it starts`, {
      hint: 'stop it first: `ownstack local stop` (the proxies keep serving), then start it again with --listen',
    });
  }
  if (o.listen === 'off') {
    removeNetwork(paths.dir);
    return;
  }
  const at = o.listen!;
  const pair = o.tlsSelfSigned ? await selfSignedPair(paths.dir, at.host).catch((err: Error) => {
    throw new FailedError(`--tls-self-signed: ${err.message}`);
  }) : { cert: resolve(o.tlsCert!), key: resolve(o.tlsKey!) };
  try {
    loadTls(pair);
  } catch (err) {
    throw new UsageError(`invalid --tls-cert/--tls-key: ${(err as Error).message}`);
  }
  await writeNetwork(paths.dir, { host: at.host, port: at.port, ...pair, self_signed: o.tlsSelfSigned });
  if (o.tlsSelfSigned) ctx.notice(`TLS: a self-signed certificate ${tildify(pair.cert)}; agents and CLIs on other hosts trust it with NODE_EXTRA_CA_CERTS=<a copy of it>`);
}

const CLOSE_TIMEOUT_MS = 15_000;

async function runForeground(o: LocalStartOptions, ctx: Context): Promise<ServerInfo> {
  const paths = localPaths(ctx.home);
  const port = requestedPort(ctx.env, o.port);
  // The journal (stderr) gets every line, and server.log too, so `ownstack local logs` works.
  const log = (line: string) => {
    const stamped = `${new Date().toISOString()} ${line}`;
    ctx.io.err(stamped);
    try {
      appendFileSync(paths.log, stamped + '\n', { mode: 0o600 });
    } catch {
      /* the log file is a convenience; stderr has the line */
    }
  };
  const serving = await withStartLock(paths, ctx.clock, async () => {
    const running = await findRunning(paths, ctx.clock);
    if (running) {
      throw new ConflictError(`the local control plane already runs on ${running.url} (pid ${running.pid})`, { hint: 'stop it first: `ownstack local stop`' });
    }
    const { serveHere } = await import('../../control-plane/compose.js');
    return serveHere({ home: ctx.home, port, log });
  });
  const { info } = serving;
  log(`ownstack control plane ${info.version} ready on ${info.url} (pid ${info.pid}, state ${paths.dir}, foreground)`);
  ctx.notice(`Local control plane running on ${info.url}${info.network_url ? ` and ${info.network_url} (TLS, for other hosts)` : ''} (state ${tildify(paths.dir)}); Ctrl-C or SIGTERM stops it`);

  const why = await waitForStopSignal(ctx.signal);
  log(`${why}: shutting down`);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      serving.close(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new FailedError(`the local control plane did not shut down within ${CLOSE_TIMEOUT_MS / 1000} s`)), CLOSE_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  log('stopped');
  return info;
}

/** Resolves on Ctrl-C (the context's signal), SIGTERM or SIGHUP: what ends a foreground server. */
function waitForStopSignal(signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      signal.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onTerm = () => done('SIGTERM');
    const onHup = () => done('SIGHUP');
    const onAbort = () => done('SIGINT');
    if (signal.aborted) return resolve('SIGINT');
    process.once('SIGTERM', onTerm);
    process.once('SIGHUP', onHup);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function render(r: LocalStartResult, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, r);
  if (ctx.globals.quiet) return;
  if (r.foreground) {
    ctx.io.out(successLine(ctx.io, `Stopped the local control plane (was on ${r.url})`));
    return;
  }
  const where = `pid ${r.pid}; state ${tildify(r.state_dir)}, log ${tildify(r.log)}; stop: ownstack local stop`;
  const on = r.network_url ? `${r.url} and ${r.network_url} (TLS, for other hosts)` : r.url;
  ctx.io.out(successLine(ctx.io, r.started ? `Started the local control plane on ${on} (${where})` : `The local control plane is already running on ${on} (${where})`));
}
