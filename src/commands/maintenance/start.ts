// maintenance start: drain every upstream address on the host in every cluster, then wait for the
// requests in flight to them (bounded by --timeout).
import type { Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, examples } from '../define.js';
import { maintenanceStartRequest, type MaintenanceChange } from '../../api/maintenance.js';
import { parseInput } from '../../inputs/index.js';
import { printJson } from '../../output/json.js';
import { DEFAULT_DRAIN_TIMEOUT, FORCE_HELP, TIMEOUT_HELP, drainTimeout, hostArg, hostArgument, hostFlags, renderChange, waitForDrain, type DrainWait } from './drain.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(hostArgument())
    .option('--force', FORCE_HELP)
    .option('--timeout <duration>', TIMEOUT_HELP)
    .option('--dry-run', 'show what would be drained (and any refusal) without changing anything')
    .addHelpText('after', examples('ownstack maintenance start 10.0.0.5', 'ownstack maintenance start 10.0.0.5 --dry-run'));
}

export const startInput = z.object({ host: hostArg, request: maintenanceStartRequest, timeoutMs: drainTimeout });
export type StartOptions = z.output<typeof startInput>;

export function parse(raw: RawInput): StartOptions {
  const o = raw.opts;
  return parseInput(startInput, { host: raw.args[0], request: { dry_run: Boolean(o.dryRun), force: Boolean(o.force) }, timeoutMs: o.timeout ?? DEFAULT_DRAIN_TIMEOUT }, hostFlags);
}

export interface StartResult {
  change: MaintenanceChange;
  wait: DrainWait;
}

/** Drains the host and waits for its requests in flight (the first half of `maintenance run`). */
export async function run(o: StartOptions, ctx: Context): Promise<StartResult> {
  const api = await ctx.api();
  const change = await api.call('maintenanceStart', { params: { host: o.host }, body: o.request });
  const wait = await waitForDrain(api, ctx, o.host, change, o.timeoutMs);
  return { change, wait };
}

export function render(r: StartResult, ctx: Context): void {
  if (ctx.globals.json) {
    printJson(ctx.io, { ...r.change, wait: r.wait });
    return;
  }
  renderChange(ctx, r.change, r.wait, 'drained');
}
