// Plans (what a routing mutation changes or would change) as a readable diff, and the one
// renderer every mutation command uses for its result.
import type { Context } from '../context.js';
import type { Plan, EdgeRecordView } from '../api/schemas.js';
import type { IO } from './io.js';
import { printJson } from './json.js';
import { paint, successLine, symbols } from './style.js';
import { escapeControl, escapeControlDeep } from './text.js';

/** The `{ result, plan }` envelope every routing mutation answers with. */
export interface MutationResponse<T = unknown> {
  result: T;
  plan: Plan;
}

const record = (r: EdgeRecordView) => `${r.hostname} ${r.type} ${r.value}`;

function envLabel(e: Plan['env'][number]): string {
  return e.hostname ? `${e.name} (${e.hostname})` : e.name;
}

/** The changed env vars as `- before` / `+ after` lines (red/green when colour is on). */
function changedEnvLines(io: IO, p: Plan, indent: string): string[] {
  const c = paint(io);
  const lines: string[] = [];
  for (const e of p.env.filter((x) => x.changed)) {
    const note = e.before === null ? ' (new)' : e.after === null ? ' (removed)' : '';
    lines.push(`${indent}${c.bold(envLabel(e))}${note}`);
    if (e.before !== null) lines.push(`${indent}${c.red(`- ${e.before || '(empty)'}`)}`);
    if (e.after !== null) lines.push(`${indent}${c.green(`+ ${e.after || '(empty)'}`)}`);
  }
  return lines;
}

/** Setting changes (`cluster update`) as `name: before → after` lines. */
function settingLines(io: IO, p: Plan, indent: string): string[] {
  const c = paint(io);
  return (p.settings ?? []).map((x) => `${indent}${c.bold(x.name)}: ${x.before ?? '(none)'} ${symbols.arrow} ${c.green(x.after ?? '(none)')}`);
}

/** A plan as a diff: settings, env vars (changed ones as -/+ lines, unchanged ones collapsed), Caddyfile, edge records, warnings. */
export function renderPlan(io: IO, plan: Plan): string {
  // Values come from the control plane: make any control character visible before colouring.
  const p = escapeControlDeep(plan);
  const c = paint(io);
  const lines: string[] = [];
  lines.push(c.bold(`Plan for cluster ${p.cluster}${p.applied ? ' (applied)' : ' (not applied)'}`));
  if (p.settings !== undefined) {
    lines.push(p.settings.length === 0 ? 'Settings: no change' : 'Settings:');
    lines.push(...settingLines(io, p, '  '));
  }
  lines.push('Proxy env:');
  if (p.env.length === 0) lines.push('  (no env vars)');
  lines.push(...changedEnvLines(io, p, '  '));
  for (const e of p.env.filter((x) => !x.changed)) lines.push(`  ${c.dim(`${envLabel(e)} (unchanged)`)}`);
  lines.push(`Caddyfile changed: ${p.caddyfile_changed ? c.yellow('yes') : 'no'}`);
  const { added, removed } = p.edge;
  if (added.length === 0 && removed.length === 0) lines.push('Edge records: no change');
  else {
    lines.push('Edge records:');
    for (const r of added) lines.push(`  ${c.green(`+ ${record(r)}`)}`);
    for (const r of removed) lines.push(`  ${c.red(`- ${record(r)}`)}`);
  }
  for (const w of p.warnings) lines.push(`${c.yellow(symbols.warn)} ${w}`);
  return lines.join('\n');
}

/** Only what an applied plan changed: env -/+ lines and edge records (empty string when nothing). */
export function renderPlanChanges(io: IO, plan: Plan): string {
  const p = escapeControlDeep(plan);
  const c = paint(io);
  const lines = [...settingLines(io, p, '  '), ...changedEnvLines(io, p, '  ')];
  if (p.caddyfile_changed) lines.push('  Caddyfile regenerated');
  for (const r of p.edge.added) lines.push(`  ${c.green(`+ edge ${record(r)}`)}`);
  for (const r of p.edge.removed) lines.push(`  ${c.red(`- edge ${record(r)}`)}`);
  return lines.join('\n');
}

/**
 * Renders a mutation the same way for every command. --json: the result (apply) or the plan
 * (dry run). Dry run: a header on stderr (unless --quiet) and the plan on stdout. Apply: `✓ message`, then the
 * changed env lines on a TTY or with --verbose; plan warnings go to stderr.
 */
export function renderMutation<T>(ctx: Context, response: MutationResponse<T>, successMessage: string, dryRun: boolean): void {
  const { io, globals } = ctx;
  if (dryRun) {
    ctx.notice(paint(io, 'err').yellow('Dry run: nothing was changed'));
    if (globals.json) return printJson(io, response.plan);
    io.out(renderPlan(io, response.plan));
    return;
  }
  // The result first, then each distinct warning once.
  const warn = paint(io, 'err').yellow(symbols.warn);
  const warnings = () => {
    for (const w of new Set(response.plan.warnings)) ctx.notice(`${warn} ${escapeControl(w)}`);
  };
  if (globals.json) {
    printJson(io, response.result);
    return warnings();
  }
  if (!globals.quiet) {
    io.out(successLine(io, successMessage));
    if (io.stdoutIsTTY || globals.verbose) {
      const changes = renderPlanChanges(io, response.plan);
      if (changes) io.out(changes);
    }
  }
  warnings();
}
