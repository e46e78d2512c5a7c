// cluster create: validate everything locally (same schema as the server), then POST.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import { clusterCreateRequest } from '../../api/requests.js';
import type { Cluster, ClusterCreateRequest } from '../../api/schemas.js';
import { parseInput } from '../../inputs/index.js';
import { UsageError } from '../../errors.js';
import { printJson } from '../../output/json.js';
import { renderKeyValues } from '../../output/table.js';
import { successLine } from '../../output/style.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function define(cmd: Command): void {
  cmd
    .argument('<name>', 'cluster name (lower case letters, digits, dashes)')
    .option('--hostname <host>', 'a hostname the cluster fronts (repeat for more)', collect)
    .addOption(new Option('--edge <mode>', 'how the edge balances the proxies').choices(['dns_rr', 'cloudflare', 'aws_alb', 'none']).default('dns_rr'))
    .option('--proxy-count <n>', 'proxies this control plane runs (0–64; 0: only agents on other hosts, see `ownstack proxy agent`)', '1')
    .option('--edge-allow-private-addresses', 'cloudflare / aws_alb: publish proxies on loopback and private-use addresses too (refused by default)')
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
    );
}

/** Issue path -> the flag the user typed, so errors name the flag. */
export const createFlags: Record<string, string> = {
  name: '<name>',
  hostnames: '--hostname',
  edge: '--edge',
  edge_allow_private_addresses: '--edge-allow-private-addresses',
  proxy_count: '--proxy-count',
  proxy_app: '--proxy-app',
  'health.path': '--health-path',
  'health.interval': '--health-interval',
  'health.timeout': '--health-timeout',
  'edge_config.cloudflare_zone_id': '--cloudflare-zone-id',
  'edge_config.cloudflare_api_token': '--cloudflare-token-stdin',
  'edge_config.alb_target_group_arn': '--alb-target-group-arn',
  'edge_config.alb_region': '--alb-region',
  'edge_config.dns_provider': '--dns-provider',
  'edge_config.dns_server': '--dns-server',
  'edge_config.dns_zone': '--dns-zone',
  'edge_config.dns_tsig_name': '--dns-tsig-name',
  'edge_config.dns_tsig_secret': '--dns-tsig-secret-file',
};

function readSecretFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new UsageError(`cannot read ${flag} "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function parse(raw: RawInput, ctx: Context): Promise<ClusterCreateRequest> {
  const o = raw.opts as Record<string, string | string[] | boolean | undefined>;
  // Where each secret came from: an error about it names that flag or variable.
  const flags = { ...createFlags };
  let token: string | undefined;
  if (o.cloudflareTokenStdin && o.cloudflareTokenFile) throw new UsageError('give only one of --cloudflare-token-stdin and --cloudflare-token-file');
  if (o.cloudflareTokenStdin) token = await ctx.prompt.readSecret('Cloudflare API token');
  else if (typeof o.cloudflareTokenFile === 'string') {
    token = readSecretFile(o.cloudflareTokenFile, '--cloudflare-token-file');
    flags['edge_config.cloudflare_api_token'] = '--cloudflare-token-file';
  } else if (o.edge === 'cloudflare') {
    const variable = ['OWNSTACK_CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_API_TOKEN'].find((name) => ctx.env[name]);
    if (variable) [token, flags['edge_config.cloudflare_api_token']] = [ctx.env[variable], variable];
  }
  if (token === '') {
    throw new UsageError(`the Cloudflare API token from ${flags['edge_config.cloudflare_api_token']} is empty`, { hint: 'pipe it on stdin with --cloudflare-token-stdin, or set CLOUDFLARE_API_TOKEN' });
  }

  let tsig: string | undefined;
  if (typeof o.dnsTsigSecretFile === 'string') tsig = readSecretFile(o.dnsTsigSecretFile, '--dns-tsig-secret-file');
  else if (o.dnsProvider === 'rfc2136' && ctx.env.OWNSTACK_DNS_TSIG_SECRET) [tsig, flags['edge_config.dns_tsig_secret']] = [ctx.env.OWNSTACK_DNS_TSIG_SECRET, 'OWNSTACK_DNS_TSIG_SECRET'];

  const arn = o.albTargetGroupArn as string | undefined;
  const region = (o.albRegion as string | undefined) ?? (arn ? /^arn:[^:]+:elasticloadbalancing:([^:]+):/.exec(arn)?.[1] : undefined);
  const request = {
    name: raw.args[0],
    hostnames: (o.hostname as string[] | undefined) ?? [],
    edge: o.edge,
    ...(o.edgeAllowPrivateAddresses === true ? { edge_allow_private_addresses: true } : {}),
    proxy_count: o.proxyCount,
    proxy_app: (o.proxyApp as string | undefined) ?? null,
    health: { path: o.healthPath, interval: o.healthInterval, timeout: o.healthTimeout },
    edge_config: Object.fromEntries(
      Object.entries({
        cloudflare_zone_id: o.cloudflareZoneId,
        cloudflare_api_token: token,
        alb_target_group_arn: arn,
        alb_region: region,
        dns_provider: o.dnsProvider,
        dns_server: o.dnsServer,
        dns_zone: o.dnsZone,
        dns_tsig_name: o.dnsTsigName,
        dns_tsig_secret: tsig,
      }).filter(([, v]) => v !== undefined),
    ),
  };
  // Validate locally with the server's own schema and send the normalised values.
  return parseInput(clusterCreateRequest, request, flags) as ClusterCreateRequest;
}

export async function run(request: ClusterCreateRequest, ctx: Context): Promise<Cluster> {
  const api = await ctx.api();
  return api.call('clusterCreate', { body: request });
}

export function render(c: Cluster, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, c);
  if (ctx.globals.quiet) return;
  ctx.io.out(successLine(ctx.io, `Created cluster ${c.name} (edge ${c.edge}, ${c.proxy_count} ${c.proxy_count === 1 ? 'proxy' : 'proxies'})`));
  if (ctx.io.stdoutIsTTY) {
    ctx.io.out(
      renderKeyValues(ctx.io, [
        ['hostnames', c.hostnames.join(', ') || '-'],
        ['health', `${c.health.path} every ${c.health.interval}, timeout ${c.health.timeout}`],
        ['next', `ownstack cluster domain add ${c.name} <hostname>`],
      ]),
    );
  }
}
