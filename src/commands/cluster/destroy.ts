import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerClusterDestroy(cluster: Command): void {
  cluster
    .command('destroy')
    .addArgument(completes(new Argument('<name>', 'cluster name or id'), 'cluster'))
    .description('Destroy a cluster (its proxy app stays unless --with-proxy); asks you to retype the name')
    .option('--with-proxy', 'also remove the proxy app the cluster owns')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .addHelpText('after', examples('ownstack cluster destroy api', 'ownstack cluster destroy api --with-proxy --yes'))
    .action(lazyAction(() => import('./destroy.run.js')));
}
