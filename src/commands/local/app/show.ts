// local app show: one app's fields.
import { Argument, type Command } from 'commander';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import type { App } from '../../../api/schemas.js';
import { printJson } from '../../../output/json.js';
import { appDetails, parseAppRef } from './view.js';
import { localAppApi } from './control-plane.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<app>', 'app name or id'), 'app'))
    .addHelpText('after', examples('ownstack local app show my-rails-app', 'ownstack local app show my-rails-app --json | jq .addresses'));
}

export interface AppShowOptions {
  app: string;
}

export function parse(raw: RawInput): AppShowOptions {
  return { app: parseAppRef(raw.args[0]) };
}

export async function run(o: AppShowOptions, ctx: Context): Promise<App> {
  const api = await localAppApi(ctx);
  return api.call('appShow', { params: { app: o.app } });
}

export function render(a: App, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, a);
  ctx.io.out(appDetails(ctx, a));
}
