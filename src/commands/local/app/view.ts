// How a local app is shown: shared by add, show and update.
import type { Context } from '../../../context.js';
import type { App } from '../../../api/schemas.js';
import { printJson } from '../../../output/json.js';
import { renderKeyValues } from '../../../output/table.js';
import { successLine } from '../../../output/style.js';
import { appRefSchema, parseInput } from '../../../inputs/index.js';

/** An app argument: a numeric id as given, else a valid app name. */
export function parseAppRef(raw: string | undefined): string {
  return parseInput(appRefSchema, raw, { '': '<app>' });
}

/** Issue path -> flag, for every request body an app command sends. */
export const appFlags: Record<string, string> = {
  name: '<app>',
  app: '<app>',
  addresses: '--addr',
  deploy_cmd: '--deploy-cmd',
  health_path: '--health-path',
  // zod reports list items as addresses.<index>.
  ...Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`addresses.${i}`, '--addr'])),
};

/** The app's fields as aligned key/value lines (tab-separated when piped). */
export function appDetails(ctx: Context, a: App): string {
  return renderKeyValues(ctx.io, [
    ['name', a.name],
    ['addresses', a.addresses.join(' ') || '-'],
    ['deploy', a.deploy_cmd ?? '-'],
    ['health', a.health_path],
    ['created', a.created_at],
    ['updated', a.updated_at],
  ]);
}

/** A mutation's output: the app as JSON, or a success line (plus details on a terminal). */
export function renderAppChange(ctx: Context, a: App, message: string, details = true): void {
  if (ctx.globals.json) return printJson(ctx.io, a);
  if (ctx.globals.quiet) return;
  ctx.io.out(successLine(ctx.io, message));
  if (details && ctx.io.stdoutIsTTY) ctx.io.out(appDetails(ctx, a));
}
