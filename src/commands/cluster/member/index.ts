// `ownstack cluster member …`: the legacy single-variant convenience — apps in the cluster,
// drained and undrained one at a time.
import type { Command } from 'commander';
import { examples, type CommandEntry } from '../../define.js';

export const commands: readonly CommandEntry[] = [
  { names: ['list', 'ls'], summary: 'List the members of a cluster with their status, weight and addresses', usage: '<cluster>', load: () => import('./list.js') },
  { names: ['add'], summary: 'Add an app as a member (an app upstream serving every hostname of the variant)', usage: '[options] <cluster> <app>', load: () => import('./add.js') },
  { names: ['drain'], summary: 'Stop new traffic to a member; existing connections finish (the proxy never serves zero routable members)', usage: '[options] <cluster> <app>', load: () => import('./drain.js') },
  { names: ['undrain'], summary: 'Route new traffic to a drained member again', usage: '[options] <cluster> <app>', load: () => import('./undrain.js') },
  { names: ['weight'], summary: "Set a member's weight (0 = no traffic unless it is the only thing left)", usage: '[options] <cluster> <app> <weight>', load: () => import('./weight.js') },
  { names: ['remove', 'rm'], summary: 'Remove a member from routing (asks you to retype the app name unless --yes); the app itself stays', usage: '[options] <cluster> <app>', load: () => import('./remove.js') },
];

export function define(cmd: Command): void {
  cmd.addHelpText(
    'after',
    examples('ownstack cluster member list api', 'ownstack cluster member drain api my-rails-app', 'ownstack cluster member weight api my-rails-app 0'),
  );
}
