// cluster member weight: PUT the new weight after checking it is 0..1000.
import { Argument, type Command } from 'commander';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import type { ResponseOf } from '../../../api/routes.js';
import { memberWeightRequest } from '../../../api/requests.js';
import { parseInput } from '../../../inputs/index.js';
import { renderMutation } from '../../../output/plan.js';
import { parseMemberRef, type MemberRef } from './ref.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<app>', 'the member app'), 'member'))
    .argument('<weight>', 'relative weight from 0 (no traffic) to 1000')
    .option('--dry-run', 'show the plan without applying it')
    .option('--force', 'act even when it would leave a hostname that is served now with no healthy upstream (the control plane refuses with exit 5)')
    .addHelpText('after', examples('ownstack cluster member weight api my-rails-app 50', 'ownstack cluster member weight api my-rails-app 0 --dry-run'));
}

export interface MemberWeightOptions extends MemberRef {
  weight: number;
  dryRun: boolean;
  force: boolean;
}

export function parse(raw: RawInput): MemberWeightOptions {
  const ref = parseMemberRef(raw);
  const dryRun = raw.opts.dryRun === true;
  const body = parseInput(memberWeightRequest, { weight: raw.args[2], dry_run: dryRun }, { weight: '<weight>' });
  return { ...ref, weight: body.weight, dryRun, force: raw.opts.force === true };
}

export async function run(o: MemberWeightOptions, ctx: Context): Promise<ResponseOf<'memberWeight'>> {
  const api = await ctx.api();
  return api.call('memberWeight', { params: { cluster: o.cluster, app: o.app }, body: { weight: o.weight, dry_run: o.dryRun, force: o.force } });
}

export function render(response: ResponseOf<'memberWeight'>, ctx: Context, o: MemberWeightOptions): void {
  const m = response.result;
  const note = m.weight === 0 ? ' (no traffic unless it is the only member left)' : '';
  renderMutation(ctx, response, `Set the weight of ${m.app} in cluster ${m.cluster} to ${m.weight}${note}`, o.dryRun);
}
