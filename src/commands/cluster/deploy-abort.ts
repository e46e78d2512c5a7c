import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerClusterDeployAbort(cluster: Command): void {
  cluster
    .command('deploy:abort')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('[id]', 'deploy id (default: the deploy in progress)'), 'deploy'))
    .description('Stop a deploy safely: the current step finishes, drained members get traffic back (once healthy), the rest is skipped')
    .option('--detach', 'return once the abort is requested instead of waiting for the job to stop')
    .option('--timeout <duration>', 'how long to wait for the job to stop (exit 6), e.g. 5m', '30m')
    .addHelpText('after', examples('ownstack cluster deploy:abort api', 'ownstack cluster deploy:abort api 12 --detach'))
    .action(lazyAction(() => import('./deploy-abort.run.js')));
}
