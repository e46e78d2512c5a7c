// cluster member drain: the proxy stops sending new connections to the member.
import { Argument, type Command } from 'commander';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import type { ResponseOf } from '../../../api/routes.js';
import { renderMutation } from '../../../output/plan.js';
import { parseMemberRef, type MemberRef } from './ref.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<app>', 'the member app'), 'member'))
    .option('--dry-run', 'show the plan without applying it')
    .option('--force', 'act even when it would leave a hostname that is served now with no healthy upstream (the control plane refuses with exit 5)')
    .addHelpText('after', examples('ownstack cluster member drain api my-rails-app', 'ownstack cluster member drain api my-rails-app --dry-run'));
}

export interface MemberDrainOptions extends MemberRef {
  dryRun: boolean;
  force: boolean;
}

export function parse(raw: RawInput): MemberDrainOptions {
  return { ...parseMemberRef(raw), dryRun: raw.opts.dryRun === true, force: raw.opts.force === true };
}

export async function run(o: MemberDrainOptions, ctx: Context): Promise<ResponseOf<'memberDrain'>> {
  const api = await ctx.api();
  return api.call('memberDrain', { params: { cluster: o.cluster, app: o.app }, body: { dry_run: o.dryRun, force: o.force } });
}

export function render(response: ResponseOf<'memberDrain'>, ctx: Context, o: MemberDrainOptions): void {
  const m = response.result;
  renderMutation(ctx, response, `Draining ${m.app} in cluster ${m.cluster}: no new connections, existing ones finish (undo: ownstack cluster member undrain ${m.cluster} ${m.app})`, o.dryRun);
}
