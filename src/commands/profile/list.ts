// profile list: the implicit "local" profile plus every stored one.
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { type RawInput, examples } from '../define.js';
import { LOCAL_PROFILE, ProfileStore } from '../../config/profiles.js';
import { printJson } from '../../output/json.js';
import { printTable } from '../../output/table.js';
import { activeProfileName, localView, viewOf, type ProfileView } from './view.js';

export function define(cmd: Command): void {
  cmd
    .addHelpText('after', examples('ownstack profile list', 'ownstack profile list --json | jq -r \'.[] | select(.active) | .name\''));
}

export type ProfileListOptions = Record<string, never>;

export function parse(_raw: RawInput): ProfileListOptions {
  return {};
}

export async function run(_o: ProfileListOptions, ctx: Context): Promise<ProfileView[]> {
  const store = new ProfileStore(ctx.home);
  const active = activeProfileName(store, ctx.env, ctx.globals.profile);
  // A stored file named "local" is shadowed by the built-in profile, as resolveProfile does.
  return [localView(active), ...store.list().filter((p) => p.name !== LOCAL_PROFILE).map((p) => viewOf(p, active))];
}

export function render(views: ProfileView[], ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, views);
  printTable(
    ctx.io,
    ['name', 'api-url', 'token', 'active'],
    views.map((v) => [v.name, v.local ? '(local control plane)' : (v.api_url ?? '-'), v.local ? '(local)' : (v.token ?? '-'), v.active ? '*' : '']),
    'No profiles.',
  );
}
