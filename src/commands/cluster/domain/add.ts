// cluster domain add: validate the hostname locally (same schema as the server), then POST.
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import { domainAddRequest } from '../../../api/requests.js';
import type { Domain } from '../../../api/schemas.js';
import { clusterRefSchema, parseInput } from '../../../inputs/index.js';
import { renderMutation, type MutationResponse } from '../../../output/plan.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .argument('<hostname>', 'hostname to front, e.g. api.example.com')
    .option('--dry-run', 'print the plan without changing anything')
    .addHelpText('after', examples('ownstack cluster domain add api api.example.com', 'ownstack cluster domain add api app.example.com --dry-run'));
}

export const domainAddInput = z.object({ cluster: clusterRefSchema, request: domainAddRequest });
export type DomainAddOptions = z.output<typeof domainAddInput>;

export function parse(raw: RawInput): DomainAddOptions {
  return parseInput(
    domainAddInput,
    { cluster: raw.args[0], request: { hostname: raw.args[1], dry_run: Boolean(raw.opts.dryRun) } },
    { cluster: '<cluster>', 'request.hostname': '<hostname>', 'request.dry_run': '--dry-run' },
  );
}

export async function run(o: DomainAddOptions, ctx: Context): Promise<MutationResponse<Domain>> {
  const api = await ctx.api();
  return api.call('domainAdd', { params: { cluster: o.cluster }, body: o.request });
}

export function render(r: MutationResponse<Domain>, ctx: Context, o: DomainAddOptions): void {
  renderMutation(ctx, r, `Added ${r.result.hostname} to ${r.result.cluster} (env ${r.result.env_name})`, o.request.dry_run);
}
