// cluster variant update: at least one of weight/status/description; validated locally, then PATCH.
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import { variantUpdateRequest } from '../../../api/requests.js';
import type { Variant } from '../../../api/schemas.js';
import { clusterRefSchema, parseInput, variantRefSchema } from '../../../inputs/index.js';
import { UsageError } from '../../../errors.js';
import { renderMutation, type MutationResponse } from '../../../output/plan.js';
import { variantFlags } from './add.js';
import { variantOptions } from './flags.js';

export function define(cmd: Command): void {
  variantOptions(
    cmd
      .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
      .addArgument(completes(new Argument('<name>', 'variant name'), 'variant')),
  )
    .option('--force', 'act even when it would leave a hostname that is served now with no healthy upstream (the control plane refuses with exit 5)')
    .addHelpText('after', examples('ownstack cluster variant update api green --weight=10   # canary', 'ownstack cluster variant update api blue --status=draining --dry-run'));
}

export const variantUpdateInput = z.object({ cluster: clusterRefSchema, name: variantRefSchema, request: variantUpdateRequest });
export type VariantUpdateOptions = z.output<typeof variantUpdateInput>;

export function parse(raw: RawInput): VariantUpdateOptions {
  const o = raw.opts;
  const flags = { ...variantFlags, name: '<name>' };
  const parsed = parseInput(
    variantUpdateInput.omit({ request: true }),
    { cluster: raw.args[0], name: raw.args[1] },
    flags,
  );
  if (o.weight === undefined && o.status === undefined && o.description === undefined) {
    throw new UsageError('nothing to update: give at least one of --weight, --status or --description', {
      hint: `e.g. ownstack cluster variant update ${parsed.cluster} ${parsed.name} --weight=100`,
    });
  }
  return parseInput(
    variantUpdateInput,
    { ...parsed, request: { weight: o.weight, status: o.status, description: o.description, dry_run: Boolean(o.dryRun), force: Boolean(o.force) } },
    flags,
  );
}

export async function run(o: VariantUpdateOptions, ctx: Context): Promise<MutationResponse<Variant>> {
  const api = await ctx.api();
  return api.call('variantUpdate', { params: { cluster: o.cluster, variant: o.name }, body: o.request });
}

export function render(r: MutationResponse<Variant>, ctx: Context, o: VariantUpdateOptions): void {
  const v = r.result;
  renderMutation(ctx, r, `Updated variant ${v.name} on ${v.cluster} (weight ${v.weight}, ${v.status}${v.routed ? ', routed' : ''})`, o.request.dry_run);
}
