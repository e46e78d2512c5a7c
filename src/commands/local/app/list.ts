// local app list: one row per app.
import type { Command } from 'commander';
import type { Context } from '../../../context.js';
import { type RawInput, examples } from '../../define.js';
import type { App } from '../../../api/schemas.js';
import { printJson } from '../../../output/json.js';
import { printTable } from '../../../output/table.js';
import { localAppApi } from './control-plane.js';

export function define(cmd: Command): void {
  cmd
    .addHelpText('after', examples('ownstack local app list', 'ownstack local app list --json | jq -r ".[].name"'));
}

export type AppListOptions = Record<string, never>;

export function parse(_raw: RawInput): AppListOptions {
  return {};
}

export async function run(_o: AppListOptions, ctx: Context): Promise<App[]> {
  const api = await localAppApi(ctx);
  return (await api.call('appList')).apps;
}

export function render(apps: App[], ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, apps);
  printTable(
    ctx.io,
    ['name', 'addresses', 'deploy', 'health'],
    apps.map((a) => [a.name, a.addresses.join(' ') || '-', a.deploy_cmd ?? '-', a.health_path]),
    'No local apps yet. Add one: ownstack local app add <name> --addr=127.0.0.1:3000',
  );
}
