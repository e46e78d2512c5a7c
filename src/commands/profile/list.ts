import type { Command } from 'commander';
import { examples, lazyAction } from '../define.js';

export function registerProfileList(profile: Command): void {
  profile
    .command('list')
    .alias('ls')
    .description('List profiles (the active one is marked *; "local" is the embedded control plane)')
    .addHelpText('after', examples('ownstack profile list', 'ownstack profile list --json | jq -r \'.[] | select(.active) | .name\''))
    .action(lazyAction(() => import('./list.run.js')));
}
