import { Option, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerClusterApply(cluster: Command): void {
  cluster
    .command('apply')
    .description('Make a cluster match a file (YAML or JSON, as `cluster export` writes it), creating it when missing: one transaction, one new generation')
    .addOption(completes(new Option('-f, --file <path>', 'the cluster file ("-" reads stdin)').makeOptionMandatory(), 'file'))
    .option('--dry-run', 'print the plan (what changes, env, Caddyfile, edge records) without changing anything')
    .option('--force', 'apply even when a hostname served now would be left with no upstream')
    .addOption(completes(new Option('--cloudflare-token-file <path>', 'creating an edge cloudflare cluster: read the API token from a file (or set CLOUDFLARE_API_TOKEN)'), 'file'))
    .addOption(completes(new Option('--dns-tsig-secret-file <path>', 'creating an rfc2136 cluster: the file holding the base64 TSIG secret (or OWNSTACK_DNS_TSIG_SECRET)'), 'file'))
    .addHelpText(
      'after',
      examples(
        'ownstack cluster apply -f api.yaml --dry-run',
        'ownstack cluster apply -f api.yaml',
        'ownstack cluster export api | ownstack cluster apply -f - --dry-run   # no changes',
      ),
    )
    .action(lazyAction(() => import('./apply.run.js')));
}
