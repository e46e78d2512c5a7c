// cluster upstream add: exactly one of --url/--app, validated locally with the server's schema
// (so a URL with a path never reaches the Caddyfile), then POST.
import { Argument, Option, type Command } from 'commander';
import type { z } from 'zod';
import type { Context } from '../../../context.js';
import { type RawInput, completes, examples } from '../../define.js';
import { upstreamAddRequest } from '../../../api/requests.js';
import type { ResponseOf } from '../../../api/routes.js';
import { clusterRefSchema, parseInput } from '../../../inputs/index.js';
import { UsageError } from '../../../errors.js';
import { renderMutation } from '../../../output/plan.js';
import { upstreamSummary } from './describe.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
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
    );
}

/** Request field -> the flag the user typed. */
export const upstreamAddFlags: Record<string, string> = {
  variant: '--variant',
  hostname: '--hostname',
  url: '--url',
  app: '--app',
  weight: '--weight',
  host_header: '--host-header',
};

export interface UpstreamAddOptions {
  cluster: string;
  request: z.output<typeof upstreamAddRequest>;
}

export function parse(raw: RawInput): UpstreamAddOptions {
  const o = raw.opts as Record<string, string | boolean | undefined>;
  const cluster = parseInput(clusterRefSchema, raw.args[0], { '': '<cluster>' });
  const hasUrl = typeof o.url === 'string';
  const hasApp = typeof o.app === 'string';
  if (hasUrl && hasApp) {
    throw new UsageError('give exactly one of --url or --app, not both', {
      hint: 'an upstream is either an external URL (--url=scheme://host[:port]) or an OwnStack app (--app=NAME); add two upstreams for both',
    });
  }
  if (!hasUrl && !hasApp) {
    throw new UsageError('give exactly one of --url or --app', {
      hint: '--url=https://host[:port] for an external upstream, --app=NAME for an OwnStack app',
    });
  }
  const request = parseInput(
    upstreamAddRequest,
    {
      variant: o.variant,
      hostname: o.hostname ?? null,
      url: o.url,
      app: o.app,
      weight: o.weight,
      host_header: o.hostHeader ?? null,
      dry_run: o.dryRun === true,
    },
    upstreamAddFlags,
  );
  return { cluster, request };
}

export async function run(o: UpstreamAddOptions, ctx: Context): Promise<ResponseOf<'upstreamAdd'>> {
  const api = await ctx.api();
  return api.call('upstreamAdd', { params: { cluster: o.cluster }, body: o.request });
}

export function render(response: ResponseOf<'upstreamAdd'>, ctx: Context, o: UpstreamAddOptions): void {
  const u = response.result;
  renderMutation(ctx, response, `Added upstream ${u.id} to cluster ${u.cluster}: ${upstreamSummary(u)}`, o.request.dry_run);
}
