import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerClusterDeployStatus(cluster: Command): void {
  cluster
    .command('deploy:status')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('[id]', 'deploy id (default: the most recent deploy)'), 'deploy'))
    .description('Show a deploy job (members, steps, errors); with --wait, follow it to its end')
    .option('--wait', 'follow the job with live progress until it finishes (re-attach after Ctrl-C or --detach)')
    .option('--timeout <duration>', 'with --wait: how long to wait before giving up watching (exit 6), e.g. 10m', '30m')
    .addHelpText(
      'after',
      examples('ownstack cluster deploy:status api', 'ownstack cluster deploy:status api 12 --wait', 'ownstack cluster deploy:status api --json | jq .state') +
        '\nExit codes: 0 succeeded, 1 failed/aborted/interrupted, 6 still queued or running.\n' +
        '(OwnStack\'s own deploy:status uses 2 for "in progress"; here 2 always means invalid usage.)\n',
    )
    .action(lazyAction(() => import('./deploy-status.run.js')));
}
