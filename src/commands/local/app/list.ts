import type { Command } from 'commander';
import { examples, lazyAction } from '../../define.js';

export function registerAppList(app: Command): void {
  app
    .command('list')
    .alias('ls')
    .description('List local apps')
    .addHelpText('after', examples('ownstack local app list', 'ownstack local app list --json | jq -r ".[].name"'))
    .action(lazyAction(() => import('./list.run.js')));
}
