import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerAppUpdate(app: Command): void {
  app
    .command('update')
    .addArgument(completes(new Argument('<app>', 'app name or id'), 'app'))
    .description("Change a local app; new addresses are routed at once by every cluster that uses it")
    .option('--addr <host:port>', 'the full new address list (repeat for more; replaces the old list)', collect)
    .option('--deploy-cmd <command>', 'new deploy command')
    .option('--no-deploy-cmd', 'remove the deploy command')
    .option('--health-path <path>', 'new health-check path')
    .addHelpText(
      'after',
      examples(
        'ownstack local app update my-rails-app --addr=127.0.0.1:3001 --addr=127.0.0.1:3003',
        'ownstack local app update my-rails-app --deploy-cmd="./bin/deploy" --health-path=/up',
        'ownstack local app update my-rails-app --no-deploy-cmd',
      ),
    )
    .action(lazyAction(() => import('./update.run.js')));
}
