// cluster upstream remove: confirm by retyping the id (unless --yes or --dry-run), then DELETE.
import { Argument, type Command } from 'commander';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import type { ResponseOf } from '../../../api/routes.js';
import { clusterRefSchema, idSchema, parseInput } from '../../../inputs/index.js';
import { runConfirmedRemove } from '../../confirm.js';
import { renderMutation } from '../../../output/plan.js';
import { upstreamSummary } from './describe.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<upstream-id>', 'the upstream id (see `ownstack cluster upstream list`)'), 'upstream'))
    .option('--dry-run', 'show the plan without applying it')
    .option('--force', 'act even when it would leave a hostname that is served now with no healthy upstream (the control plane refuses with exit 5)')
    .option('-y, --yes', 'do not ask for confirmation (needed when not on a terminal)')
    .addHelpText('after', examples('ownstack cluster upstream remove api 32', 'ownstack cluster upstream remove api 32 --dry-run', 'ownstack cluster upstream remove api 32 --yes'));
}

export interface UpstreamRemoveOptions {
  cluster: string;
  id: number;
  dryRun: boolean;
  force: boolean;
  yes: boolean;
}

export function parse(raw: RawInput): UpstreamRemoveOptions {
  return {
    cluster: parseInput(clusterRefSchema, raw.args[0], { '': '<cluster>' }),
    id: parseInput(idSchema, raw.args[1], { '': '<upstream-id>' }),
    dryRun: raw.opts.dryRun === true,
    force: raw.opts.force === true,
    yes: raw.opts.yes === true,
  };
}

export async function run(o: UpstreamRemoveOptions, ctx: Context): Promise<ResponseOf<'upstreamRemove'>> {
  return runConfirmedRemove(ctx, 'upstreamRemove', { cluster: o.cluster, id: o.id }, o, {
    what: `remove upstream ${o.id} from cluster ${o.cluster}`,
    expected: String(o.id),
    noun: 'id',
  });
}

export function render(response: ResponseOf<'upstreamRemove'>, ctx: Context, o: UpstreamRemoveOptions): void {
  const u = response.result;
  renderMutation(ctx, response, `Removed upstream ${u.id} from cluster ${u.cluster}: ${upstreamSummary(u)}`, o.dryRun);
}
