// cluster variant remove: confirm by retyping the name (or --yes; a dry run needs neither), then DELETE.
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import type { Variant } from '../../../api/schemas.js';
import { clusterRefSchema, parseInput, variantRefSchema } from '../../../inputs/index.js';
import { runConfirmedRemove } from '../../confirm.js';
import { renderMutation, type MutationResponse } from '../../../output/plan.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<name>', 'variant name'), 'variant'))
    .option('--dry-run', 'print the plan without changing anything')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .addHelpText('after', examples('ownstack cluster variant remove api heroku', 'ownstack cluster variant remove api heroku --dry-run'));
}

export const variantRemoveInput = z.object({ cluster: clusterRefSchema, name: variantRefSchema, dry_run: z.boolean(), yes: z.boolean() });
export type VariantRemoveOptions = z.output<typeof variantRemoveInput>;

export function parse(raw: RawInput): VariantRemoveOptions {
  return parseInput(
    variantRemoveInput,
    { cluster: raw.args[0], name: raw.args[1], dry_run: Boolean(raw.opts.dryRun), yes: Boolean(raw.opts.yes) },
    { cluster: '<cluster>', name: '<name>', dry_run: '--dry-run', yes: '--yes' },
  );
}

export async function run(o: VariantRemoveOptions, ctx: Context): Promise<MutationResponse<Variant>> {
  return runConfirmedRemove(ctx, 'variantRemove', { cluster: o.cluster, variant: o.name }, { yes: o.yes, dryRun: o.dry_run }, {
    what: `remove variant ${o.name} and its upstreams from cluster ${o.cluster}`,
    expected: o.name,
  });
}

export function render(r: MutationResponse<Variant>, ctx: Context, o: VariantRemoveOptions): void {
  renderMutation(ctx, r, `Removed variant ${r.result.name} from ${r.result.cluster}`, o.dry_run);
}
