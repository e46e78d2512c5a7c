// `ownstack cluster domain …`: the hostnames a cluster fronts.
import type { Command } from 'commander';
import { examples, type CommandEntry } from '../../define.js';

export const commands: readonly CommandEntry[] = [
  { names: ['list', 'ls'], summary: "List a cluster's hostnames and their env var names", usage: '<cluster>', load: () => import('./list.js') },
  { names: ['add'], summary: 'Add a hostname: a new Caddyfile site, its env var and edge records', usage: '[options] <cluster> <hostname>', load: () => import('./add.js') },
  { names: ['remove', 'rm'], summary: 'Remove a hostname from the cluster (its Caddyfile site, env var and edge records); asks you to retype it', usage: '[options] <cluster> <hostname>', load: () => import('./remove.js') },
];

export function define(cmd: Command): void {
  cmd.addHelpText('after', examples('ownstack cluster domain list api', 'ownstack cluster domain add api api.example.com'));
}
