import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';
import { variantOptions } from './flags.js';

export function registerVariantAdd(variant: Command): void {
  variantOptions(
    variant
      .command('add')
      .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
      .argument('<name>', 'variant name (lower case letters, digits, dashes)')
      .description('Add a variant (weight 0 by default: standby until you switch to it)'),
  )
    .addHelpText('after', examples('ownstack cluster variant add api blue --weight=100', 'ownstack cluster variant add api green --description="next release"'))
    .action(lazyAction(() => import('./add.run.js')));
}
