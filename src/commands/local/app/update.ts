// local app update: PATCH only what was given; --addr replaces the whole address list.
import { Argument, type Command } from 'commander';
import type { z } from 'zod';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import { appUpdateRequest } from '../../../api/requests.js';
import type { App } from '../../../api/schemas.js';
import { parseInput } from '../../../inputs/index.js';
import { UsageError } from '../../../errors.js';
import { appFlags, parseAppRef, renderAppChange } from './view.js';
import { localAppApi } from './control-plane.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<app>', 'app name or id'), 'app'))
    .option('--addr <host:port>', 'the full new address list (repeat for more; replaces the old list)', collect)
    .option('--deploy-cmd <command>', 'new deploy command')
    .option('--no-deploy-cmd', 'remove the deploy command')
    .option('--health-path <path>', 'new health-check path')
    .addHelpText(
      'after',
      examples(
        'ownstack local app update my-rails-app --addr=127.0.0.1:3001 --addr=127.0.0.1:3003',
        'ownstack local app update my-rails-app --deploy-cmd="./bin/deploy" --health-path=/up',
        'ownstack local app update my-rails-app --no-deploy-cmd',
      ),
    );
}

export interface AppUpdateOptions {
  app: string;
  body: z.output<typeof appUpdateRequest>;
}

export function parse(raw: RawInput): AppUpdateOptions {
  const app = parseAppRef(raw.args[0]);
  const o = raw.opts as { addr?: string[]; deployCmd?: string | false; healthPath?: string };
  const body: Record<string, unknown> = {};
  if (o.addr !== undefined) body.addresses = o.addr;
  if (o.deployCmd === false) body.deploy_cmd = null;
  else if (o.deployCmd !== undefined) body.deploy_cmd = o.deployCmd;
  if (o.healthPath !== undefined) body.health_path = o.healthPath;
  if (Object.keys(body).length === 0) {
    throw new UsageError('nothing to update: give --addr, --deploy-cmd, --no-deploy-cmd or --health-path', {
      hint: `e.g. ownstack local app update ${app} --addr=127.0.0.1:3001`,
    });
  }
  return { app, body: parseInput(appUpdateRequest, body, appFlags) };
}

export async function run(o: AppUpdateOptions, ctx: Context): Promise<App> {
  const api = await localAppApi(ctx);
  return api.call('appUpdate', { params: { app: o.app }, body: o.body });
}

export function render(a: App, ctx: Context): void {
  renderAppChange(ctx, a, `Updated app ${a.name}`);
}
