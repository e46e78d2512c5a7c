// `ownstack local app …`: apps of the local control plane (named address lists an upstream can use with --app).
import type { Command } from 'commander';
import { examples } from '../../define.js';
import { registerAppList } from './list.js';
import { registerAppAdd } from './add.js';
import { registerAppShow } from './show.js';
import { registerAppUpdate } from './update.js';
import { registerAppRemove } from './remove.js';

export function registerLocalApp(local: Command): void {
  const app = local
    .command('app')
    .description('Local apps: named sets of host:port addresses (and a deploy command) that upstreams and members refer to with --app')
    .addHelpText(
      'after',
      examples('ownstack local app add my-rails-app --addr=127.0.0.1:3001 --addr=127.0.0.1:3002', 'ownstack local app list', 'ownstack cluster upstream add api --variant=blue --app=my-rails-app'),
    );
  registerAppList(app);
  registerAppAdd(app);
  registerAppShow(app);
  registerAppUpdate(app);
  registerAppRemove(app);
}
