// maintenance run: start → command → end. The command runs only once the host is drained and its
// requests in flight finished (or --timeout); when it fails the host stays under maintenance (a
// half-upgraded host should not get traffic back) and we exit 1.
import { spawn } from 'node:child_process';
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, examples } from '../define.js';
import { maintenanceStartRequest, type MaintenanceChange } from '../../api/maintenance.js';
import { FailedError, UsageError } from '../../errors.js';
import { parseInput } from '../../inputs/index.js';
import { printJson } from '../../output/json.js';
import { DEFAULT_DRAIN_TIMEOUT, FORCE_HELP, TIMEOUT_HELP, drainTimeout, hostArg, hostArgument, hostFlags, renderChange, waitForDrain, type DrainWait } from './drain.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(hostArgument())
    .addArgument(new Argument('<command...>', 'the command to run while the host is drained (after --)'))
    .option('--force', FORCE_HELP)
    .option('--timeout <duration>', TIMEOUT_HELP)
    .addHelpText(
      'after',
      examples('ownstack maintenance run 10.0.0.5 -- ssh admin@10.0.0.5 "sudo apt-get -y upgrade && sudo reboot"') +
        '\nExit codes: 0 the command succeeded and the host is back in every cluster; 1 the command failed (the host stays drained);\n5 refused (a hostname would be left with nothing routable on another host; --force overrides).\n',
    );
}

export const runInput = z.object({ host: hostArg, request: maintenanceStartRequest, timeoutMs: drainTimeout, command: z.array(z.string()).min(1) });
export type RunOptions = z.output<typeof runInput>;

export function parse(raw: RawInput): RunOptions {
  const o = raw.opts;
  const [host, ...command] = raw.args;
  if (command.length === 0) {
    throw new UsageError('missing the command to run: give it after --', {
      hint: `ownstack maintenance run ${host ?? '<host>'} -- <command> [args…]`,
      details: { code: 'invalid', message: 'missing command', field: '<command...>', rule: 'a command after --' },
    });
  }
  return parseInput(runInput, { host, request: { dry_run: false, force: Boolean(o.force) }, timeoutMs: o.timeout ?? DEFAULT_DRAIN_TIMEOUT, command }, hostFlags);
}

export interface RunResult {
  start: MaintenanceChange;
  wait: DrainWait;
  exit_code: number;
  end: MaintenanceChange | null;
}

/** Runs the command with our stdin and stderr; its stdout goes to our stderr under --json (stdout holds one document). */
function runCommand(argv: string[], ctx: Context): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['inherit', ctx.globals.json ? 'pipe' : 'inherit', 'inherit'], env: ctx.env });
    child.stdout?.on('data', (chunk: Buffer) => ctx.io.stderr.write(chunk.toString()));
    child.once('error', (err) => reject(new UsageError(`could not run ${argv[0]}: ${err.message}`, { hint: 'the host stays under maintenance; end it with `ownstack maintenance end`' })));
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

export async function run(o: RunOptions, ctx: Context): Promise<RunResult> {
  const api = await ctx.api();
  const start = await api.call('maintenanceStart', { params: { host: o.host }, body: o.request });
  const wait = await waitForDrain(api, ctx, o.host, start, o.timeoutMs);
  if (!ctx.globals.json) renderChange(ctx, start, wait, 'drained');
  const code = await runCommand(o.command, ctx);
  if (code !== 0) return { start, wait, exit_code: code, end: null };
  const end = await api.call('maintenanceEnd', { params: { host: o.host }, body: { dry_run: false } });
  return { start, wait, exit_code: 0, end };
}

export function render(r: RunResult, ctx: Context, o: RunOptions): void {
  if (ctx.globals.json) printJson(ctx.io, r);
  else if (r.end) renderChange(ctx, r.end, null, 'undrained');
  if (r.exit_code !== 0) {
    throw new FailedError(`the command exited with ${r.exit_code}: ${o.host} stays under maintenance`, {
      hint: `check the host, then \`ownstack maintenance end ${o.host}\` (or run it again)`,
    });
  }
}
