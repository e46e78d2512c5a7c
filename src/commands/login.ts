// login: read the token (flag, env, stdin or a no-echo prompt), verify it with GET /api/clusters,
// then save the profile 0600 and make it active. Nothing is saved when verification fails.
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { type RawInput, examples } from './define.js';
import { HOSTED_API_URL, LOCAL_PROFILE, ProfileStore, checkProfileName } from '../config/profiles.js';
import { AuthError, CliError, UsageError } from '../errors.js';
import { printJson } from '../output/json.js';
import { successLine } from '../output/style.js';
import { checkApiUrl, maskToken, plainHttpWarning, readToken } from './profile/credentials.js';

export function define(cmd: Command): void {
  cmd
    .description(
      'Save an API token as a profile (default name "default") and make it active. The token is checked with the control plane first.\n' +
        'Prefer --token-stdin or OWNSTACK_API_TOKEN: a --token value lands in your shell history and the process list.\n' +
        'The global --profile NAME chooses the profile to save; --api-url URL the control plane (default: the profile\'s, else https://api.ownstack.org).',
    )
    .option('--token <token>', 'the API token (visible in shell history; prefer --token-stdin)')
    .option('--token-stdin', 'read the token from stdin (or a no-echo prompt on a terminal)')
    .option('--api <url>', 'the control plane URL (an alias of the global --api-url, as OwnStack\'s CLI spells it)')
    .option('--no-verify', 'save without checking the token against the control plane')
    .addHelpText(
      'after',
      examples(
        'printf %s "$OWNSTACK_TOKEN" | ownstack login --token-stdin',
        'ownstack login --profile acme --api-url=https://cp.acme.example --token-stdin < token.txt',
        'OWNSTACK_API_TOKEN=… ownstack login --profile ci',
        'ownstack login            # prompts for the token without echoing it',
      ) + '\nThe token is stored in $OWNSTACK_HOME/profiles/<name> (mode 0600) and is only ever shown masked (…abcd).\n',
    );
}

export interface LoginOptions {
  profile: string;
  apiUrl: string;
  token: string;
  tokenSource: string;
  verify: boolean;
}

export interface LoginResult {
  profile: string;
  api_url: string;
  /** Masked. */
  token: string | null;
  active: boolean;
  verified: boolean;
  file: string;
}

export async function parse(raw: RawInput, ctx: Context): Promise<LoginOptions> {
  const o = raw.opts as { token?: string; tokenStdin?: boolean; verify?: boolean; api?: string };
  const profile = checkProfileName(ctx.globals.profile ?? 'default');
  if (profile === LOCAL_PROFILE) {
    throw new UsageError('the profile name "local" is reserved for the local control plane, which needs no login', { hint: 'choose another name: ownstack login --profile NAME' });
  }
  const store = new ProfileStore(ctx.home);
  // OwnStack's CLI spells it `login --api=URL`: the same as the global --api-url.
  if (o.api !== undefined && ctx.globals.apiUrl !== undefined && o.api !== ctx.globals.apiUrl) {
    throw new UsageError(`--api ${o.api} and --api-url ${ctx.globals.apiUrl} name two different control planes`, {
      hint: 'give one of them (--api is an alias of --api-url)',
      details: { code: 'invalid', message: 'conflicting --api and --api-url', field: '--api', value: o.api, rule: '--api is an alias of --api-url: give one URL' },
    });
  }
  const apiUrl = ctx.globals.apiUrl !== undefined
    ? checkApiUrl(ctx.globals.apiUrl, '--api-url')
    : o.api !== undefined
      ? checkApiUrl(o.api, '--api')
    : ctx.env.OWNSTACK_API_URL
      ? checkApiUrl(ctx.env.OWNSTACK_API_URL, 'OWNSTACK_API_URL')
      : (store.get(profile)?.apiUrl ?? HOSTED_API_URL);
  const { token, source } = await readToken(o, ctx, 'env-then-stdin');
  return { profile, apiUrl, token, tokenSource: source, verify: o.verify !== false };
}

export async function run(o: LoginOptions, ctx: Context): Promise<LoginResult> {
  if (o.tokenSource.startsWith('OWNSTACK_')) ctx.notice(`Using the token from ${o.tokenSource}`);
  if (o.verify) await verifyToken(o, ctx);
  const store = new ProfileStore(ctx.home);
  store.save({ name: o.profile, apiUrl: o.apiUrl, token: o.token });
  store.setActive(o.profile);
  const warning = plainHttpWarning(o.apiUrl);
  if (warning) ctx.notice(warning);
  return { profile: o.profile, api_url: o.apiUrl, token: maskToken(o.token), active: true, verified: o.verify, file: store.profilePath(o.profile) };
}

/** One authenticated GET against the control plane with the new token. */
async function verifyToken(o: LoginOptions, ctx: Context): Promise<void> {
  const { apiClientFor } = await import('../context-factory.js');
  const client = await apiClientFor(ctx, o.apiUrl, o.token);
  ctx.debug(`Checking the token (${maskToken(o.token)}) against ${o.apiUrl}…`);
  try {
    await client.call('clusterList', { signal: ctx.signal });
  } catch (err) {
    if (err instanceof AuthError) {
      throw new AuthError(`the control plane at ${o.apiUrl} refused the token ${maskToken(o.token)}: ${err.message}`, {
        hint: 'nothing was saved; check the token and --api-url',
      });
    }
    if (err instanceof CliError) {
      // Same exit code (a 404 is still 3, a timeout 6), with what to do next.
      throw new CliError(`could not verify the token: ${err.message}`, err.exitCode, {
        hint: 'nothing was saved; fix the --api-url, or pass --no-verify to save the profile without checking',
        cause: err,
      });
    }
    throw err;
  }
}

export function render(r: LoginResult, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, r);
  const overridden = ctx.env.OWNSTACK_PROFILE && ctx.env.OWNSTACK_PROFILE !== r.profile;
  if (overridden) ctx.notice(`note: OWNSTACK_PROFILE=${ctx.env.OWNSTACK_PROFILE} still overrides the active profile in this environment`);
  if (!r.verified) ctx.notice('note: the token was not verified (--no-verify)');
  if (ctx.globals.quiet) return;
  ctx.io.out(successLine(ctx.io, `Logged in to ${r.api_url} as profile ${r.profile} (token ${r.token ?? '-'})`));
}
