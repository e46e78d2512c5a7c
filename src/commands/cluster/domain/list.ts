import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerDomainList(domain: Command): void {
  domain
    .command('list')
    .alias('ls')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .description("List a cluster's hostnames and their env var names")
    .addHelpText('after', examples('ownstack cluster domain list api', 'ownstack cluster domain list api --json | jq -r ".[].hostname"'))
    .action(lazyAction(() => import('./list.run.js')));
}
