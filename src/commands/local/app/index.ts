// `ownstack local app …`: apps of the local control plane (named address lists an upstream can use with --app).
import type { Command } from 'commander';
import { examples, type CommandEntry } from '../../define.js';

export const commands: readonly CommandEntry[] = [
  { names: ['list', 'ls'], summary: 'List local apps', load: () => import('./list.js') },
  { names: ['add', 'create'], summary: 'Create a local app from the addresses it listens on', usage: '[options] <app>', load: () => import('./add.js') },
  { names: ['show'], summary: 'Show a local app: addresses, deploy command, health path', usage: '<app>', load: () => import('./show.js') },
  { names: ['update'], summary: 'Change a local app; new addresses are routed at once by every cluster that uses it', usage: '[options] <app>', load: () => import('./update.js') },
  { names: ['remove', 'rm'], summary: 'Remove a local app (refused while a cluster uses it); asks you to retype the name', usage: '[options] <app>', load: () => import('./remove.js') },
];

export function define(cmd: Command): void {
  cmd.addHelpText(
    'after',
    examples('ownstack local app add my-rails-app --addr=127.0.0.1:3001 --addr=127.0.0.1:3002', 'ownstack local app list', 'ownstack cluster upstream add api --variant=blue --app=my-rails-app'),
  );
}
