// cluster variant list: one row per variant; the routed ones marked.
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import type { Variant } from '../../../api/schemas.js';
import { clusterRefSchema, parseInput } from '../../../inputs/index.js';
import { printJson } from '../../../output/json.js';
import { printTable, styled } from '../../../output/table.js';
import { paint, symbols } from '../../../output/style.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addHelpText('after', examples('ownstack cluster variant list api', 'ownstack cluster variant list api --json | jq -r ".[] | select(.routed) | .name"'));
}

export const variantListInput = z.object({ cluster: clusterRefSchema });
export type VariantListOptions = z.output<typeof variantListInput>;

export function parse(raw: RawInput): VariantListOptions {
  return parseInput(variantListInput, { cluster: raw.args[0] }, { cluster: '<cluster>' });
}

export async function run(o: VariantListOptions, ctx: Context): Promise<Variant[]> {
  const api = await ctx.api();
  return (await api.call('variantList', { params: { cluster: o.cluster } })).variants;
}

export function render(variants: Variant[], ctx: Context, o: VariantListOptions): void {
  const { io } = ctx;
  if (ctx.globals.json) return printJson(io, variants);
  const c = paint(io);
  const tty = io.stdoutIsTTY;
  // TTY: a ●/○ column up front; scripts get the routed yes/no column only.
  const mark = (v: Variant) => (tty ? [styled(v.routed ? c.green(symbols.active) : c.dim(symbols.inactive))] : []);
  printTable(
    io,
    [...(tty ? [''] : []), 'name', 'weight', 'status', 'routed', 'description'],
    variants.map((v) => [...mark(v), v.name, v.weight, v.status === 'active' ? v.status : styled(c.yellow(v.status)), v.routed ? 'yes' : 'no', v.description]),
    `No variants yet. Add one: ownstack cluster variant add ${o.cluster} <name> --weight=100`,
  );
}
