// profile remove: deletes the profile file (confirm by retyping the name unless --yes). Removing the
// active profile makes commands fall back to the local control plane.
import { existsSync } from 'node:fs';
import { Argument, type Command } from 'commander';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import { LOCAL_PROFILE, ProfileStore, checkProfileName } from '../../config/profiles.js';
import { UsageError } from '../../errors.js';
import { confirmByRetyping } from '../confirm.js';
import { printJson } from '../../output/json.js';
import { successLine } from '../../output/style.js';
import { activeProfileName, requireProfile, viewOf, type ProfileView } from './view.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<name>', 'profile to remove'), 'profile'))
    .option('-y, --yes', 'do not ask for confirmation (needed when not on a terminal)')
    .addHelpText('after', examples('ownstack profile remove staging', 'ownstack profile remove staging --yes'));
}

export interface ProfileRemoveOptions {
  name: string;
  yes: boolean;
}

export interface ProfileRemoveResult extends ProfileView {
  /** What commands use now. */
  now_active: string;
}

export function parse(raw: RawInput): ProfileRemoveOptions {
  const name = checkProfileName(raw.args[0] ?? '');
  if (name === LOCAL_PROFILE) throw new UsageError('the "local" profile is built in and cannot be removed', { hint: 'switch away from it with: ownstack profile use NAME' });
  return { name, yes: raw.opts.yes === true };
}

export async function run(o: ProfileRemoveOptions, ctx: Context): Promise<ProfileRemoveResult> {
  const store = new ProfileStore(ctx.home);
  const p = requireProfile(store, o.name);
  if (!existsSync(store.profilePath(o.name))) {
    // The legacy single-profile "default" lives in the config file itself.
    throw new UsageError(`profile ${o.name} comes from the legacy settings in ${store.configPath}`, {
      hint: `remove OWNSTACK_API_URL and OWNSTACK_API_TOKEN from that file, or run \`ownstack login\` to move it to ${store.profilePath(o.name)}`,
    });
  }
  const view = viewOf(p, activeProfileName(store, ctx.env, ctx.globals.profile));
  if (!o.yes) await confirmByRetyping(ctx, { what: `delete profile ${o.name} and its stored token`, expected: o.name });
  store.remove(o.name);
  return { ...view, now_active: activeProfileName(store, ctx.env) };
}

export function render(r: ProfileRemoveResult, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, r);
  if (ctx.globals.quiet) return;
  ctx.io.out(successLine(ctx.io, `Removed profile ${r.name}`));
  if (r.active) ctx.notice(r.now_active === LOCAL_PROFILE ? 'It was active: commands now use the local control plane (profile local)' : `It was active: commands now use profile ${r.now_active}`);
}
