// `ownstack cluster member …`: the legacy single-variant convenience — apps in the cluster,
// drained and undrained one at a time.
import type { Command } from 'commander';
import { examples } from '../../define.js';
import { registerMemberList } from './list.js';
import { registerMemberAdd } from './add.js';
import { registerMemberDrain } from './drain.js';
import { registerMemberUndrain } from './undrain.js';
import { registerMemberWeight } from './weight.js';
import { registerMemberRemove } from './remove.js';

export function registerMember(cluster: Command): void {
  const member = cluster
    .command('member')
    .description('Members (apps in the cluster): add, drain, undrain, weight, remove — the single-variant convenience')
    .addHelpText(
      'after',
      examples('ownstack cluster member list api', 'ownstack cluster member drain api my-rails-app', 'ownstack cluster member weight api my-rails-app 0'),
    );
  registerMemberList(member);
  registerMemberAdd(member);
  registerMemberDrain(member);
  registerMemberUndrain(member);
  registerMemberWeight(member);
  registerMemberRemove(member);
}
