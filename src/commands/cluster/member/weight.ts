import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerMemberWeight(member: Command): void {
  member
    .command('weight')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<app>', 'the member app'), 'member'))
    .argument('<weight>', 'relative weight from 0 (no traffic) to 1000')
    .description("Set a member's weight (0 = no traffic unless it is the only thing left)")
    .option('--dry-run', 'show the plan without applying it')
    .addHelpText('after', examples('ownstack cluster member weight api my-rails-app 50', 'ownstack cluster member weight api my-rails-app 0 --dry-run'))
    .action(lazyAction(() => import('./weight.run.js')));
}
