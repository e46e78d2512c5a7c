// `ownstack profile …`: named control planes (API URL + token) under $OWNSTACK_HOME/profiles.
import type { Command } from 'commander';
import { examples, registerSubcommands, type Scope } from '../define.js';
import { registerProfileList } from './list.js';
import { registerProfileShow } from './show.js';
import { registerProfileUse } from './use.js';
import { registerProfileAdd } from './add.js';
import { registerProfileRemove } from './remove.js';

export function registerProfile(program: Command, scope: Scope = 'all'): void {
  const profile = program
    .command('profile')
    .description('Profiles: which control plane (API URL + token) commands talk to; "local" is the embedded one')
    .addHelpText(
      'after',
      examples('ownstack profile list', 'ownstack profile use acme', 'OWNSTACK_PROFILE=staging ownstack cluster list   # one command, another profile') +
        '\nPrecedence: --profile / --api-url flags > OWNSTACK_PROFILE, OWNSTACK_API_URL, OWNSTACK_API_TOKEN > the active profile > local.\n',
    );
  registerSubcommands(profile, scope, [
    { names: ['list', 'ls'], register: registerProfileList },
    { names: ['show'], register: registerProfileShow },
    { names: ['use'], register: registerProfileUse },
    { names: ['add'], register: registerProfileAdd },
    { names: ['remove', 'rm'], register: registerProfileRemove },
  ]);
}
