// cluster variant add: validate locally (same schema as the server), then POST.
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import { variantAddRequest } from '../../../api/requests.js';
import type { Variant } from '../../../api/schemas.js';
import { clusterRefSchema, parseInput } from '../../../inputs/index.js';
import { renderMutation, type MutationResponse } from '../../../output/plan.js';
import { variantOptions } from './flags.js';

export function define(cmd: Command): void {
  variantOptions(
    cmd
      .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
      .argument('<name>', 'variant name (lower case letters, digits, dashes)'),
  )
    .addHelpText('after', examples('ownstack cluster variant add api blue --weight=100', 'ownstack cluster variant add api green --description="next release"'));
}

export const variantAddInput = z.object({ cluster: clusterRefSchema, request: variantAddRequest });
export type VariantAddOptions = z.output<typeof variantAddInput>;

/** Issue path → the flag or argument the user typed. */
export const variantFlags: Record<string, string> = {
  cluster: '<cluster>',
  'request.name': '<name>',
  'request.weight': '--weight',
  'request.status': '--status',
  'request.description': '--description',
  'request.dry_run': '--dry-run',
};

export function parse(raw: RawInput): VariantAddOptions {
  const o = raw.opts;
  return parseInput(
    variantAddInput,
    {
      cluster: raw.args[0],
      request: { name: raw.args[1], weight: o.weight, status: o.status, description: o.description, dry_run: Boolean(o.dryRun) },
    },
    variantFlags,
  );
}

export async function run(o: VariantAddOptions, ctx: Context): Promise<MutationResponse<Variant>> {
  const api = await ctx.api();
  return api.call('variantAdd', { params: { cluster: o.cluster }, body: o.request });
}

export function render(r: MutationResponse<Variant>, ctx: Context, o: VariantAddOptions): void {
  const v = r.result;
  renderMutation(ctx, r, `Added variant ${v.name} to ${v.cluster} (weight ${v.weight}, ${v.status}${v.routed ? ', routed' : ''})`, o.request.dry_run);
}
