import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerMemberUndrain(member: Command): void {
  member
    .command('undrain')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<app>', 'the member app'), 'member'))
    .description('Route new traffic to a drained member again')
    .option('--dry-run', 'show the plan without applying it')
    .addHelpText('after', examples('ownstack cluster member undrain api my-rails-app'))
    .action(lazyAction(() => import('./undrain.run.js')));
}
