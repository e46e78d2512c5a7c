// local app add: validate with the server's schema, then POST /api/local/apps.
import { Argument, type Command } from 'commander';
import type { z } from 'zod';
import type { Context } from '../../../context.js';
import { type RawInput, examples } from '../../define.js';
import { appCreateRequest } from '../../../api/requests.js';
import type { App } from '../../../api/schemas.js';
import { parseInput } from '../../../inputs/index.js';
import { UsageError } from '../../../errors.js';
import { appFlags, renderAppChange } from './view.js';
import { localAppApi } from './control-plane.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function define(cmd: Command): void {
  cmd
    .addArgument(new Argument('<app>', 'app name (lower case letters, digits, dashes)'))
    .option('--addr <host:port>', 'an address the app listens on (repeat for more)', collect)
    .option('--no-addr', 'create the app without addresses (e.g. a proxy app run by its --deploy-cmd or elsewhere)')
    .option('--deploy-cmd <command>', 'shell command `cluster deploy` runs for this app (env OWNSTACK_APP, OWNSTACK_ADDRESS)')
    .option('--health-path <path>', 'path that answers 2xx/3xx when the app is healthy', '/')
    .addHelpText(
      'after',
      examples(
        'ownstack local app add my-rails-app --addr=127.0.0.1:3001 --addr=127.0.0.1:3002',
        'ownstack local app add worker --addr=10.0.0.5:8080 --deploy-cmd="systemctl restart worker" --health-path=/up',
        'ownstack local app add edge-proxy --no-addr --deploy-cmd="exec haproxy-wrapper"   # a bring-your-own proxy app',
      ),
    );
}

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
  const api = await localAppApi(ctx);
  return api.call('appCreate', { body: o });
}

export function render(a: App, ctx: Context): void {
  const n = a.addresses.length;
  renderAppChange(ctx, a, `Created app ${a.name} (${n} ${n === 1 ? 'address' : 'addresses'}${n ? `: ${a.addresses.join(' ')}` : ''})`);
}
