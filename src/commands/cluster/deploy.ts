import { Argument, Option, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerClusterDeploy(cluster: Command): void {
  cluster
    .command('deploy')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .description('Deploy every app member of the cluster and wait for it: the plan, live progress, then the result (URL upstreams are skipped)')
    .addOption(new Option('--strategy <strategy>', 'parallel: every member at once; rolling: drain → deploy → healthy → undrain, one member at a time').choices(['parallel', 'rolling']))
    .option('--force', 'start even when the control plane refuses (a rolling deploy with fewer than two active members cannot avoid downtime)')
    .option('--detach', 'return as soon as the job is queued and print its id (follow it later with deploy:status --wait)')
    .option('--timeout <duration>', 'how long to wait before giving up watching (exit 6; the deploy goes on), e.g. 10m, 1h', '30m')
    .addHelpText(
      'after',
      examples(
        'ownstack cluster deploy api --strategy=rolling',
        'ownstack cluster deploy api --detach',
        'ownstack cluster deploy api --strategy=rolling --json | tail -1 | jq .deploy.state',
      ) +
        '\nWhile it waits, Ctrl-C stops waiting (exit 130) and the deploy goes on; re-attach with\n' +
        '`ownstack cluster deploy:status <cluster> <id> --wait`, stop it with `ownstack cluster deploy:abort <cluster>`.\n' +
        'Exit codes: 0 every member succeeded, 1 failed/aborted, 5 another deploy is running, 6 still running at --timeout, 130 Ctrl-C.\n',
    )
    .action(lazyAction(() => import('./deploy.run.js')));
}
