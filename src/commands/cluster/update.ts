// cluster update: change what create set that can change safely; refuse the rest with the reason.
import { readFileSync } from 'node:fs';
import { Argument, Option, type Command } from 'commander';
import type { z } from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import { clusterUpdateRequest } from '../../api/requests.js';
import type { Cluster } from '../../api/schemas.js';
import { clusterRefSchema, parseInput } from '../../inputs/index.js';
import { UsageError } from '../../errors.js';
import { renderMutation, type MutationResponse } from '../../output/plan.js';

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

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .option('--health-path <path>', 'member health-check path')
    .option('--health-interval <duration>', 'health-check interval (500ms, 5s, 1m)')
    .option('--health-timeout <duration>', 'health-check timeout, shorter than the interval')
    .option('--proxy-count <n>', 'proxies this control plane runs (0–64): new ones start and join the edge, removed ones leave it first')
    .option('--edge-allow-private-addresses', 'cloudflare / aws_alb: publish proxies on loopback and private-use addresses too')
    .option('--no-edge-allow-private-addresses', 'cloudflare / aws_alb: refuse them again (the default)')
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
    );
}

export interface ClusterUpdateOptions {
  cluster: string;
  request: z.output<typeof clusterUpdateRequest>;
}

/** Issue path → the flag the user typed. */
export const updateFlags: Record<string, string> = {
  'health.path': '--health-path',
  'health.interval': '--health-interval',
  'health.timeout': '--health-timeout',
  proxy_count: '--proxy-count',
  edge_allow_private_addresses: '--edge-allow-private-addresses',
  'edge_config.cloudflare_api_token': '--cloudflare-token-stdin',
  'edge_config.dns_server': '--dns-server',
  'edge_config.dns_tsig_name': '--dns-tsig-name',
  'edge_config.dns_tsig_secret': '--dns-tsig-secret-file',
};

// Why a flag of `create` cannot be given to `update`.
const RECREATE = 'destroy the cluster and create it again (destroy removes its edge records first)';
const REFUSED: Record<string, string> = {
  edge: `the edge mode cannot change: the old provider's records would have to be removed first; ${RECREATE}`,
  hostname: 'hostnames change one at a time: ownstack cluster domain add|remove <cluster> <hostname>',
  proxyApp: `the proxy app (or the default Caddy proxy) is chosen at create; ${RECREATE}`,
  cloudflareZoneId: `the Cloudflare zone holds the cluster's records and cannot change; ${RECREATE}`,
  albTargetGroupArn: `the target group holds the proxies as targets and cannot change; ${RECREATE}`,
  albRegion: `the region belongs to the target group and cannot change; ${RECREATE}`,
  dnsProvider: `the DNS provider holds the cluster's records and cannot change; ${RECREATE}`,
  dnsZone: `the zone holds the cluster's records and cannot change; ${RECREATE}`,
};

const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function readSecretFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new UsageError(`cannot read ${flag} "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function parse(raw: RawInput, ctx: Context): Promise<ClusterUpdateOptions> {
  const o = raw.opts as Record<string, string | boolean | undefined>;
  const cluster = parseInput(clusterRefSchema, raw.args[0], { '': '<cluster>' });
  for (const [key, reason] of Object.entries(REFUSED)) {
    if (o[key] === undefined) continue;
    const flag = flagOf(key);
    throw new UsageError(`${flag} cannot be changed by cluster update: ${reason}`, {
      details: { code: 'invalid', message: `${flag} cannot be changed by cluster update`, field: flag, rule: reason },
    });
  }
  const settings = ['healthPath', 'healthInterval', 'healthTimeout', 'proxyCount', 'edgeAllowPrivateAddresses', 'cloudflareTokenStdin', 'cloudflareTokenFile', 'dnsServer', 'dnsTsigName', 'dnsTsigSecretFile'];
  if (settings.every((k) => o[k] === undefined)) {
    throw new UsageError('nothing to update: give at least one of --health-path, --health-interval, --health-timeout, --proxy-count, --[no-]edge-allow-private-addresses or an edge credential flag', {
      hint: `e.g. ownstack cluster update ${cluster} --health-path=/healthz --dry-run`,
    });
  }
  if (o.cloudflareTokenStdin && o.cloudflareTokenFile) throw new UsageError('give only one of --cloudflare-token-stdin and --cloudflare-token-file');
  // Where the token came from: an error about it names that flag.
  const flags = { ...updateFlags };
  let token: string | undefined;
  if (o.cloudflareTokenStdin) token = await ctx.prompt.readSecret('Cloudflare API token');
  else if (typeof o.cloudflareTokenFile === 'string') {
    token = readSecretFile(o.cloudflareTokenFile, '--cloudflare-token-file');
    flags['edge_config.cloudflare_api_token'] = '--cloudflare-token-file';
  }
  const tsig = typeof o.dnsTsigSecretFile === 'string' ? readSecretFile(o.dnsTsigSecretFile, '--dns-tsig-secret-file') : undefined;
  const health = { path: o.healthPath, interval: o.healthInterval, timeout: o.healthTimeout };
  const edge = { cloudflare_api_token: token, dns_server: o.dnsServer, dns_tsig_name: o.dnsTsigName, dns_tsig_secret: tsig };
  const defined = (x: Record<string, unknown>) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined));
  const request = {
    ...(Object.values(health).some((v) => v !== undefined) ? { health: defined(health) } : {}),
    ...(o.proxyCount !== undefined ? { proxy_count: o.proxyCount } : {}),
    ...(typeof o.edgeAllowPrivateAddresses === 'boolean' ? { edge_allow_private_addresses: o.edgeAllowPrivateAddresses } : {}),
    ...(Object.values(edge).some((v) => v !== undefined) ? { edge_config: defined(edge) } : {}),
    dry_run: o.dryRun === true,
  };
  return { cluster, request: parseInput(clusterUpdateRequest, request, flags) };
}

export async function run(o: ClusterUpdateOptions, ctx: Context): Promise<MutationResponse<Cluster>> {
  const api = await ctx.api();
  return api.call('clusterUpdate', { params: { cluster: o.cluster }, body: o.request });
}

export function render(r: MutationResponse<Cluster>, ctx: Context, o: ClusterUpdateOptions): void {
  const c = r.result;
  const changed = (r.plan.settings ?? []).map((s) => s.name).join(', ') || 'nothing changed';
  const summary = `health ${c.health.path} every ${c.health.interval}, timeout ${c.health.timeout}; ${c.proxy_count} ${c.proxy_count === 1 ? 'proxy' : 'proxies'}`;
  renderMutation(ctx, r, `Updated cluster ${c.name} (${changed}): ${summary}`, o.request.dry_run);
}
