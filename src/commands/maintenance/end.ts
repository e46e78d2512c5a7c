// maintenance end: undrain exactly what maintenance of the host drained.
import type { Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, examples } from '../define.js';
import { maintenanceEndRequest, type MaintenanceChange } from '../../api/maintenance.js';
import { parseInput } from '../../inputs/index.js';
import { printJson } from '../../output/json.js';
import { hostArg, hostArgument, hostFlags, renderChange } from './drain.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(hostArgument())
    .option('--dry-run', 'show what would be undrained without changing anything')
    .addHelpText('after', examples('ownstack maintenance end 10.0.0.5'));
}

export const endInput = z.object({ host: hostArg, request: maintenanceEndRequest });
export type EndOptions = z.output<typeof endInput>;

export function parse(raw: RawInput): EndOptions {
  return parseInput(endInput, { host: raw.args[0], request: { dry_run: Boolean(raw.opts.dryRun) } }, hostFlags);
}

export async function run(o: EndOptions, ctx: Context): Promise<MaintenanceChange> {
  const api = await ctx.api();
  return api.call('maintenanceEnd', { params: { host: o.host }, body: o.request });
}

export function render(c: MaintenanceChange, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, c);
  renderChange(ctx, c, null, 'undrained');
}
