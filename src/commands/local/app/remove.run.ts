// local app remove: confirm by retyping the name (or --yes), then DELETE. The server refuses
// (exit 5) while a cluster still routes to the app.
import type { Context } from '../../../context.js';
import type { RawInput } from '../../define.js';
import type { App } from '../../../api/schemas.js';
import { confirmByRetyping } from '../../confirm.js';
import { parseAppRef, renderAppChange } from './view.js';

export interface AppRemoveOptions {
  app: string;
  yes: boolean;
}

export function parse(raw: RawInput): AppRemoveOptions {
  return { app: parseAppRef(raw.args[0]), yes: Boolean(raw.opts.yes) };
}

export async function run(o: AppRemoveOptions, ctx: Context): Promise<App> {
  if (!o.yes) await confirmByRetyping(ctx, { what: `remove local app ${o.app}`, expected: o.app });
  const api = await ctx.api();
  return api.call('appRemove', { params: { app: o.app } });
}

export function render(a: App, ctx: Context): void {
  renderAppChange(ctx, a, `Removed app ${a.name}`, false);
}
