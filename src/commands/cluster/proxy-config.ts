// cluster proxy-config: the Caddyfile and env file the cluster's proxy runs with, for a
// bring-your-own proxy (or a look at what Caddy gets).
import { Argument, Option, type Command } from 'commander';
import * as z from 'zod';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import type { ProxyConfig } from '../../api/schemas.js';
import { clusterRefSchema, parseInput } from '../../inputs/index.js';
import { printJson } from '../../output/json.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    // Each flag means "only this file"; both together contradict each other (neither prints both).
    .addOption(new Option('--caddyfile', 'print only the Caddyfile').conflicts('env'))
    .option('--env', 'print only the env file (KEY="value" lines)')
    .addHelpText(
      'after',
      examples('ownstack cluster proxy-config api', 'ownstack cluster proxy-config api --caddyfile > Caddyfile', 'ownstack cluster proxy-config api --env > proxy.env'),
    );
}

export const proxyConfigInput = z.object({ cluster: clusterRefSchema, caddyfile: z.boolean(), env: z.boolean() });
export type ProxyConfigOptions = z.output<typeof proxyConfigInput>;

export function parse(raw: RawInput): ProxyConfigOptions {
  const caddyfile = Boolean(raw.opts.caddyfile);
  const env = Boolean(raw.opts.env);
  // Neither flag: print both.
  return parseInput(
    proxyConfigInput,
    { cluster: raw.args[0], caddyfile: caddyfile || !env, env: env || !caddyfile },
    { cluster: '<cluster>', caddyfile: '--caddyfile', env: '--env' },
  );
}

export async function run(o: ProxyConfigOptions, ctx: Context): Promise<ProxyConfig> {
  const api = await ctx.api();
  return api.call('proxyConfig', { params: { cluster: o.cluster } });
}

/** Quotes a value for a dotenv / shell-compatible `KEY="value"` line. */
export function quoteEnvValue(v: string): string {
  return `"${v.replace(/[\\"$`]/g, (ch) => `\\${ch}`).replace(/\n/g, '\\n')}"`;
}

/** The env file: one `KEY="value"` line per variable, sorted by name. */
export function renderEnvFile(env: Record<string, string>): string {
  return Object.keys(env)
    .sort()
    .map((k) => `${k}=${quoteEnvValue(env[k])}`)
    .join('\n');
}

export function render(p: ProxyConfig, ctx: Context, o: ProxyConfigOptions): void {
  const { io } = ctx;
  if (ctx.globals.json) return printJson(io, p);
  const both = o.caddyfile && o.env;
  const caddy = p.caddyfile.replace(/\n+$/, '');
  // With both, `#` comment headers keep each part usable when cut out; with one, the raw file only.
  if (o.caddyfile) {
    if (both) io.out(`# Caddyfile (generation ${p.generation}, ${p.files.caddyfile})`);
    io.out(caddy);
  }
  if (both) io.out('');
  if (o.env) {
    if (both) io.out(`# proxy env (generation ${p.generation}, ${p.files.env})`);
    const lines = renderEnvFile(p.env);
    if (lines) io.out(lines);
  }
}
