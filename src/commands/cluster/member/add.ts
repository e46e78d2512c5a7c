// cluster member add: POST the app (and optional variant/weight) after local validation.
import { Argument, Option, type Command } from 'commander';
import type { z } from 'zod';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import { memberAddRequest } from '../../../api/requests.js';
import type { Member } from '../../../api/schemas.js';
import type { ResponseOf } from '../../../api/routes.js';
import { clusterRefSchema, parseInput } from '../../../inputs/index.js';
import { renderMutation } from '../../../output/plan.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<app>', 'the OwnStack app to add'), 'app'))
    .addOption(completes(new Option('--variant <name>', 'the variant to join (needed when the cluster has several; a cluster without variants gets "default")'), 'variant'))
    .option('--weight <0..1000>', 'relative weight (0 = no traffic)', '100')
    .option('--dry-run', 'show the plan without applying it')
    .addHelpText('after', examples('ownstack cluster member add api my-rails-app', 'ownstack cluster member add api worker-app --variant=blue --weight=50 --dry-run'));
}

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
