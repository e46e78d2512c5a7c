// cluster variant remove: confirm by retyping the name (or --yes; a dry run needs neither), then DELETE.
import * as z from 'zod';
import type { Context } from '../../../context.js';
import type { RawInput } from '../../define.js';
import type { Variant } from '../../../api/schemas.js';
import { clusterNameSchema, parseInput, variantNameSchema } from '../../../inputs/index.js';
import { UsageError } from '../../../errors.js';
import { renderMutation, type MutationResponse } from '../../../output/plan.js';

export const variantRemoveInput = z.object({ cluster: clusterNameSchema, name: variantNameSchema, dry_run: z.boolean(), yes: z.boolean() });
export type VariantRemoveOptions = z.output<typeof variantRemoveInput>;

export function parse(raw: RawInput): VariantRemoveOptions {
  return parseInput(
    variantRemoveInput,
    { cluster: raw.args[0], name: raw.args[1], dry_run: Boolean(raw.opts.dryRun), yes: Boolean(raw.opts.yes) },
    { cluster: '<cluster>', name: '<name>', dry_run: '--dry-run', yes: '--yes' },
  );
}

export async function run(o: VariantRemoveOptions, ctx: Context): Promise<MutationResponse<Variant>> {
  if (!o.yes && !o.dry_run) {
    if (!(await ctx.prompt.confirmName(`remove variant ${o.name} and its upstreams from cluster ${o.cluster}`, o.name)))
      throw new UsageError('aborted: the name did not match');
  }
  const api = await ctx.api();
  return api.call('variantRemove', { params: { cluster: o.cluster, variant: o.name }, query: { dry_run: o.dry_run } });
}

export function render(r: MutationResponse<Variant>, ctx: Context, o: VariantRemoveOptions): void {
  renderMutation(ctx, r, `Removed variant ${r.result.name} from ${r.result.cluster}`, o.dry_run);
}
