import { Argument, Option, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerMemberAdd(member: Command): void {
  member
    .command('add')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<app>', 'the OwnStack app to add'), 'app'))
    .description("Add an app as a member (an app upstream serving every hostname of the variant)")
    .addOption(completes(new Option('--variant <name>', 'the variant to join (needed when the cluster has several; a cluster without variants gets "default")'), 'variant'))
    .option('--weight <0..1000>', 'relative weight (0 = no traffic)', '100')
    .option('--dry-run', 'show the plan without applying it')
    .addHelpText('after', examples('ownstack cluster member add api my-rails-app', 'ownstack cluster member add api worker-app --variant=blue --weight=50 --dry-run'))
    .action(lazyAction(() => import('./add.run.js')));
}
