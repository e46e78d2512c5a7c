import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerClusterShow(cluster: Command): void {
  cluster
    .command('show')
    .addArgument(completes(new Argument('<name>', 'cluster name or id'), 'cluster'))
    .description('Show a cluster: edge, proxies, health settings, domains, variants, upstreams and members')
    .addHelpText('after', examples('ownstack cluster show api', 'ownstack cluster show api --json | jq .variants'))
    .action(lazyAction(() => import('./show.run.js')));
}
