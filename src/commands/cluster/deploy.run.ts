// cluster deploy: start a deploy job. Starting, describing and (later) following it are separate
// functions so a --wait mode can be added between start and the final render.
import { z } from 'zod';
import type { Context } from '../../context.js';
import type { RawInput } from '../define.js';
import { deployRequest, type Deploy } from '../../api/schemas.js';
import { clusterNameSchema, parseInput } from '../../inputs/index.js';
import { printJson } from '../../output/json.js';
import { paint, successLine } from '../../output/style.js';

export const deployInput = z.object({ cluster: clusterNameSchema, request: deployRequest });
export type DeployOptions = z.output<typeof deployInput>;

export function parse(raw: RawInput): DeployOptions {
  const o = raw.opts;
  return parseInput(
    deployInput,
    { cluster: raw.args[0], request: { strategy: o.strategy, force: Boolean(o.force) } },
    { cluster: '<cluster>', 'request.strategy': '--strategy', 'request.force': '--force' },
  );
}

/** POSTs the deploy request; the job runs on the control plane. */
export async function startDeploy(o: DeployOptions, ctx: Context): Promise<Deploy> {
  const api = await ctx.api();
  return api.call('deployStart', { params: { cluster: o.cluster }, body: o.request });
}

export async function run(o: DeployOptions, ctx: Context): Promise<Deploy> {
  return startDeploy(o, ctx);
}

/** What the job will do: strategy, members in order, skipped URL upstreams (stderr lines). */
export function renderDeployHeader(d: Deploy, ctx: Context): string[] {
  const c = paint(ctx.io, 'err');
  const lines = [`Deploy ${d.id} on ${d.cluster}: ${d.strategy}, ${d.members.length} ${d.members.length === 1 ? 'member' : 'members'}`];
  d.members.forEach((m, i) => lines.push(`  ${i + 1}. ${m.app}${m.addresses.length ? c.dim(` (${m.addresses.join(', ')})`) : ''}`));
  for (const s of d.skipped) lines.push(c.dim(`  skipped upstream ${s.upstream_id} ${s.url}: ${s.reason}`));
  return lines;
}

/** The start of a deploy: header on stderr; `✓ Deploy N started…` on a TTY, the bare id when piped. */
export function renderDeployStarted(d: Deploy, ctx: Context): void {
  const { io } = ctx;
  for (const l of renderDeployHeader(d, ctx)) ctx.notice(l);
  const message = `Deploy ${d.id} started on ${d.cluster} (${d.strategy})`;
  if (io.stdoutIsTTY) {
    if (!ctx.globals.quiet) io.out(successLine(io, message));
    return;
  }
  ctx.notice(`${paint(io, 'err').green('✓')} ${message}`);
  io.out(String(d.id));
}

export function render(d: Deploy, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, d);
  renderDeployStarted(d, ctx);
}
