// cluster switch: route every hostname to one variant in one transaction; --dry-run shows the plan.
import { Argument, Option, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import { switchRequest } from '../../api/requests.js';
import type { SwitchResult } from '../../api/schemas.js';
import { clusterRefSchema, parseInput } from '../../inputs/index.js';
import { renderMutation } from '../../output/plan.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addOption(completes(new Option('--to <variant>', 'the variant that gets all the traffic').makeOptionMandatory(), 'variant'))
    .option('--dry-run', 'print the plan (env, Caddyfile, edge records) without changing anything')
    .option('--force', 'switch even when the control plane would refuse (e.g. the target variant has no healthy upstream)')
    .addHelpText(
      'after',
      examples('ownstack cluster switch api --to=green --dry-run', 'ownstack cluster switch api --to=green', 'ownstack cluster switch api --to=blue   # roll back'),
    );
}

export const switchInput = z.object({ cluster: clusterRefSchema, request: switchRequest });
export type SwitchOptions = z.output<typeof switchInput>;

export const switchFlags: Record<string, string> = {
  cluster: '<cluster>',
  'request.to': '--to',
  'request.dry_run': '--dry-run',
  'request.force': '--force',
};

export function parse(raw: RawInput): SwitchOptions {
  const o = raw.opts;
  return parseInput(
    switchInput,
    { cluster: raw.args[0], request: { to: o.to, dry_run: Boolean(o.dryRun), force: Boolean(o.force) } },
    switchFlags,
  );
}

export async function run(o: SwitchOptions, ctx: Context): Promise<SwitchResult> {
  const api = await ctx.api();
  return api.call('switch', { params: { cluster: o.cluster }, body: o.request });
}

/** Distinct hostnames the plan covers (per-host env vars; the union var has no hostname). */
function hostnameCount(r: SwitchResult): number {
  return new Set(r.plan.env.map((e) => e.hostname).filter((h) => h !== null)).size;
}

export function render(r: SwitchResult, ctx: Context, o: SwitchOptions): void {
  const n = hostnameCount(r);
  renderMutation(ctx, { result: r, plan: r.plan }, `Switched ${r.cluster} to ${r.to} (${n} ${n === 1 ? 'hostname' : 'hostnames'})`, o.request.dry_run);
}
