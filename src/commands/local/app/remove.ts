// local app remove: confirm by retyping the name (or --yes), then DELETE. The server refuses
// (exit 5) while a cluster still routes to the app.
import { Argument, type Command } from 'commander';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import type { App } from '../../../api/schemas.js';
import { confirmByRetyping } from '../../confirm.js';
import { parseAppRef, renderAppChange } from './view.js';
import { localAppApi } from './control-plane.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<app>', 'app name or id'), 'app'))
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .addHelpText('after', examples('ownstack local app remove my-rails-app', 'ownstack local app remove my-rails-app --yes'));
}

export interface AppRemoveOptions {
  app: string;
  yes: boolean;
}

export function parse(raw: RawInput): AppRemoveOptions {
  return { app: parseAppRef(raw.args[0]), yes: Boolean(raw.opts.yes) };
}

export async function run(o: AppRemoveOptions, ctx: Context): Promise<App> {
  // Identified before the prompt: a hosted API is refused without asking anything.
  const api = await localAppApi(ctx);
  if (!o.yes) await confirmByRetyping(ctx, { what: `remove local app ${o.app}`, expected: o.app });
  return api.call('appRemove', { params: { app: o.app } });
}

export function render(a: App, ctx: Context): void {
  renderAppChange(ctx, a, `Removed app ${a.name}`, false);
}
