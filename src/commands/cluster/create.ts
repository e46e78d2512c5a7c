import { Option, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerClusterCreate(cluster: Command): void {
  cluster
    .command('create')
    .argument('<name>', 'cluster name (lower case letters, digits, dashes)')
    .description('Create a cluster: its edge, its proxy replicas and health-check settings')
    .option('--hostname <host>', 'a hostname the cluster fronts (repeat for more)', collect)
    .addOption(new Option('--edge <mode>', 'how the edge balances the proxies').choices(['dns_rr', 'cloudflare', 'aws_alb', 'none']).default('dns_rr'))
    .option('--proxy-count <n>', 'proxy replicas (≥ 1)', '1')
    .addOption(completes(new Option('--proxy-app <app>', 'use an existing app as the proxy (bring your own proxy)'), 'app'))
    .option('--health-path <path>', 'member health-check path', '/')
    .option('--health-interval <duration>', 'health-check interval (500ms, 5s, 1m)', '5s')
    .option('--health-timeout <duration>', 'health-check timeout, shorter than the interval', '2s')
    .option('--cloudflare-zone-id <id>', 'Cloudflare zone id (32 hex characters)')
    .option('--cloudflare-token-stdin', 'read the Cloudflare API token from stdin (or set CLOUDFLARE_API_TOKEN)')
    .addOption(completes(new Option('--cloudflare-token-file <path>', 'read the Cloudflare API token from a file'), 'file'))
    .option('--alb-target-group-arn <arn>', 'AWS ALB target group ARN')
    .option('--alb-region <region>', "AWS region of the target group (defaults to the ARN's region)")
    .addOption(new Option('--dns-provider <provider>', 'dns_rr: where records go').choices(['zonefile', 'rfc2136']))
    .option('--dns-server <host:port>', 'dns_rr rfc2136: the authoritative server')
    .option('--dns-zone <zone>', 'dns_rr rfc2136: the zone to update')
    .option('--dns-tsig-name <name>', 'dns_rr rfc2136: TSIG key name')
    .addOption(completes(new Option('--dns-tsig-secret-file <path>', 'dns_rr rfc2136: file holding the base64 TSIG secret (or OWNSTACK_DNS_TSIG_SECRET)'), 'file'))
    .addHelpText(
      'after',
      examples(
        'ownstack cluster create api --edge=dns_rr --proxy-count=2',
        'ownstack cluster create api --hostname=api.example.com --hostname=app.example.com',
        'printf %s "$CF_TOKEN" | ownstack cluster create web --edge=cloudflare --cloudflare-zone-id=023e105f4ecef8ad9ca31a8372d0c353 --cloudflare-token-stdin',
        'ownstack cluster create edge1 --edge=aws_alb --alb-target-group-arn=arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef',
      ),
    )
    .action(lazyAction(() => import('./create.run.js')));
}
