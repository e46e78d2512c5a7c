// cluster domain list: one row per hostname.
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import type { Domain } from '../../../api/schemas.js';
import { clusterRefSchema, parseInput } from '../../../inputs/index.js';
import { printJson } from '../../../output/json.js';
import { printTable } from '../../../output/table.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addHelpText('after', examples('ownstack cluster domain list api', 'ownstack cluster domain list api --json | jq -r ".[].hostname"'));
}

export const domainListInput = z.object({ cluster: clusterRefSchema });
export type DomainListOptions = z.output<typeof domainListInput>;

export function parse(raw: RawInput): DomainListOptions {
  return parseInput(domainListInput, { cluster: raw.args[0] }, { cluster: '<cluster>' });
}

export async function run(o: DomainListOptions, ctx: Context): Promise<Domain[]> {
  const api = await ctx.api();
  return (await api.call('domainList', { params: { cluster: o.cluster } })).domains;
}

export function render(domains: Domain[], ctx: Context, o: DomainListOptions): void {
  if (ctx.globals.json) return printJson(ctx.io, domains);
  printTable(
    ctx.io,
    ['hostname', 'env name', 'created'],
    domains.map((d) => [d.hostname, d.env_name, d.created_at]),
    `No hostnames yet. Add one: ownstack cluster domain add ${o.cluster} <hostname>`,
  );
}
