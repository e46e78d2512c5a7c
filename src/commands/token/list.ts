// token list: one row per token, revoked ones included (marked).
import type { Command } from 'commander';
import { examples } from '../define.js';
import type * as z from 'zod';
import type { Context } from '../../context.js';
import type { token } from '../../api/tokens.js';
import { printJson } from '../../output/json.js';
import { printTable } from '../../output/table.js';

export function define(cmd: Command): void {
  cmd
    .addHelpText('after', examples('ownstack token list', "ownstack token list --json | jq '.[] | select(.revoked_at == null)'"));
}

type Token = z.output<typeof token>;
export type TokenListOptions = Record<string, never>;

export function parse(): TokenListOptions {
  return {};
}

export async function run(_o: TokenListOptions, ctx: Context): Promise<Token[]> {
  const api = await ctx.api();
  return (await api.call('tokenList')).tokens;
}

export function render(tokens: Token[], ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, tokens);
  printTable(
    ctx.io,
    ['id', 'kind', 'cluster', 'name', 'created', 'last used', 'revoked'],
    tokens.map((t) => [String(t.id), t.kind, t.cluster ?? '-', t.name, t.created_at, t.last_used_at ?? '-', t.revoked_at ?? '-']),
    'No tokens yet besides the token file. Create one: ownstack token create <name> [--cluster <name>]',
  );
}