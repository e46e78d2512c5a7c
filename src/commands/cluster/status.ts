// cluster status: the live topology as a tree.
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import type { ClusterStatus } from '../../api/schemas.js';
import { clusterRefSchema, parseInput } from '../../inputs/index.js';
import { printJson } from '../../output/json.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<name>', 'cluster name or id'), 'cluster'))
    .addHelpText('after', examples('ownstack cluster status api', 'ownstack cluster status api --json | jq ".hostnames[].env_value"'));
}

export const statusInput = z.object({ cluster: clusterRefSchema });
export type StatusOptions = z.output<typeof statusInput>;

export function parse(raw: RawInput): StatusOptions {
  return parseInput(statusInput, { cluster: raw.args[0] }, { cluster: '<name>' });
}

export async function run(o: StatusOptions, ctx: Context): Promise<ClusterStatus> {
  const api = await ctx.api();
  return api.call('clusterStatus', { params: { cluster: o.cluster } });
}

export async function render(s: ClusterStatus, ctx: Context): Promise<void> {
  if (ctx.globals.json) return printJson(ctx.io, s);
  // The tree renderer (and its colours) loads only for the tree, not for --json.
  const { renderTopology } = await import('../../output/topology.js');
  ctx.io.out(renderTopology(ctx.io, s));
}
