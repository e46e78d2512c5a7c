// `ownstack cluster upstream …`: what each variant forwards to (an OwnStack app or an external URL).
import type { Command } from 'commander';
import { examples, type CommandEntry } from '../../define.js';

export const commands: readonly CommandEntry[] = [
  { names: ['list', 'ls'], summary: 'List the upstreams of every variant (hostname * = every hostname of the cluster)', usage: '<cluster>', load: () => import('./list.js') },
  { names: ['add'], summary: 'Add an upstream to a variant: exactly one of --url (external) or --app (OwnStack app)', usage: '[options] <cluster>', load: () => import('./add.js') },
  { names: ['remove', 'rm'], summary: 'Remove an upstream (asks you to retype its id unless --yes)', usage: '[options] <cluster> <upstream-id>', load: () => import('./remove.js') },
];

export function define(cmd: Command): void {
  cmd.addHelpText(
    'after',
    examples(
      'ownstack cluster upstream list api',
      'ownstack cluster upstream add api --variant=green --hostname=api.example.com --url=https://my-rails-app.herokuapp.com',
      'ownstack cluster upstream remove api 32',
    ),
  );
}
