import { Argument, Option, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerClusterDeploy(cluster: Command): void {
  cluster
    .command('deploy')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .description('Deploy every app-based member of the cluster (URL upstreams are skipped)')
    .addOption(new Option('--strategy <strategy>', 'parallel: all at once; rolling: drain → deploy → healthy → undrain, one at a time').choices(['parallel', 'rolling']))
    .option('--force', 'start even when the control plane would refuse (e.g. rolling with fewer than two active members)')
    .addHelpText('after', examples('ownstack cluster deploy api', 'ownstack cluster deploy api --strategy=rolling'))
    .action(lazyAction(() => import('./deploy.run.js')));
}
