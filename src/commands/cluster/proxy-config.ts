import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerClusterProxyConfig(cluster: Command): void {
  cluster
    .command('proxy-config')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .description('Print the rendered Caddyfile and proxy env vars (for a bring-your-own proxy)')
    .option('--caddyfile', 'print only the Caddyfile')
    .option('--env', 'print only the env file (KEY="value" lines)')
    .addHelpText(
      'after',
      examples('ownstack cluster proxy-config api', 'ownstack cluster proxy-config api --caddyfile > Caddyfile', 'ownstack cluster proxy-config api --env > proxy.env'),
    )
    .action(lazyAction(() => import('./proxy-config.run.js')));
}
