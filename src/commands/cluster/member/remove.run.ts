// cluster member remove: confirm by retyping the app name (unless --yes or --dry-run), then DELETE.
import type { Context } from '../../../context.js';
import type { RawInput } from '../../define.js';
import type { ResponseOf } from '../../../api/routes.js';
import { runConfirmedRemove } from '../../confirm.js';
import { renderMutation } from '../../../output/plan.js';
import { parseMemberRef, type MemberRef } from './ref.js';

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
