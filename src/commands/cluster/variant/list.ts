import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerVariantList(variant: Command): void {
  variant
    .command('list')
    .alias('ls')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .description("List a cluster's variants with weight, status and whether they are routed")
    .addHelpText('after', examples('ownstack cluster variant list api', 'ownstack cluster variant list api --json | jq -r ".[] | select(.routed) | .name"'))
    .action(lazyAction(() => import('./list.run.js')));
}
