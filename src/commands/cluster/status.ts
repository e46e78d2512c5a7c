import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerClusterStatus(cluster: Command): void {
  cluster
    .command('status')
    .addArgument(completes(new Argument('<name>', 'cluster name or id'), 'cluster'))
    .description('Draw the live topology: proxies, hostnames, variants, upstreams with their share and health, edge records')
    .addHelpText('after', examples('ownstack cluster status api', 'ownstack cluster status api --json | jq ".hostnames[].env_value"'))
    .action(lazyAction(() => import('./status.run.js')));
}
