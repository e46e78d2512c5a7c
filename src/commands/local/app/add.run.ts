// local app add: validate with the server's schema, then POST /api/apps.
import type { z } from 'zod';
import type { Context } from '../../../context.js';
import type { RawInput } from '../../define.js';
import { appCreateRequest } from '../../../api/requests.js';
import type { App } from '../../../api/schemas.js';
import { parseInput } from '../../../inputs/index.js';
import { appFlags, renderAppChange } from './view.js';

export type AppAddOptions = z.output<typeof appCreateRequest>;

export function parse(raw: RawInput): AppAddOptions {
  const o = raw.opts as { addr?: string[]; deployCmd?: string; healthPath?: string };
  return parseInput(
    appCreateRequest,
    { name: raw.args[0], addresses: o.addr ?? [], deploy_cmd: o.deployCmd ?? null, health_path: o.healthPath },
    appFlags,
  );
}

export async function run(o: AppAddOptions, ctx: Context): Promise<App> {
  const api = await ctx.api();
  return api.call('appCreate', { body: o });
}

export function render(a: App, ctx: Context): void {
  const n = a.addresses.length;
  renderAppChange(ctx, a, `Created app ${a.name} (${n} ${n === 1 ? 'address' : 'addresses'}${n ? `: ${a.addresses.join(' ')}` : ''})`);
}
