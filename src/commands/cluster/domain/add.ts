import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerDomainAdd(domain: Command): void {
  domain
    .command('add')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .argument('<hostname>', 'hostname to front, e.g. api.example.com')
    .description('Add a hostname: a new Caddyfile site, its env var and edge records')
    .option('--dry-run', 'print the plan without changing anything')
    .addHelpText('after', examples('ownstack cluster domain add api api.example.com', 'ownstack cluster domain add api app.example.com --dry-run'))
    .action(lazyAction(() => import('./add.run.js')));
}
