import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerAppShow(app: Command): void {
  app
    .command('show')
    .addArgument(completes(new Argument('<app>', 'app name or id'), 'app'))
    .description('Show a local app: addresses, deploy command, health path')
    .addHelpText('after', examples('ownstack local app show my-rails-app', 'ownstack local app show my-rails-app --json | jq .addresses'))
    .action(lazyAction(() => import('./show.run.js')));
}
