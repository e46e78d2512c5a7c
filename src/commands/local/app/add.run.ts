// local app add: validate with the server's schema, then POST /api/apps.
import type { z } from 'zod';
import type { Context } from '../../../context.js';
import type { RawInput } from '../../define.js';
import { appCreateRequest } from '../../../api/requests.js';
import type { App } from '../../../api/schemas.js';
import { parseInput } from '../../../inputs/index.js';
import { UsageError } from '../../../errors.js';
import { appFlags, renderAppChange } from './view.js';

export type AppAddOptions = z.output<typeof appCreateRequest>;

export function parse(raw: RawInput): AppAddOptions {
  // commander: --addr collects a list; --no-addr sets it to false.
  const o = raw.opts as { addr?: string[] | false; deployCmd?: string; healthPath?: string };
  const addresses = o.addr === false ? [] : o.addr;
  // Every other value is checked first (with a stand-in address list), so the first error is the first problem.
  const request = parseInput(
    appCreateRequest,
    { name: raw.args[0], addresses: addresses ?? [], deploy_cmd: o.deployCmd ?? null, health_path: o.healthPath },
    appFlags,
  );
  if (addresses === undefined) {
    throw new UsageError('missing --addr: an app is the host:port addresses it listens on (repeat --addr for more)', {
      hint: `ownstack local app add ${request.name} --addr=127.0.0.1:3000, or --no-addr for an app without addresses (a proxy app)`,
      details: { code: 'invalid', message: 'missing --addr', field: '--addr', rule: 'give at least one --addr, or --no-addr' },
    });
  }
  return request;
}

export async function run(o: AppAddOptions, ctx: Context): Promise<App> {
  const api = await ctx.api();
  return api.call('appCreate', { body: o });
}

export function render(a: App, ctx: Context): void {
  const n = a.addresses.length;
  renderAppChange(ctx, a, `Created app ${a.name} (${n} ${n === 1 ? 'address' : 'addresses'}${n ? `: ${a.addresses.join(' ')}` : ''})`);
}
