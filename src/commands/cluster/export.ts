// cluster export: the cluster's desired state as a document `cluster apply -f` takes back. YAML by
// default (with comments on what a file means), JSON with --format=json or the global --json (the
// same document, indented, and nothing else on stdout).
import { Argument, Option, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import type { ClusterExport } from '../../api/schemas.js';
import { UsageError } from '../../errors.js';
import { clusterNameSchema, parseInput } from '../../inputs/index.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addOption(new Option('--format <format>', 'yaml (the default) or json').choices(['yaml', 'json']))
    .addHelpText(
      'after',
      examples(
        'ownstack cluster export api > api.yaml',
        'ownstack cluster export api --format=json > api.json',
        'ownstack cluster export api | ownstack cluster apply -f - --dry-run   # no changes',
      ),
    );
}

export const exportInput = z.object({ cluster: clusterNameSchema, format: z.enum(['yaml', 'json']) });
export type ExportOptions = z.output<typeof exportInput>;

export function parse(raw: RawInput, ctx: Context): ExportOptions {
  const given = raw.opts.format as string | undefined;
  if (ctx.globals.json && given === 'yaml') throw new UsageError('--json prints the document as JSON: leave out --format=yaml, or leave out --json', { details: { code: 'invalid', message: '--format=yaml conflicts with --json', field: '--format', value: 'yaml', rule: 'one output format' } });
  const format = ctx.globals.json ? 'json' : (given ?? 'yaml');
  return parseInput(exportInput, { cluster: raw.args[0], format }, { cluster: '<cluster>', format: '--format' });
}

export async function run(o: ExportOptions, ctx: Context): Promise<ClusterExport> {
  const api = await ctx.api();
  return api.call('clusterExport', { params: { cluster: o.cluster } });
}

/** What a reader of an exported file needs to know; YAML comments, so the file stays the document. */
export const YAML_HEADER = [
  'Cluster file written by `ownstack cluster export`: `ownstack cluster apply -f FILE` makes a cluster match it',
  '(creating it when missing; --dry-run shows the plan). Lists are in creation order (upstreams by variant);',
  'order does not matter to apply, and ids are not part of the file (it applies to another control plane too).',
  'Secrets (edge_config.cloudflare_api_token, edge_config.dns_tsig_secret) are never exported:',
  'apply keeps the stored ones when the file has none.',
  'An upstream without a hostname serves every hostname; without host_header it sends the default Host.',
  'members follow from the upstreams: apply checks them (or leave them out).',
];

/** The document as YAML with the header comment. */
export async function toYaml(doc: ClusterExport): Promise<string> {
  const { Document, isMap, isSeq } = await import('yaml');
  const d = new Document(doc);
  // A member's variants on one line: `variants: [blue, green]`.
  const members = d.get('members');
  if (isSeq(members)) for (const m of members.items) if (isMap(m)) (m.get('variants', true) as { flow?: boolean } | undefined)!.flow = true;
  d.commentBefore = YAML_HEADER.map((l) => ` ${l}`).join('\n');
  return d.toString({ lineWidth: 0, flowCollectionPadding: false });
}

export async function render(doc: ClusterExport, ctx: Context, o: ExportOptions): Promise<void> {
  // Indented either way: the output is a file people review.
  if (o.format === 'json') return ctx.io.out(JSON.stringify(doc, null, 2));
  ctx.io.stdout.write(await toYaml(doc));
}
