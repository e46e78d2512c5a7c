// cluster upstream list: one row per upstream.
import { Argument, type Command } from 'commander';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import type { Upstream } from '../../../api/schemas.js';
import { clusterRefSchema, parseInput } from '../../../inputs/index.js';
import { printJson } from '../../../output/json.js';
import { printTable } from '../../../output/table.js';
import { hostSent, upstreamTarget } from './describe.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addHelpText(
      'after',
      examples('ownstack cluster upstream list api', 'ownstack cluster upstream list api --json | jq \'.[] | select(.variant == "green")\''),
    );
}

export interface UpstreamListOptions {
  cluster: string;
}

export function parse(raw: RawInput): UpstreamListOptions {
  return { cluster: parseInput(clusterRefSchema, raw.args[0], { '': '<cluster>' }) };
}

export async function run(o: UpstreamListOptions, ctx: Context): Promise<Upstream[]> {
  const api = await ctx.api();
  return (await api.call('upstreamList', { params: { cluster: o.cluster } })).upstreams;
}

export function render(upstreams: Upstream[], ctx: Context, o: UpstreamListOptions): void {
  if (ctx.globals.json) return printJson(ctx.io, upstreams);
  printTable(
    ctx.io,
    ['id', 'variant', 'hostname', 'target', 'weight', 'status', 'host-header'],
    upstreams.map((u) => [u.id, u.variant, u.hostname ?? '*', upstreamTarget(u), u.weight, u.status, hostSent(u) ?? '-']),
    `No upstreams in cluster ${o.cluster}. Add one: ownstack cluster upstream add ${o.cluster} --variant=<variant> (--url=<url> | --app=<app>)`,
  );
}
