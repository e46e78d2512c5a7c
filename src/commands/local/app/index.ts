// `ownstack local app …`: apps of the local control plane (named address lists an upstream can use with --app).
import type { Command } from 'commander';
import { examples, registerSubcommands, type Scope } from '../../define.js';
import { registerAppList } from './list.js';
import { registerAppAdd } from './add.js';
import { registerAppShow } from './show.js';
import { registerAppUpdate } from './update.js';
import { registerAppRemove } from './remove.js';

export function registerLocalApp(local: Command, scope: Scope = 'all'): void {
  const app = local
    .command('app')
    .description('Local apps: named sets of host:port addresses (and a deploy command) that upstreams and members refer to with --app')
    .addHelpText(
      'after',
      examples('ownstack local app add my-rails-app --addr=127.0.0.1:3001 --addr=127.0.0.1:3002', 'ownstack local app list', 'ownstack cluster upstream add api --variant=blue --app=my-rails-app'),
    );
  registerSubcommands(app, scope, [
    { names: ['list', 'ls'], register: registerAppList },
    { names: ['add', 'create'], register: registerAppAdd },
    { names: ['show'], register: registerAppShow },
    { names: ['update'], register: registerAppUpdate },
    { names: ['remove', 'rm'], register: registerAppRemove },
  ]);
}
