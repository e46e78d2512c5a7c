// cluster status: the live topology as a tree.
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import type { ClusterStatus } from '../../api/schemas.js';
import { clusterRefSchema, parseInput } from '../../inputs/index.js';
import { printJson } from '../../output/json.js';
import { UsageError } from '../../errors.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<name>', 'cluster name or id'), 'cluster'))
    .option('--watch', 'redraw on every change (piped: one timestamped line per proxy and address per change); Ctrl-C stops')
    .addHelpText('after', examples('ownstack cluster status api', 'ownstack cluster status api --watch', 'ownstack cluster status api --json | jq ".hostnames[].env_value"'));
}

export const statusInput = z.object({ cluster: clusterRefSchema, watch: z.boolean().default(false) });
export type StatusOptions = z.output<typeof statusInput>;

export function parse(raw: RawInput, ctx: Context): StatusOptions {
  const watch = (raw.opts as { watch?: boolean }).watch === true;
  if (watch && ctx.globals.json) throw new UsageError('--watch cannot be combined with --json', { hint: 'follow GET /api/clusters/<name>/status/events for a stream of JSON documents' });
  return parseInput(statusInput, { cluster: raw.args[0], watch }, { cluster: '<name>' });
}

export async function run(o: StatusOptions, ctx: Context): Promise<ClusterStatus | null> {
  if (o.watch) {
    // Loaded only for --watch: it follows the event stream until Ctrl-C.
    const { watchStatus } = await import('./status-watch.js');
    await watchStatus(o.cluster, ctx);
    return null;
  }
  const api = await ctx.api();
  return api.call('clusterStatus', { params: { cluster: o.cluster } });
}

export async function render(s: ClusterStatus | null, ctx: Context): Promise<void> {
  if (s === null) return;
  if (ctx.globals.json) return printJson(ctx.io, s);
  // The tree renderer (and its colours) loads only for the tree, not for --json.
  const { renderTopology } = await import('../../output/topology.js');
  ctx.io.out(renderTopology(ctx.io, s));
}
