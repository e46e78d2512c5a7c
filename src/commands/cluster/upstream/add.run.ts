// cluster upstream add: exactly one of --url/--app, validated locally with the server's schema
// (so a URL with a path never reaches the Caddyfile), then POST.
import type { z } from 'zod';
import type { Context } from '../../../context.js';
import type { RawInput } from '../../define.js';
import { upstreamAddRequest } from '../../../api/requests.js';
import type { ResponseOf } from '../../../api/routes.js';
import { clusterRefSchema, parseInput } from '../../../inputs/index.js';
import { UsageError } from '../../../errors.js';
import { renderMutation } from '../../../output/plan.js';
import { describeUpstream } from './describe.js';

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
  renderMutation(ctx, response, `Added upstream ${u.id} to cluster ${u.cluster}: ${describeUpstream(u)}`, o.request.dry_run);
}
