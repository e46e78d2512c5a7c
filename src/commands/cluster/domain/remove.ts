import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerDomainRemove(domain: Command): void {
  domain
    .command('remove')
    .alias('rm')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .addArgument(completes(new Argument('<hostname>', 'hostname to stop fronting'), 'hostname'))
    .description('Remove a hostname from the cluster (its Caddyfile site, env var and edge records); asks you to retype it')
    .option('--dry-run', 'print the plan without changing anything')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .addHelpText('after', examples('ownstack cluster domain remove api app.example.com', 'ownstack cluster domain remove api app.example.com --yes'))
    .action(lazyAction(() => import('./remove.run.js')));
}
