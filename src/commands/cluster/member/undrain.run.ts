// cluster member undrain: the member receives new connections again.
import type { Context } from '../../../context.js';
import type { ResponseOf } from '../../../api/routes.js';
import { renderMutation } from '../../../output/plan.js';
import type { MemberDrainOptions } from './drain.run.js';

export { parse } from './drain.run.js';

export async function run(o: MemberDrainOptions, ctx: Context): Promise<ResponseOf<'memberUndrain'>> {
  const api = await ctx.api();
  return api.call('memberUndrain', { params: { cluster: o.cluster, app: o.app }, body: { dry_run: o.dryRun } });
}

export function render(response: ResponseOf<'memberUndrain'>, ctx: Context, o: MemberDrainOptions): void {
  const m = response.result;
  renderMutation(ctx, response, `Undrained ${m.app} in cluster ${m.cluster}: it receives new connections again`, o.dryRun);
}
