// token revoke: confirm by retyping the id (or --yes), then DELETE /api/tokens/:id.
import { Argument, type Command } from 'commander';
import { type RawInput, examples } from '../define.js';
import * as z from 'zod';
import type { Context } from '../../context.js';
import type { token } from '../../api/tokens.js';
import { idSchema, parseInput } from '../../inputs/index.js';
import { confirmByRetyping } from '../confirm.js';
import { printJson } from '../../output/json.js';
import { successLine } from '../../output/style.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(new Argument('<id>', 'the token id (ownstack token list)'))
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .addHelpText('after', examples('ownstack token revoke 4', 'ownstack token revoke 4 --yes'));
}

type Token = z.output<typeof token>;

export interface TokenRevokeOptions {
  id: number;
  yes: boolean;
}

export function parse(raw: RawInput): TokenRevokeOptions {
  const { id } = parseInput(z.object({ id: idSchema }), { id: raw.args[0] }, { id: '<id>' });
  return { id, yes: Boolean(raw.opts.yes) };
}

export async function run(o: TokenRevokeOptions, ctx: Context): Promise<Token> {
  if (!o.yes) await confirmByRetyping(ctx, { what: `revoke token ${o.id}`, expected: String(o.id), noun: 'id' });
  const api = await ctx.api();
  return api.call('tokenRevoke', { params: { id: String(o.id) } });
}

export function render(t: Token, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, t);
  const what = t.cluster === null ? 'operator token' : `agent token of cluster ${t.cluster}`;
  ctx.io.out(successLine(ctx.io, `Revoked ${what} ${t.name} (id ${t.id}) at ${t.revoked_at}`));
}