// profile show: the resolution of one profile (flag > env > profile > local), token masked.
import { existsSync } from 'node:fs';
import { Argument, type Command } from 'commander';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import { LOCAL_PROFILE, ProfileStore, checkProfileName, resolveProfile } from '../../config/profiles.js';
import { printJson } from '../../output/json.js';
import { renderKeyValues } from '../../output/table.js';
import { maskToken } from './credentials.js';
import { activeProfileName, requireProfile } from './view.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('[name]', 'profile to show (default: the one commands use now)'), 'profile'))
    .addHelpText('after', examples('ownstack profile show', 'ownstack profile show acme', 'OWNSTACK_API_URL=http://127.0.0.1:7070 ownstack profile show'));
}

export interface ProfileShowOptions {
  name?: string;
}

export interface ProfileShowResult {
  name: string;
  api_url: string | null;
  token: string | null;
  local: boolean;
  active: boolean;
  source: { name: string; api_url: string; token: string };
  file: string | null;
}

export function parse(raw: RawInput): ProfileShowOptions {
  return raw.args[0] === undefined ? {} : { name: checkProfileName(raw.args[0]) };
}

export async function run(o: ProfileShowOptions, ctx: Context): Promise<ProfileShowResult> {
  const store = new ProfileStore(ctx.home);
  let resolved;
  if (o.name !== undefined) {
    // An explicit name must exist, even when env overrides would make it resolvable.
    if (o.name !== LOCAL_PROFILE) requireProfile(store, o.name);
    resolved = resolveProfile(store, ctx.env, { profile: o.name, apiUrl: ctx.globals.apiUrl });
    resolved.source.name = 'argument';
  } else {
    resolved = ctx.profile();
  }
  return {
    name: resolved.name,
    api_url: resolved.apiUrl,
    token: maskToken(resolved.token),
    local: resolved.local,
    active: activeProfileName(store, ctx.env, ctx.globals.profile) === resolved.name,
    source: { name: resolved.source.name, api_url: resolved.source.apiUrl, token: resolved.source.token },
    file: resolved.name === LOCAL_PROFILE ? null : fileOf(store, resolved.name),
  };
}

/** Where a profile is stored: its own file, or (legacy "default") the config file; null when nowhere. */
function fileOf(store: ProfileStore, name: string): string | null {
  if (existsSync(store.profilePath(name))) return store.profilePath(name);
  return store.get(name) ? store.configPath : null;
}

export function render(r: ProfileShowResult, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, r);
  ctx.io.out(
    renderKeyValues(ctx.io, [
      ['profile', `${r.name}${r.active ? ' (active)' : ''}  [from ${r.source.name}]`],
      ['api url', `${r.api_url ?? 'local control plane (started on demand)'}  [from ${r.source.api_url}]`],
      ['token', `${r.token ?? (r.local ? '(read from the local control plane)' : 'none')}  [from ${r.source.token}]`],
      ...(r.file ? ([['file', r.file]] as [string, string][]) : []),
    ]),
  );
}
