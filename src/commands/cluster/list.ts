// cluster list: one row per cluster.
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { type RawInput, examples } from '../define.js';
import type { Cluster } from '../../api/schemas.js';
import { printJson } from '../../output/json.js';
import { printTable } from '../../output/table.js';

export function define(cmd: Command): void {
  cmd
    .addHelpText('after', examples('ownstack cluster list', 'ownstack cluster list --json | jq -r ".[].name"'));
}

export type ClusterListOptions = Record<string, never>;

export function parse(_raw: RawInput): ClusterListOptions {
  return {};
}

export async function run(_o: ClusterListOptions, ctx: Context): Promise<Cluster[]> {
  const api = await ctx.api();
  return (await api.call('clusterList')).clusters;
}

export function render(clusters: Cluster[], ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, clusters);
  printTable(
    ctx.io,
    ['name', 'edge', 'proxies', 'hostnames', 'routed', 'upstreams'],
    clusters.map((c) => [
      c.name,
      c.edge,
      c.proxy_count,
      c.hostnames.join(',') || '-',
      c.variants.filter((v) => v.weight > 0 && v.status === 'active').map((v) => `${v.name}:${v.weight}`).join(',') || '-',
      c.upstream_count,
    ]),
    'No clusters yet. Create one: ownstack cluster create <name>',
  );
}
