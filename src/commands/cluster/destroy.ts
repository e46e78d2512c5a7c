// cluster destroy: confirm by retyping the name (or --yes), then DELETE.
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import type { Cluster } from '../../api/schemas.js';
import { clusterRefSchema, parseInput } from '../../inputs/index.js';
import { confirmByRetyping } from '../confirm.js';
import { printJson } from '../../output/json.js';
import { successLine } from '../../output/style.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<name>', 'cluster name or id'), 'cluster'))
    .option('--with-proxy', 'also remove the proxy app the cluster owns')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .addHelpText('after', examples('ownstack cluster destroy api', 'ownstack cluster destroy api --with-proxy --yes'));
}

export const destroyInput = z.object({ cluster: clusterRefSchema, with_proxy: z.boolean(), yes: z.boolean() });
export type DestroyOptions = z.output<typeof destroyInput>;

export function parse(raw: RawInput): DestroyOptions {
  return parseInput(
    destroyInput,
    { cluster: raw.args[0], with_proxy: Boolean(raw.opts.withProxy), yes: Boolean(raw.opts.yes) },
    { cluster: '<name>', with_proxy: '--with-proxy', yes: '--yes' },
  );
}

export interface DestroyResult {
  cluster: Cluster;
  withProxy: boolean;
}

export async function run(o: DestroyOptions, ctx: Context): Promise<DestroyResult> {
  if (!o.yes) await confirmByRetyping(ctx, { what: `destroy cluster ${o.cluster}${o.with_proxy ? ' and its proxy app' : ''}`, expected: o.cluster });
  const api = await ctx.api();
  const cluster = await api.call('clusterDestroy', { params: { cluster: o.cluster }, query: { with_proxy: o.with_proxy } });
  return { cluster, withProxy: o.with_proxy };
}

export function render(r: DestroyResult, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, r.cluster);
  if (!r.withProxy && r.cluster.proxy_app) ctx.notice(`The proxy app ${r.cluster.proxy_app} was kept (pass --with-proxy to remove it too).`);
  if (ctx.globals.quiet) return;
  ctx.io.out(successLine(ctx.io, `Destroyed cluster ${r.cluster.name}${r.withProxy && r.cluster.proxy_app ? ` and its proxy app ${r.cluster.proxy_app}` : ''}`));
}
