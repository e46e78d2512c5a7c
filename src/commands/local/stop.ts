// local stop: SIGTERM the server named by server.json, wait (bounded), then SIGKILL. Idempotent.
// The proxies keep serving unless --proxies.
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { type RawInput, examples } from '../define.js';
import { printJson } from '../../output/json.js';
import { successLine } from '../../output/style.js';
import { STOP_GRACE_MS, stopLocalControlPlane, type StopResult } from '../../local/stop.js';

export function define(cmd: Command): void {
  cmd
    .option('--proxies', "also stop every local proxy: takes the local clusters' traffic down")
    .addHelpText(
      'after',
      examples('ownstack local stop', 'ownstack local stop --proxies', 'ownstack local stop --json') +
        '\nThe proxies are agent processes of their own: they keep serving the last config while the control plane is\n' +
        'stopped, restarted or upgraded, and the next control plane adopts them. --proxies stops them too.\n',
    );
}

export interface LocalStopOptions {
  proxies: boolean;
}

export function parse(raw: RawInput): LocalStopOptions {
  return { proxies: Boolean(raw.opts.proxies) };
}

export async function run(o: LocalStopOptions, ctx: Context): Promise<StopResult> {
  return stopLocalControlPlane({ home: ctx.home, clock: ctx.clock, proxies: o.proxies });
}

export function render(r: StopResult, ctx: Context, o: LocalStopOptions): void {
  if (ctx.globals.json) return printJson(ctx.io, r);
  const proxies = `${r.stopped_proxies} ${r.stopped_proxies === 1 ? 'proxy' : 'proxies'}`;
  if (!r.was_running) {
    if (o.proxies && !ctx.globals.quiet) ctx.io.out(successLine(ctx.io, `The local control plane is not running; stopped ${proxies}`));
    else ctx.notice('The local control plane is not running.');
    return;
  }
  if (r.forced) ctx.notice(`note: it did not stop within ${STOP_GRACE_MS / 1000} s of SIGTERM; sent SIGKILL`);
  if (ctx.globals.quiet) return;
  ctx.io.out(
    successLine(
      ctx.io,
      `Stopped the local control plane (pid ${r.pid}, ${r.url}); its state stays on disk${o.proxies ? ` and ${proxies} stopped` : '; the proxies keep serving (stop them with --proxies)'}`,
    ),
  );
}
