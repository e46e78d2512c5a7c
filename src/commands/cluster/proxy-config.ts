import { Argument, Option, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerClusterProxyConfig(cluster: Command): void {
  cluster
    .command('proxy-config')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .description('Print the rendered Caddyfile and proxy env vars (for a bring-your-own proxy)')
    // Each flag means "only this file"; both together contradict each other (neither prints both).
    .addOption(new Option('--caddyfile', 'print only the Caddyfile').conflicts('env'))
    .option('--env', 'print only the env file (KEY="value" lines)')
    .addHelpText(
      'after',
      examples('ownstack cluster proxy-config api', 'ownstack cluster proxy-config api --caddyfile > Caddyfile', 'ownstack cluster proxy-config api --env > proxy.env'),
    )
    .action(lazyAction(() => import('./proxy-config.run.js')));
}
