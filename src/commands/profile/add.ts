// profile add: stores a profile 0600 without making it active; an existing one is a conflict unless --force.
import { Argument, type Command } from 'commander';
import type { Context } from '../../context.js';
import { type RawInput, examples } from '../define.js';
import { HOSTED_API_URL, LOCAL_PROFILE, ProfileStore, checkProfileName } from '../../config/profiles.js';
import { ConflictError, UsageError } from '../../errors.js';
import { printJson } from '../../output/json.js';
import { successLine } from '../../output/style.js';
import { checkApiUrl, plainHttpWarning, readToken } from './credentials.js';
import { activeProfileName, viewOf, type ProfileView } from './view.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(new Argument('<name>', "profile name (lower case letters, digits, '-', '_')"))
    .description(
      'Store a profile (API URL + token) without switching to it; --api-url defaults to https://api.ownstack.org.\n' +
        'Prefer --token-stdin: a --token value lands in your shell history.',
    )
    .option('--token <token>', 'the API token (visible in shell history; prefer --token-stdin)')
    .option('--token-stdin', 'read the token from stdin (or a no-echo prompt on a terminal)')
    .option('--force', 'replace an existing profile of that name (keeps its URL unless --api-url is given)')
    .addHelpText(
      'after',
      examples(
        'printf %s "$ACME_TOKEN" | ownstack profile add acme --api-url=https://cp.acme.example --token-stdin',
        'ownstack profile add staging --token-stdin --force < new-token.txt',
      ),
    );
}

export interface ProfileAddOptions {
  name: string;
  apiUrl: string | undefined;
  token: string;
  force: boolean;
}

export interface ProfileAddResult extends ProfileView {
  replaced: boolean;
  file: string;
}

export async function parse(raw: RawInput, ctx: Context): Promise<ProfileAddOptions> {
  const o = raw.opts as { token?: string; tokenStdin?: boolean; force?: boolean };
  const name = checkProfileName(raw.args[0] ?? '');
  if (name === LOCAL_PROFILE) {
    throw new UsageError('the profile name "local" is reserved for the embedded local control plane', { hint: 'choose another name' });
  }
  const force = o.force === true;
  // Refuse before reading a secret from stdin or a prompt.
  const existing = new ProfileStore(ctx.home).get(name);
  if (existing && !force) {
    throw new ConflictError(`profile ${name} already exists (${existing.apiUrl ?? 'no URL'})`, { hint: `pass --force to replace it, or remove it first: ownstack profile remove ${name}` });
  }
  const apiUrl = ctx.globals.apiUrl === undefined ? undefined : checkApiUrl(ctx.globals.apiUrl, '--api-url');
  const { token } = await readToken(o, ctx, 'none');
  return { name, apiUrl, token, force };
}

export async function run(o: ProfileAddOptions, ctx: Context): Promise<ProfileAddResult> {
  const store = new ProfileStore(ctx.home);
  const existing = store.get(o.name);
  if (existing && !o.force) throw new ConflictError(`profile ${o.name} already exists`, { hint: 'pass --force to replace it' });
  const profile = { name: o.name, apiUrl: o.apiUrl ?? existing?.apiUrl ?? HOSTED_API_URL, token: o.token };
  store.save(profile);
  const warning = plainHttpWarning(profile.apiUrl);
  if (warning) ctx.notice(warning);
  return { ...viewOf(profile, activeProfileName(store, ctx.env, ctx.globals.profile)), replaced: existing !== null, file: store.profilePath(o.name) };
}

export function render(r: ProfileAddResult, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, r);
  if (ctx.globals.quiet) return;
  ctx.io.out(successLine(ctx.io, `${r.replaced ? 'Replaced' : 'Added'} profile ${r.name} (${r.api_url}, token ${r.token ?? '-'})`));
  if (!r.active) ctx.notice(`Use it with: ownstack profile use ${r.name}  (or OWNSTACK_PROFILE=${r.name} for one command)`);
}
