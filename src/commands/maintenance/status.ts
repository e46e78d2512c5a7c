// maintenance status: the hosts under maintenance and what each drained.
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, examples } from '../define.js';
import type { MaintenanceHost } from '../../api/maintenance.js';
import { parseInput } from '../../inputs/index.js';
import { printJson } from '../../output/json.js';
import { escapeControl } from '../../output/text.js';
import { hostArg } from './drain.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(new Argument('[host]', 'one host (default: every host under maintenance)'))
    .addHelpText('after', examples('ownstack maintenance status', 'ownstack maintenance status 10.0.0.5 --json'));
}

export const statusInput = z.object({ host: hostArg.optional() });
export type StatusOptions = z.output<typeof statusInput>;

export function parse(raw: RawInput): StatusOptions {
  return parseInput(statusInput, { host: raw.args[0] }, { host: '[host]' });
}

export async function run(o: StatusOptions, ctx: Context): Promise<{ hosts: MaintenanceHost[] }> {
  const api = await ctx.api();
  if (o.host !== undefined) return { hosts: [await api.call('maintenanceShow', { params: { host: o.host } })] };
  return api.call('maintenanceList');
}

export function render(r: { hosts: MaintenanceHost[] }, ctx: Context, o: StatusOptions): void {
  const { io } = ctx;
  if (ctx.globals.json) return printJson(io, o.host !== undefined ? r.hosts[0] : r);
  if (r.hosts.length === 0) {
    ctx.notice('No host is under maintenance');
    return;
  }
  for (const h of r.hosts) {
    const flight = h.in_flight === null ? 'requests in flight not counted' : `${h.in_flight} request(s) in flight`;
    io.out(escapeControl(`${h.host}: under maintenance since ${h.started_at}${h.forced ? ' (forced)' : ''}, ${h.drained.length} address(es) drained, ${flight}`));
    for (const a of h.drained) io.out(`  ${escapeControl(`${a.cluster}: ${a.upstream} ${a.address}`)}`);
  }
}
