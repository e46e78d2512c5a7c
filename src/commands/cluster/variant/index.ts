// `ownstack cluster variant …`: named groups of upstreams that traffic is weighted across.
import type { Command } from 'commander';
import { examples, type CommandEntry } from '../../define.js';

export const commands: readonly CommandEntry[] = [
  { names: ['list', 'ls'], summary: "List a cluster's variants with weight, status and whether they are routed", usage: '<cluster>', load: () => import('./list.js') },
  { names: ['add'], summary: 'Add a variant (weight 0 by default: standby until you switch to it)', usage: '[options] <cluster> <name>', load: () => import('./add.js') },
  { names: ['update'], summary: "Change a variant's weight, status or description (at least one)", usage: '[options] <cluster> <name>', load: () => import('./update.js') },
  { names: ['remove', 'rm'], summary: 'Remove a variant and its upstreams; asks you to retype the name', usage: '[options] <cluster> <name>', load: () => import('./remove.js') },
];

export function define(cmd: Command): void {
  cmd.addHelpText('after', examples('ownstack cluster variant list api', 'ownstack cluster variant add api green --weight=0'));
}
