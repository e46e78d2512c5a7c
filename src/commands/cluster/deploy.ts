// cluster deploy: start a deploy job, print the plan, then (unless --detach) follow it to its
// end with live progress; exit 0 only when every member succeeded.
import { Argument, Option, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import { deployRequest } from '../../api/requests.js';
import type { Deploy } from '../../api/schemas.js';
import { clusterRefSchema, parseInput } from '../../inputs/index.js';
import { UsageError } from '../../errors.js';
import { printJson, printJsonLine } from '../../output/json.js';
import { paint, successLine } from '../../output/style.js';
import { DEFAULT_WAIT_TIMEOUT, followDeploy, renderFollowEnd, waitTimeoutSchema, type FollowResult } from './deploy-follow.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addOption(new Option('--strategy <strategy>', 'parallel: every member at once; rolling: drain → deploy → healthy → undrain, one member at a time').choices(['parallel', 'rolling']))
    .option('--force', 'rolling: drain each member even when no other member is routable right now (the cluster may then have no healthy member)')
    .option('--wait', 'wait for the deploy to finish (the default; accepted for scripts written for OwnStack\'s CLI)')
    .option('--detach', 'return as soon as the job is queued and print its id (follow it later with deploy:status --wait)')
    .option('--timeout <duration>', 'how long to wait before giving up watching (exit 6; the deploy goes on), e.g. 10m, 1h', '30m')
    .addHelpText(
      'after',
      examples(
        'ownstack cluster deploy api --strategy=rolling',
        'ownstack cluster deploy api --detach',
        'ownstack cluster deploy api --strategy=rolling --json | tail -1 | jq .deploy.state',
      ) +
        '\nWhile it waits, Ctrl-C stops waiting (exit 130) and the deploy goes on; re-attach with\n' +
        '`ownstack cluster deploy:status <cluster> <id> --wait`, stop it with `ownstack cluster deploy:abort <cluster>`.\n' +
        'Exit codes: 0 every member succeeded, 1 failed/aborted, 5 another deploy is running, 6 still running at --timeout, 130 Ctrl-C.\n',
    );
}

export const deployInput = z.object({
  cluster: clusterRefSchema,
  request: deployRequest,
  detach: z.boolean(),
  timeoutMs: waitTimeoutSchema,
});
export type DeployOptions = z.output<typeof deployInput>;

export function parse(raw: RawInput): DeployOptions {
  const o = raw.opts;
  if (o.wait && o.detach) {
    throw new UsageError('--wait and --detach contradict each other: --wait follows the deploy to its end, --detach returns once it is queued', {
      hint: 'drop one of them (waiting is the default)',
      details: { code: 'invalid', message: '--wait with --detach', field: '--wait', rule: 'give --wait or --detach, not both' },
    });
  }
  return parseInput(
    deployInput,
    { cluster: raw.args[0], request: { strategy: o.strategy, force: Boolean(o.force) }, detach: Boolean(o.detach), timeoutMs: o.timeout ?? DEFAULT_WAIT_TIMEOUT },
    { cluster: '<cluster>', 'request.strategy': '--strategy', 'request.force': '--force', timeoutMs: '--timeout' },
  );
}

/** POSTs the deploy request; the job runs on the control plane. */
export async function startDeploy(o: DeployOptions, ctx: Context): Promise<Deploy> {
  const api = await ctx.api();
  return api.call('deployStart', { params: { cluster: o.cluster }, body: o.request });
}

export type DeployResult = { kind: 'started'; deploy: Deploy } | { kind: 'followed'; follow: FollowResult };

export async function run(o: DeployOptions, ctx: Context): Promise<DeployResult> {
  const d = await startDeploy(o, ctx);
  if (o.detach) return { kind: 'started', deploy: d };
  renderDeployPlan(d, ctx);
  return { kind: 'followed', follow: await followDeploy(d, ctx, o.timeoutMs) };
}

/** What the job will do: strategy, order, members, skipped URL upstreams (stderr lines). */
export function renderDeployHeader(d: Deploy, ctx: Context): string[] {
  const c = paint(ctx.io, 'err');
  const n = d.members.length;
  const how =
    d.strategy === 'rolling'
      ? n > 1
        ? 'one at a time in this order: drain → deploy → health check → undrain'
        : 'drain → deploy → health check → undrain'
      : n > 1
        ? 'all at once, without draining (requests may fail while members restart)'
        : 'without draining';
  const lines = [`Deploy ${d.id} on ${d.cluster}: ${d.strategy}, ${n} ${n === 1 ? 'member' : 'members'}, ${how}`];
  d.members.forEach((m, i) => lines.push(`  ${i + 1}. ${m.app}${m.addresses.length ? c.dim(` (${m.addresses.join(', ')})`) : ''}`));
  for (const s of d.skipped) lines.push(c.dim(`  skipped upstream ${s.upstream_id} ${s.url}: ${s.reason}`));
  return lines;
}

/** The plan before the wait: NDJSON `plan` line with --json, else the header on stderr. */
export function renderDeployPlan(d: Deploy, ctx: Context): void {
  if (ctx.globals.json) return printJsonLine(ctx.io, { type: 'plan', deploy: d });
  for (const l of renderDeployHeader(d, ctx)) ctx.notice(l);
}

/** The start of a detached deploy: header on stderr; `✓ Deploy N started…` on a TTY, the bare id when piped. */
export function renderDeployStarted(d: Deploy, ctx: Context): void {
  const { io } = ctx;
  for (const l of renderDeployHeader(d, ctx)) ctx.notice(l);
  const message = `Deploy ${d.id} started on ${d.cluster} (${d.strategy})`;
  const follow = paint(io, 'err').dim(`follow it: ownstack cluster deploy:status ${d.cluster} ${d.id} --wait`);
  if (io.stdoutIsTTY) {
    if (!ctx.globals.quiet) io.out(successLine(io, message));
    ctx.notice(follow);
    return;
  }
  ctx.notice(`${paint(io, 'err').green('✓')} ${message}`);
  io.out(String(d.id));
}

export function render(r: DeployResult, ctx: Context): void {
  if (r.kind === 'started') {
    if (ctx.globals.json) return printJson(ctx.io, r.deploy);
    return renderDeployStarted(r.deploy, ctx);
  }
  renderFollowEnd(r.follow, ctx);
}
