import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';
import { variantOptions } from './flags.js';

export function registerVariantUpdate(variant: Command): void {
  variantOptions(
    variant
      .command('update')
      .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
      .addArgument(completes(new Argument('<name>', 'variant name'), 'variant'))
      .description("Change a variant's weight, status or description (at least one)"),
  )
    .addHelpText('after', examples('ownstack cluster variant update api green --weight=10   # canary', 'ownstack cluster variant update api blue --status=draining --dry-run'))
    .action(lazyAction(() => import('./update.run.js')));
}
