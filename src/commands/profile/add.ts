import { Argument, type Command } from 'commander';
import { examples, lazyAction } from '../define.js';

export function registerProfileAdd(profile: Command): void {
  profile
    .command('add')
    .addArgument(new Argument('<name>', "profile name (lower case letters, digits, '-', '_')"))
    .summary('Store a profile (API URL + token) without switching to it')
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
    )
    .action(lazyAction(() => import('./add.run.js')));
}
