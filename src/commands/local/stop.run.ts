// local stop: SIGTERM the server named by server.json, wait (bounded), then SIGKILL. Idempotent.
import type { Context } from '../../context.js';
import type { RawInput } from '../define.js';
import { printJson } from '../../output/json.js';
import { successLine } from '../../output/style.js';
import { STOP_GRACE_MS, stopLocalControlPlane, type StopResult } from '../../control-plane/launcher.js';

export type LocalStopOptions = Record<string, never>;

export function parse(_raw: RawInput): LocalStopOptions {
  return {};
}

export async function run(_o: LocalStopOptions, ctx: Context): Promise<StopResult> {
  return stopLocalControlPlane({ home: ctx.home, clock: ctx.clock });
}

export function render(r: StopResult, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, r);
  const proxies = `${r.stopped_proxies} proxy ${r.stopped_proxies === 1 ? 'process' : 'processes'}`;
  if (!r.was_running) {
    ctx.notice('The local control plane is not running.');
    if (r.stopped_proxies > 0) ctx.notice(`stopped ${proxies} left behind by an earlier server`);
    return;
  }
  if (r.forced) ctx.notice(`note: it did not stop within ${STOP_GRACE_MS / 1000} s of SIGTERM; sent SIGKILL`);
  const what = r.stopped_proxies > 0 ? ` and ${proxies}` : '';
  if (!ctx.globals.quiet) ctx.io.out(successLine(ctx.io, `Stopped the local control plane (pid ${r.pid}, ${r.url})${what}; its state stays on disk`));
}
