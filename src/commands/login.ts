import { type Command } from 'commander';
import { examples, lazyAction } from './define.js';

export function registerLogin(program: Command): void {
  program
    .command('login')
    .summary('Save an API token as a profile and make it active')
    .description(
      'Save an API token as a profile (default name "default") and make it active. The token is checked with the control plane first.\n' +
        'Prefer --token-stdin or OWNSTACK_API_TOKEN: a --token value lands in your shell history and the process list.\n' +
        'The global --profile NAME chooses the profile to save; --api-url URL the control plane (default: the profile\'s, else https://api.ownstack.org).',
    )
    .option('--token <token>', 'the API token (visible in shell history; prefer --token-stdin)')
    .option('--token-stdin', 'read the token from stdin (or a no-echo prompt on a terminal)')
    .option('--no-verify', 'save without checking the token against the control plane')
    .addHelpText(
      'after',
      examples(
        'printf %s "$OWNSTACK_TOKEN" | ownstack login --token-stdin',
        'ownstack login --profile acme --api-url=https://cp.acme.example --token-stdin < token.txt',
        'OWNSTACK_API_TOKEN=… ownstack login --profile ci',
        'ownstack login            # prompts for the token without echoing it',
      ) + '\nThe token is stored in $OWNSTACK_HOME/profiles/<name> (mode 0600) and is only ever shown masked (…abcd).\n',
    )
    .action(lazyAction(() => import('./login.run.js')));
}
