// cluster member add: POST the app (and optional variant/weight) after local validation.
import type { z } from 'zod';
import type { Context } from '../../../context.js';
import type { RawInput } from '../../define.js';
import { memberAddRequest } from '../../../api/requests.js';
import type { Member } from '../../../api/schemas.js';
import type { ResponseOf } from '../../../api/routes.js';
import { clusterRefSchema, parseInput } from '../../../inputs/index.js';
import { renderMutation } from '../../../output/plan.js';

export const memberAddFlags: Record<string, string> = { app: '<app>', variant: '--variant', weight: '--weight' };

export interface MemberAddOptions {
  cluster: string;
  request: z.output<typeof memberAddRequest>;
}

export function parse(raw: RawInput): MemberAddOptions {
  const o = raw.opts as Record<string, string | boolean | undefined>;
  return {
    cluster: parseInput(clusterRefSchema, raw.args[0], { '': '<cluster>' }),
    request: parseInput(memberAddRequest, { app: raw.args[1], variant: o.variant, weight: o.weight, dry_run: o.dryRun === true }, memberAddFlags),
  };
}

export async function run(o: MemberAddOptions, ctx: Context): Promise<ResponseOf<'memberAdd'>> {
  const api = await ctx.api();
  return api.call('memberAdd', { params: { cluster: o.cluster }, body: o.request });
}

/** "variant blue, weight 100, 2 addresses" */
export function describeMember(m: Member): string {
  const n = m.addresses.length;
  return `variant ${m.variants.join(',') || '-'}, weight ${m.weight}, ${n} ${n === 1 ? 'address' : 'addresses'}`;
}

export function render(response: ResponseOf<'memberAdd'>, ctx: Context, o: MemberAddOptions): void {
  const m = response.result;
  renderMutation(ctx, response, `Added ${m.app} to cluster ${m.cluster} (${describeMember(m)})`, o.request.dry_run);
}
