import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerUpstreamRemove(upstream: Command): void {
  upstream
    .command('remove')
    .alias('rm')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<upstream-id>', 'the upstream id (see `ownstack cluster upstream list`)'), 'upstream'))
    .description('Remove an upstream (asks you to retype its id unless --yes)')
    .option('--dry-run', 'show the plan without applying it')
    .option('-y, --yes', 'do not ask for confirmation (needed when not on a terminal)')
    .addHelpText('after', examples('ownstack cluster upstream remove api 32', 'ownstack cluster upstream remove api 32 --dry-run', 'ownstack cluster upstream remove api 32 --yes'))
    .action(lazyAction(() => import('./remove.run.js')));
}
