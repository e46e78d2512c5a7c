import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerAppRemove(app: Command): void {
  app
    .command('remove')
    .alias('rm')
    .addArgument(completes(new Argument('<app>', 'app name or id'), 'app'))
    .description('Remove a local app (refused while a cluster uses it); asks you to retype the name')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .addHelpText('after', examples('ownstack local app remove my-rails-app', 'ownstack local app remove my-rails-app --yes'))
    .action(lazyAction(() => import('./remove.run.js')));
}
