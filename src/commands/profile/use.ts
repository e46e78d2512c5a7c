// profile use: records the active profile in $OWNSTACK_HOME/config ("local" clears it).
import { Argument, type Command } from 'commander';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import { LOCAL_PROFILE, ProfileStore, checkProfileName } from '../../config/profiles.js';
import { printJson } from '../../output/json.js';
import { successLine } from '../../output/style.js';
import { localView, requireProfile, viewOf, type ProfileView } from './view.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<name>', 'profile to make active ("local" = the embedded control plane)'), 'profile'))
    .addHelpText('after', examples('ownstack profile use acme', 'ownstack profile use local'));
}

export interface ProfileUseOptions {
  name: string;
}

export function parse(raw: RawInput): ProfileUseOptions {
  return { name: checkProfileName(raw.args[0] ?? '') };
}

export async function run(o: ProfileUseOptions, ctx: Context): Promise<ProfileView> {
  const store = new ProfileStore(ctx.home);
  if (o.name === LOCAL_PROFILE) {
    store.setActive(null);
    // A legacy config (URL/token directly in the config file) would still win: name local explicitly.
    if (store.activeName() !== null) store.setActive(LOCAL_PROFILE);
    return localView(LOCAL_PROFILE);
  }
  const p = requireProfile(store, o.name);
  store.setActive(o.name);
  return viewOf(p, o.name);
}

export function render(v: ProfileView, ctx: Context): void {
  const env = ctx.env.OWNSTACK_PROFILE;
  if (env && env !== v.name) ctx.notice(`note: OWNSTACK_PROFILE=${env} still overrides the active profile in this environment`);
  if (ctx.globals.json) return printJson(ctx.io, v);
  if (ctx.globals.quiet) return;
  ctx.io.out(successLine(ctx.io, v.local ? 'Now using the local control plane (profile local)' : `Now using profile ${v.name} (${v.api_url ?? '-'})`));
}
