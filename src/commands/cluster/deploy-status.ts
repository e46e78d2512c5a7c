// cluster deploy:status: one job's snapshot (the most recent by default), or --wait to follow
// it. Exit 0 succeeded, 1 failed/aborted/interrupted, 6 still queued or running.
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import type { Deploy } from '../../api/schemas.js';
import { isFinished } from '../../api/events.js';
import { parseInput } from '../../inputs/index.js';
import { ExitError } from '../../errors.js';
import { printJson } from '../../output/json.js';
import { formatElapsed } from '../../output/rollout.js';
import { paint } from '../../output/style.js';
import { printTable } from '../../output/table.js';
import { DEPLOY_JOB_ARGS, deployJobFields, deployJobValues, findDeploy, followDeploy, renderFollowEnd, type FollowResult } from './deploy-follow.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('[id]', 'deploy id (default: the most recent deploy)'), 'deploy'))
    .option('--wait', 'follow the job with live progress until it finishes (re-attach after Ctrl-C or --detach)')
    .option('--timeout <duration>', 'with --wait: how long to wait before giving up watching (exit 6), e.g. 10m', '30m')
    .addHelpText(
      'after',
      examples('ownstack cluster deploy:status api', 'ownstack cluster deploy:status api 12 --wait', 'ownstack cluster deploy:status api --json | jq .state') +
        '\nExit codes: 0 succeeded, 1 failed/aborted/interrupted, 6 still queued or running.\n' +
        '(OwnStack\'s own deploy:status uses 2 for "in progress"; here 2 always means invalid usage.)\n',
    );
}

export const deployStatusInput = z.object({ ...deployJobFields, wait: z.boolean() });
export type DeployStatusOptions = z.output<typeof deployStatusInput>;

export function parse(raw: RawInput): DeployStatusOptions {
  return parseInput(deployStatusInput, { ...deployJobValues(raw), wait: Boolean(raw.opts.wait) }, DEPLOY_JOB_ARGS);
}

export type DeployStatusResult = { kind: 'snapshot'; deploy: Deploy } | { kind: 'followed'; follow: FollowResult };

export async function run(o: DeployStatusOptions, ctx: Context): Promise<DeployStatusResult> {
  const api = await ctx.api();
  const d = o.id === undefined ? await findDeploy(ctx, o.cluster, 'latest') : await api.call('deployShow', { params: { cluster: o.cluster, id: o.id } });
  if (!o.wait || isFinished(d.state)) return { kind: 'snapshot', deploy: d };
  return { kind: 'followed', follow: await followDeploy(d, ctx, o.timeoutMs) };
}

/** The exit code a job's state maps to. */
export function exitCodeForState(state: Deploy['state']): 0 | 1 | 6 {
  if (state === 'succeeded') return 0;
  return isFinished(state) ? 1 : 6;
}

/** A job as a header line (stderr) and one row per member (stdout). */
export function renderDeploySnapshot(d: Deploy, ctx: Context): void {
  const { io } = ctx;
  const c = paint(io);
  const now = ctx.clock.now();
  const took = formatElapsed((d.finished_at ? Date.parse(d.finished_at) : now) - Date.parse(d.created_at));
  const stateText = d.state === 'succeeded' ? c.green(d.state) : ['failed', 'aborted', 'interrupted'].includes(d.state) ? c.red(d.state) : c.yellow(d.state);
  if (io.stdoutIsTTY) {
    io.out(`Deploy ${d.id} on ${d.cluster}: ${d.strategy}, ${stateText} (${d.finished_at ? `took ${took}` : `for ${took}`})`);
    if (d.error) io.out(c.red(`  ${d.error}`));
  } else io.out(`deploy\t${d.id}\t${d.cluster}\t${d.strategy}\t${d.state}\t${d.error ?? ''}`);
  printTable(
    io,
    ['member', 'step', 'time', 'addresses', 'error'],
    d.members.map((m) => [
      m.app,
      m.step,
      m.started_at ? formatElapsed((m.finished_at ? Date.parse(m.finished_at) : now) - Date.parse(m.started_at)) : '-',
      m.addresses.join(' ') || '-',
      m.error ?? '',
    ]),
    'No members.',
  );
  if (io.stdoutIsTTY) for (const s of d.skipped) io.out(c.dim(`skipped upstream ${s.upstream_id} ${s.url}: ${s.reason}`));
  if (!isFinished(d.state)) ctx.notice(paint(io, 'err').dim(`still ${d.state}: follow it with ownstack cluster deploy:status ${d.cluster} ${d.id} --wait`));
}

export function render(r: DeployStatusResult, ctx: Context): void {
  if (r.kind === 'followed') return renderFollowEnd(r.follow, ctx);
  if (ctx.globals.json) printJson(ctx.io, r.deploy);
  else renderDeploySnapshot(r.deploy, ctx);
  const code = exitCodeForState(r.deploy.state);
  if (code !== 0) throw new ExitError(code);
}
