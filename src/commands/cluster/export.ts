import { Argument, Option, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerClusterExport(cluster: Command): void {
  cluster
    .command('export')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .description("Print the cluster's desired state as a file for `cluster apply` (YAML; JSON with --format=json or --json); secrets are left out")
    .addOption(new Option('--format <format>', 'yaml (the default) or json').choices(['yaml', 'json']))
    .addHelpText(
      'after',
      examples(
        'ownstack cluster export api > api.yaml',
        'ownstack cluster export api --format=json > api.json',
        'ownstack cluster export api | ownstack cluster apply -f - --dry-run   # no changes',
      ),
    )
    .action(lazyAction(() => import('./export.run.js')));
}
