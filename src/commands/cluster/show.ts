// cluster show: one cluster with everything attached to it.
import { Argument, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import type { ClusterDetail } from '../../api/schemas.js';
import { clusterRefSchema, parseInput } from '../../inputs/index.js';
import { printJson } from '../../output/json.js';
import { printTable, renderKeyValues, styled, type Cell } from '../../output/table.js';
import { paint, symbols } from '../../output/style.js';
import { hostSent } from './upstream/describe.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<name>', 'cluster name or id'), 'cluster'))
    .addHelpText('after', examples('ownstack cluster show api', 'ownstack cluster show api --json | jq .variants'));
}

export const showInput = z.object({ cluster: clusterRefSchema });
export type ShowOptions = z.output<typeof showInput>;

export function parse(raw: RawInput): ShowOptions {
  return parseInput(showInput, { cluster: raw.args[0] }, { cluster: '<name>' });
}

export async function run(o: ShowOptions, ctx: Context): Promise<ClusterDetail> {
  const api = await ctx.api();
  return api.call('clusterShow', { params: { cluster: o.cluster } });
}

/** Edge settings as `key=value` pairs; the API already masks the Cloudflare token. */
function edgeSettings(d: ClusterDetail): string {
  const pairs = Object.entries(d.cluster.edge_config).filter(([, v]) => v !== undefined && v !== '');
  if (d.cluster.edge_allow_private_addresses) pairs.push(['edge_allow_private_addresses', 'true']);
  return pairs.map(([k, v]) => `${k}=${v}`).join(' ') || '-';
}

export function render(d: ClusterDetail, ctx: Context): void {
  const { io } = ctx;
  if (ctx.globals.json) return printJson(io, d);
  const c = paint(io);
  const cl = d.cluster;
  const section = (title: string) => {
    io.out('');
    io.out(io.stdoutIsTTY ? c.bold(title) : title.toUpperCase());
  };
  io.out(
    renderKeyValues(io, [
      ['name', cl.name],
      ['id', cl.id],
      ['edge', cl.edge],
      ['edge settings', edgeSettings(d)],
      ['proxies', `${cl.proxy_count} (${cl.proxy_app ? `app ${cl.proxy_app}` : 'default Caddy proxy'})`],
      ['health', `${cl.health.path} every ${cl.health.interval}, timeout ${cl.health.timeout}`],
      ['generation', cl.generation],
      ['updated', cl.updated_at],
    ]),
  );

  const tty = io.stdoutIsTTY;
  const table = (title: string, headers: string[], rows: Cell[][], empty: string) => {
    section(title);
    printTable(io, headers, rows, empty);
  };
  table('Domains', ['hostname', 'env name'], d.domains.map((x) => [x.hostname, x.env_name]), `No hostnames. Add one: ownstack cluster domain add ${cl.name} <hostname>`);
  table(
    'Variants',
    ['name', 'weight', 'status', 'routed', 'description'],
    d.variants.map((v) => [
      v.name,
      v.weight,
      v.status,
      tty ? styled(v.routed ? c.green(symbols.active) : c.dim(symbols.inactive)) : v.routed ? 'yes' : 'no',
      v.description,
    ]),
    `No variants. Add one: ownstack cluster variant add ${cl.name} <name> --weight=100`,
  );
  table(
    'Upstreams',
    ['id', 'variant', 'hostname', 'target', 'weight', 'status', 'host header', 'addresses'],
    d.upstreams.map((u) => [
      u.id,
      u.variant,
      u.hostname ?? '*',
      u.kind === 'url' ? u.url : `app ${u.app}`,
      u.weight,
      u.status,
      hostSent(u) ?? (tty ? styled(c.dim('(hostname)')) : '-'),
      u.addresses.join(tty ? ', ' : ',') || '-',
    ]),
    `No upstreams. Add one: ownstack cluster upstream add ${cl.name} --variant=<v> --app=<app>`,
  );
  table(
    'Members',
    ['app', 'status', 'weight', 'variants', 'addresses'],
    d.members.map((m) => [m.app, m.status, m.weight, m.variants.join(','), m.addresses.join(tty ? ', ' : ',') || '-']),
    'No app members.',
  );
}
