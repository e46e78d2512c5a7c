import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerVariantRemove(variant: Command): void {
  variant
    .command('remove')
    .alias('rm')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<name>', 'variant name'), 'variant'))
    .description('Remove a variant and its upstreams; asks you to retype the name')
    .option('--dry-run', 'print the plan without changing anything')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .addHelpText('after', examples('ownstack cluster variant remove api heroku', 'ownstack cluster variant remove api heroku --dry-run'))
    .action(lazyAction(() => import('./remove.run.js')));
}
