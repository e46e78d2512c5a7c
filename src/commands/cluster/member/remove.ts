import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerMemberRemove(member: Command): void {
  member
    .command('remove')
    .alias('rm')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<app>', 'the member app'), 'member'))
    .description('Remove a member from routing (asks you to retype the app name unless --yes); the app itself stays')
    .option('--dry-run', 'show the plan without applying it')
    .option('-y, --yes', 'do not ask for confirmation (needed when not on a terminal)')
    .addHelpText('after', examples('ownstack cluster member remove api my-rails-app', 'ownstack cluster member remove api my-rails-app --yes'))
    .action(lazyAction(() => import('./remove.run.js')));
}
