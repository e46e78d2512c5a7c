// cluster domain remove: confirm by retyping the hostname (or --yes; a dry run needs neither), then DELETE.
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import type { Domain } from '../../../api/schemas.js';
import { clusterRefSchema, hostnameSchema, parseInput } from '../../../inputs/index.js';
import { runConfirmedRemove } from '../../confirm.js';
import { renderMutation, type MutationResponse } from '../../../output/plan.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<hostname>', 'hostname to stop fronting'), 'hostname'))
    .option('--dry-run', 'print the plan without changing anything')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .addHelpText('after', examples('ownstack cluster domain remove api app.example.com', 'ownstack cluster domain remove api app.example.com --yes'));
}

export const domainRemoveInput = z.object({ cluster: clusterRefSchema, hostname: hostnameSchema, dry_run: z.boolean(), yes: z.boolean() });
export type DomainRemoveOptions = z.output<typeof domainRemoveInput>;

export function parse(raw: RawInput): DomainRemoveOptions {
  return parseInput(
    domainRemoveInput,
    { cluster: raw.args[0], hostname: raw.args[1], dry_run: Boolean(raw.opts.dryRun), yes: Boolean(raw.opts.yes) },
    { cluster: '<cluster>', hostname: '<hostname>', dry_run: '--dry-run', yes: '--yes' },
  );
}

export async function run(o: DomainRemoveOptions, ctx: Context): Promise<MutationResponse<Domain>> {
  return runConfirmedRemove(ctx, 'domainRemove', { cluster: o.cluster, hostname: o.hostname }, { yes: o.yes, dryRun: o.dry_run }, {
    what: `remove hostname ${o.hostname} from cluster ${o.cluster}`,
    expected: o.hostname,
  });
}

export function render(r: MutationResponse<Domain>, ctx: Context, o: DomainRemoveOptions): void {
  renderMutation(ctx, r, `Removed ${r.result.hostname} from ${r.result.cluster}`, o.dry_run);
}
