import { Argument, Option, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerClusterSwitch(cluster: Command): void {
  cluster
    .command('switch')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .description('Route every hostname of the cluster to one variant, atomically (blue/green cutover, rollback)')
    .addOption(completes(new Option('--to <variant>', 'the variant that gets all the traffic').makeOptionMandatory(), 'variant'))
    .option('--dry-run', 'print the plan (env, Caddyfile, edge records) without changing anything')
    .option('--force', 'switch even when the control plane would refuse (e.g. the target variant has no healthy upstream)')
    .addHelpText(
      'after',
      examples('ownstack cluster switch api --to=green --dry-run', 'ownstack cluster switch api --to=green', 'ownstack cluster switch api --to=blue   # roll back'),
    )
    .action(lazyAction(() => import('./switch.run.js')));
}
