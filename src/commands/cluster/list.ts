import type { Command } from 'commander';
import { examples, lazyAction } from '../define.js';

export function registerClusterList(cluster: Command): void {
  cluster
    .command('list')
    .alias('ls')
    .description('List clusters')
    .addHelpText('after', examples('ownstack cluster list', 'ownstack cluster list --json | jq -r ".[].name"'))
    .action(lazyAction(() => import('./list.run.js')));
}
