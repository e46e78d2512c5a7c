// cluster member remove: confirm by retyping the app name (unless --yes or --dry-run), then DELETE.
import { Argument, type Command } from 'commander';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import type { ResponseOf } from '../../../api/routes.js';
import { runConfirmedRemove } from '../../confirm.js';
import { renderMutation } from '../../../output/plan.js';
import { parseMemberRef, type MemberRef } from './ref.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<app>', 'the member app'), 'member'))
    .option('--dry-run', 'show the plan without applying it')
    .option('-y, --yes', 'do not ask for confirmation (needed when not on a terminal)')
    .addHelpText('after', examples('ownstack cluster member remove api my-rails-app', 'ownstack cluster member remove api my-rails-app --yes'));
}

export interface MemberRemoveOptions extends MemberRef {
  dryRun: boolean;
  yes: boolean;
}

export function parse(raw: RawInput): MemberRemoveOptions {
  return { ...parseMemberRef(raw), dryRun: raw.opts.dryRun === true, yes: raw.opts.yes === true };
}

export async function run(o: MemberRemoveOptions, ctx: Context): Promise<ResponseOf<'memberRemove'>> {
  return runConfirmedRemove(ctx, 'memberRemove', { cluster: o.cluster, app: o.app }, o, {
    what: `remove member ${o.app} from cluster ${o.cluster}`,
    expected: o.app,
  });
}

export function render(response: ResponseOf<'memberRemove'>, ctx: Context, o: MemberRemoveOptions): void {
  const m = response.result;
  renderMutation(ctx, response, `Removed ${m.app} from cluster ${m.cluster} (the app itself was not touched)`, o.dryRun);
}
