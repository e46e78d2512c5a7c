// What a cluster apply changes (or would), as a readable list, above the same plan diff every
// routing mutation prints (output/plan.ts); and the one renderer of `cluster apply`.
import type { Context } from '../context.js';
import type { ClusterApplyResult, UpstreamRef } from '../api/schemas.js';
import type { IO } from './io.js';
import { printJson } from './json.js';
import { renderPlan, renderPlanChanges } from './plan.js';
import { paint, successLine, symbols } from './style.js';

type Change = { field: string; before: string | null; after: string | null };

const upstreamLabel = (u: UpstreamRef) => `${u.variant} ${symbols.arrow} ${u.app !== null ? `app ${u.app}` : u.url} (${u.hostname ?? 'every hostname'})`;
const show = (v: string | null) => (v === null ? '(none)' : v === '' ? '""' : /\s/.test(v) ? JSON.stringify(v) : v);
const fields = (list: Change[]) => list.map((f) => `${f.field} ${show(f.before)} ${symbols.arrow} ${show(f.after)}`).join(', ');

/** The changes as +/~/- lines per kind (green, yellow, red when colour is on); "no changes" when none. */
export function renderApplyChanges(io: IO, r: ClusterApplyResult): string {
  const c = paint(io);
  const { settings, hostnames, variants, upstreams } = r.changes;
  const lines: string[] = [c.bold(`Cluster ${r.cluster}: ${r.created ? 'create' : r.changed ? 'change' : 'no changes (it matches the file)'}`)];
  const section = (title: string, items: string[]) => {
    if (items.length === 0) return;
    lines.push(`${title}:`, ...items.map((l) => `  ${l}`));
  };
  const add = (s: string) => c.green(`+ ${s}`);
  const upd = (s: string) => c.yellow(`~ ${s}`);
  const del = (s: string) => c.red(`- ${s}`);
  section('Settings', settings.map((s) => upd(fields([s]))));
  section('Hostnames', [...hostnames.added.map(add), ...hostnames.removed.map(del)]);
  section('Variants', [...variants.added.map(add), ...variants.updated.map((v) => upd(`${v.name}: ${fields(v.fields)}`)), ...variants.removed.map(del)]);
  section('Upstreams', [
    ...upstreams.added.map((u) => add(upstreamLabel(u))),
    ...upstreams.updated.map((u) => upd(`${upstreamLabel(u)}: ${fields(u.fields)}`)),
    ...upstreams.removed.map((u) => del(upstreamLabel(u))),
  ]);
  return lines.join('\n');
}

/** "2 hostnames added, 1 removed; 4 upstreams added" — what an applied change did, in one phrase. */
export function summarise(r: ClusterApplyResult): string {
  const { settings, hostnames, variants, upstreams } = r.changes;
  const part = (noun: string, counts: [number, string][]) => {
    const said = counts.filter(([n]) => n > 0).map(([n, verb], i) => (i === 0 ? `${n} ${n === 1 ? noun : `${noun}s`} ${verb}` : `${n} ${verb}`));
    return said.length > 0 ? said.join(', ') : null;
  };
  return [
    part('hostname', [[hostnames.added.length, 'added'], [hostnames.removed.length, 'removed']]),
    part('variant', [[variants.added.length, 'added'], [variants.updated.length, 'changed'], [variants.removed.length, 'removed']]),
    part('upstream', [[upstreams.added.length, 'added'], [upstreams.updated.length, 'changed'], [upstreams.removed.length, 'removed']]),
    settings.length > 0 ? `${settings.map((s) => s.field).join(', ')} changed` : null,
  ]
    .filter((x) => x !== null)
    .join('; ');
}

/**
 * `cluster apply`: --json, the whole result (changes and plan), dry run or not. Dry run: a header on
 * stderr, then the changes and the plan on stdout. Applied: `✓` and a summary; the changes and the
 * changed env lines on a TTY or with --verbose; warnings on stderr.
 */
export function renderApply(ctx: Context, r: ClusterApplyResult, o: { source: string; dryRun: boolean }): void {
  const { io, globals } = ctx;
  if (o.dryRun) {
    ctx.notice(paint(io, 'err').yellow('Dry run: nothing was changed'));
    if (globals.json) return printJson(io, r);
    io.out(renderApplyChanges(io, r));
    io.out(renderPlan(io, r.plan));
    return;
  }
  const warn = paint(io, 'err').yellow(symbols.warn);
  for (const w of r.plan.warnings) ctx.notice(`${warn} ${w}`);
  if (globals.json) return printJson(io, r);
  if (globals.quiet) return;
  if (!r.changed) {
    io.out(successLine(io, `Cluster ${r.cluster} already matches ${o.source}: nothing to change (generation ${r.generation})`));
    return;
  }
  io.out(successLine(io, `${r.created ? 'Created' : 'Updated'} cluster ${r.cluster} from ${o.source}: ${summarise(r) || 'settings only'} (generation ${r.generation})`));
  if (io.stdoutIsTTY || globals.verbose) {
    io.out(renderApplyChanges(io, r));
    const env = renderPlanChanges(io, r.plan);
    if (env) io.out(env);
  }
}
