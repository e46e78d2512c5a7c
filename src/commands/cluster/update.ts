import { Argument, Option, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

// Flags `create` takes that an update refuses (with the reason): listed so the refusal can say why.
const CREATE_ONLY: [flag: string, value: string][] = [
  ['--edge', '<mode>'],
  ['--hostname', '<host>'],
  ['--proxy-app', '<app>'],
  ['--cloudflare-zone-id', '<id>'],
  ['--alb-target-group-arn', '<arn>'],
  ['--alb-region', '<region>'],
  ['--dns-provider', '<provider>'],
  ['--dns-zone', '<zone>'],
];

export function registerClusterUpdate(cluster: Command): void {
  const cmd = cluster
    .command('update')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .description('Change what create set that can change safely: health checks, proxy count, edge credentials')
    .option('--health-path <path>', 'member health-check path')
    .option('--health-interval <duration>', 'health-check interval (500ms, 5s, 1m)')
    .option('--health-timeout <duration>', 'health-check timeout, shorter than the interval')
    .option('--proxy-count <n>', 'proxy replicas (1–64): new ones start and join the edge, removed ones leave it first')
    .option('--cloudflare-token-stdin', 'edge cloudflare: read a new API token from stdin (token rotation)')
    .addOption(completes(new Option('--cloudflare-token-file <path>', 'edge cloudflare: read a new API token from a file'), 'file'))
    .option('--dns-server <host:port>', 'dns_rr rfc2136: the authoritative server (e.g. a new primary of the same zone)')
    .option('--dns-tsig-name <name>', 'dns_rr rfc2136: TSIG key name (key rotation)')
    .addOption(completes(new Option('--dns-tsig-secret-file <path>', 'dns_rr rfc2136: file holding the base64 TSIG secret (key rotation)'), 'file'))
    .option('--dry-run', 'print the plan (settings, proxy env, Caddyfile, edge records) without changing anything');
  for (const [flag, value] of CREATE_ONLY) cmd.addOption(new Option(`${flag} ${value}`).hideHelp());
  cmd
    .addHelpText(
      'after',
      examples(
        'ownstack cluster update api --health-path=/healthz --dry-run',
        'ownstack cluster update api --health-interval=10s --health-timeout=3s',
        'ownstack cluster update api --proxy-count=3',
        'printf %s "$NEW_CF_TOKEN" | ownstack cluster update web --cloudflare-token-stdin',
      ) +
        '\nNew edge credentials are checked with the provider before they are saved, as at create.\n' +
        'Set for good at create (destroy and create again to change them): the name, --edge, --proxy-app,\n' +
        "the edge's zone or target group (--cloudflare-zone-id, --alb-target-group-arn, --alb-region,\n" +
        '--dns-provider, --dns-zone); hostnames change with `cluster domain add|remove`.\n',
    )
    .action(lazyAction(() => import('./update.run.js')));
}
