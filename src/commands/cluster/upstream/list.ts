import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerUpstreamList(upstream: Command): void {
  upstream
    .command('list')
    .alias('ls')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .description('List the upstreams of every variant (hostname * = every hostname of the cluster)')
    .addHelpText(
      'after',
      examples('ownstack cluster upstream list api', 'ownstack cluster upstream list api --json | jq \'.[] | select(.variant == "green")\''),
    )
    .action(lazyAction(() => import('./list.run.js')));
}
