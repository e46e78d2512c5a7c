import { Argument, Option, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerUpstreamAdd(upstream: Command): void {
  upstream
    .command('add')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .description('Add an upstream to a variant: exactly one of --url (external) or --app (OwnStack app)')
    .addOption(completes(new Option('--variant <name>', 'the variant this upstream belongs to (required)'), 'variant'))
    .addOption(completes(new Option('--hostname <host>', 'serve only this hostname (default: every hostname of the cluster, including later ones)'), 'hostname'))
    .option('--url <url>', 'an external upstream: scheme://host[:port] only — no path, query or fragment')
    .addOption(completes(new Option('--app <app>', 'an OwnStack app: resolves to its stack addresses'), 'app'))
    .option('--weight <0..1000>', "share among the variant's upstreams for a hostname (0 = no traffic)", '100')
    .addOption(completes(new Option('--host-header <host>', 'Host header sent upstream (default: the requested cluster hostname)'), 'hostname'))
    .option('--dry-run', 'show the plan (env vars, Caddyfile, edge records) without applying it')
    .addHelpText(
      'after',
      examples(
        'ownstack cluster upstream add api --variant=heroku --hostname=myhavenbot.com --url=https://myhavenbot.herokuapp.com',
        'ownstack cluster upstream add api --variant=havenhelix --app=myhavenbot-api',
        'ownstack cluster upstream add api --variant=green --url=https://green.example.net --host-header=api.example.com --dry-run',
      ) + '\nURL upstreams must be scheme://host[:port]: Caddy refuses paths, query strings and fragments,\nso they are rejected before anything is sent.\n',
    )
    .action(lazyAction(() => import('./add.run.js')));
}
