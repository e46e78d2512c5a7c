// cluster deploy:abort: ask the control plane to stop a job safely (it finishes the current
// step, undrains what it drained once healthy, skips the rest), then wait until it stopped.
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import type { Deploy } from '../../api/schemas.js';
import { isFinished } from '../../api/events.js';
import { parseInput } from '../../inputs/index.js';
import { printJson } from '../../output/json.js';
import { paint, successLine } from '../../output/style.js';
import { DEPLOY_JOB_ARGS, deployJobFields, deployJobValues, findDeploy, followDeploy, reattachCommand, renderFollowEnd, type FollowResult } from './deploy-follow.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('[id]', 'deploy id (default: the deploy in progress)'), 'deploy'))
    .option('--detach', 'return once the abort is requested instead of waiting for the job to stop')
    .option('--timeout <duration>', 'how long to wait for the job to stop (exit 6), e.g. 5m', '30m')
    .addHelpText('after', examples('ownstack cluster deploy:abort api', 'ownstack cluster deploy:abort api 12 --detach'));
}

export const deployAbortInput = z.object({ ...deployJobFields, detach: z.boolean() });
export type DeployAbortOptions = z.output<typeof deployAbortInput>;

export function parse(raw: RawInput): DeployAbortOptions {
  return parseInput(deployAbortInput, { ...deployJobValues(raw), detach: Boolean(raw.opts.detach) }, DEPLOY_JOB_ARGS);
}

export type DeployAbortResult = { kind: 'requested'; deploy: Deploy } | { kind: 'followed'; follow: FollowResult };

export async function run(o: DeployAbortOptions, ctx: Context): Promise<DeployAbortResult> {
  // The job to abort: the given id, or the cluster's unfinished one.
  const id = o.id ?? (await findDeploy(ctx, o.cluster, 'unfinished')).id;
  const api = await ctx.api();
  const d = await api.call('deployAbort', { params: { cluster: o.cluster, id }, body: {} });
  if (o.detach || isFinished(d.state)) return { kind: 'requested', deploy: d };
  ctx.notice(`Abort requested for deploy ${d.id} on ${d.cluster}: the current step finishes, drained members are undrained once healthy, the rest is skipped.`);
  return { kind: 'followed', follow: await followDeploy(d, ctx, o.timeoutMs) };
}

export function render(r: DeployAbortResult, ctx: Context): void {
  if (r.kind === 'followed') return renderFollowEnd(r.follow, ctx, ['aborted', 'succeeded']);
  const d = r.deploy;
  if (ctx.globals.json) return printJson(ctx.io, d);
  const { io } = ctx;
  const message = isFinished(d.state) ? `Deploy ${d.id} on ${d.cluster} ${d.state}` : `Abort requested for deploy ${d.id} on ${d.cluster}`;
  if (io.stdoutIsTTY) {
    if (!ctx.globals.quiet) io.out(successLine(io, message));
  } else io.out(`${d.id}\t${d.state}`);
  if (!isFinished(d.state)) ctx.notice(paint(io, 'err').dim(`follow it: ${reattachCommand(d)}`));
}
