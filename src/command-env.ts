// The environment of the commands the control plane runs for a user (an app's deploy command, a
// proxy app's command): an explicit list, never a copy of the control plane's own environment,
// which holds provider credentials (CLOUDFLARE_API_TOKEN, AWS_SECRET_ACCESS_KEY, …) and the state
// paths (OWNSTACK_HOME, where the API token file lives).

/** Variables a user command gets from the control plane's environment when they are set. */
export const PASSED_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TERM', 'SSH_AUTH_SOCK'] as const;

/** The setting naming more variables to pass (comma- or space-separated names). */
export const EXTRA_ENV_SETTING = 'OWNSTACK_COMMAND_ENV';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The extra names OWNSTACK_COMMAND_ENV lists; OWNSTACK_* names (state and settings) never pass. */
export function extraEnvNames(env: NodeJS.ProcessEnv): string[] {
  return (env[EXTRA_ENV_SETTING] ?? '')
    .split(/[\s,]+/)
    .filter((n) => NAME.test(n) && !n.startsWith('OWNSTACK_'));
}

/**
 * A user command's whole environment: PASSED_ENV (and LC_*) from `base`, the names
 * OWNSTACK_COMMAND_ENV lists, then `own` (the command's context: cluster, app, addresses, …).
 */
export function commandEnv(base: NodeJS.ProcessEnv, own: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const pass = new Set<string>([...PASSED_ENV, ...extraEnvNames(base)]);
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined) continue;
    if (pass.has(k) || (k.startsWith('LC_') && NAME.test(k))) out[k] = v;
  }
  return { ...out, ...own };
}
