// cluster member list: one row per member.
import { Argument, type Command } from 'commander';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import type { Member } from '../../../api/schemas.js';
import { clusterRefSchema, parseInput } from '../../../inputs/index.js';
import { printJson } from '../../../output/json.js';
import { printTable, styled } from '../../../output/table.js';
import { paint } from '../../../output/style.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addHelpText('after', examples('ownstack cluster member list api', 'ownstack cluster member list api --json | jq -r \'.[] | select(.status == "draining") | .app\''));
}

export interface MemberListOptions {
  cluster: string;
}

export function parse(raw: RawInput): MemberListOptions {
  return { cluster: parseInput(clusterRefSchema, raw.args[0], { '': '<cluster>' }) };
}

export async function run(o: MemberListOptions, ctx: Context): Promise<Member[]> {
  const api = await ctx.api();
  return (await api.call('memberList', { params: { cluster: o.cluster } })).members;
}

export function render(members: Member[], ctx: Context, o: MemberListOptions): void {
  if (ctx.globals.json) return printJson(ctx.io, members);
  const c = paint(ctx.io);
  const status = (s: Member['status']) => styled(s === 'active' ? c.green(s) : s === 'draining' ? c.yellow(s) : c.dim(s));
  printTable(
    ctx.io,
    ['app', 'status', 'weight', 'variants', 'addresses'],
    members.map((m) => [m.app, status(m.status), m.weight, m.variants.join(',') || '-', m.addresses.join(' ') || '-']),
    `No members in cluster ${o.cluster}. Add one: ownstack cluster member add ${o.cluster} <app>`,
  );
}
