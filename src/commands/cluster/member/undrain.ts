// cluster member undrain: the member receives new connections again.
import { Argument, type Command } from 'commander';
import type { Context } from '../../../context.js';
import type { ResponseOf } from '../../../api/routes.js';
import { renderMutation } from '../../../output/plan.js';
import type { MemberDrainOptions } from './drain.js';
import { completes, examples } from '../../define.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<app>', 'the member app'), 'member'))
    .option('--dry-run', 'show the plan without applying it')
    .addHelpText('after', examples('ownstack cluster member undrain api my-rails-app'));
}

export { parse } from './drain.js';

export async function run(o: MemberDrainOptions, ctx: Context): Promise<ResponseOf<'memberUndrain'>> {
  const api = await ctx.api();
  return api.call('memberUndrain', { params: { cluster: o.cluster, app: o.app }, body: { dry_run: o.dryRun } });
}

export function render(response: ResponseOf<'memberUndrain'>, ctx: Context, o: MemberDrainOptions): void {
  const m = response.result;
  renderMutation(ctx, response, `Undrained ${m.app} in cluster ${m.cluster}: it receives new connections again`, o.dryRun);
}
