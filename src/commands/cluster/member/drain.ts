import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerMemberDrain(member: Command): void {
  member
    .command('drain')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<app>', 'the member app'), 'member'))
    .description('Stop new traffic to a member; existing connections finish (the proxy never serves zero routable members)')
    .option('--dry-run', 'show the plan without applying it')
    .addHelpText('after', examples('ownstack cluster member drain api my-rails-app', 'ownstack cluster member drain api my-rails-app --dry-run'))
    .action(lazyAction(() => import('./drain.run.js')));
}
