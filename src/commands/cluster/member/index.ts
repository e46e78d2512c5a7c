// `ownstack cluster member …`: the legacy single-variant convenience — apps in the cluster,
// drained and undrained one at a time.
import type { Command } from 'commander';
import { examples, registerSubcommands, type Scope } from '../../define.js';
import { registerMemberList } from './list.js';
import { registerMemberAdd } from './add.js';
import { registerMemberDrain } from './drain.js';
import { registerMemberUndrain } from './undrain.js';
import { registerMemberWeight } from './weight.js';
import { registerMemberRemove } from './remove.js';

export function registerMember(cluster: Command, scope: Scope = 'all'): void {
  const member = cluster
    .command('member')
    .description('Members (apps in the cluster): add, drain, undrain, weight, remove — the single-variant convenience')
    .addHelpText(
      'after',
      examples('ownstack cluster member list api', 'ownstack cluster member drain api my-rails-app', 'ownstack cluster member weight api my-rails-app 0'),
    );
  registerSubcommands(member, scope, [
    { names: ['list', 'ls'], register: registerMemberList },
    { names: ['add'], register: registerMemberAdd },
    { names: ['drain'], register: registerMemberDrain },
    { names: ['undrain'], register: registerMemberUndrain },
    { names: ['weight'], register: registerMemberWeight },
    { names: ['remove', 'rm'], register: registerMemberRemove },
  ]);
}
