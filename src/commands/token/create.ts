// token create: POST /api/tokens; the secret goes to stdout (alone on its line) or to a new 0600 file.
import { Argument, Option, type Command } from 'commander';
import { type RawInput, completes, examples } from '../define.js';
import { open, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type * as z from 'zod';
import type { Context } from '../../context.js';
import type { tokenCreated } from '../../api/tokens.js';
import { tokenCreateRequest } from '../../api/tokens.js';
import { parseInput } from '../../inputs/index.js';
import { FailedError, UsageError } from '../../errors.js';
import { printJson } from '../../output/json.js';
import { successLine } from '../../output/style.js';

export function define(cmd: Command): void {
  cmd
    .addArgument(new Argument('<name>', 'what the token is for, e.g. the host an agent runs on, or ci'))
    .addOption(completes(new Option('--cluster <name>', "an agent token: it reads only this cluster's proxy config and reports its proxies"), 'cluster'))
    .option('--output-file <path>', 'write the secret to this file (mode 0600, refused if it exists) instead of stdout')
    .addHelpText(
      'after',
      examples(
        'ownstack token create proxy-1 --cluster api --output-file /etc/ownstack/agent-api.token',
        'ownstack token create ci > ci.token',
        'ownstack token create ci --json | jq -r .token',
      ),
    );
}

type TokenCreated = z.output<typeof tokenCreated>;

export interface TokenCreateOptions {
  body: z.output<typeof tokenCreateRequest>;
  outputFile: string | undefined;
}

export function parse(raw: RawInput): TokenCreateOptions {
  const body = parseInput(tokenCreateRequest, { name: raw.args[0], ...(raw.opts.cluster === undefined ? {} : { cluster: raw.opts.cluster }) }, { name: '<name>', cluster: '--cluster' });
  const outputFile = raw.opts.outputFile as string | undefined;
  if (outputFile !== undefined && outputFile.trim() === '') throw new UsageError('invalid --output-file "": a file path');
  return { body, outputFile: outputFile === undefined ? undefined : resolve(outputFile) };
}

export interface TokenCreateResult {
  created: TokenCreated;
  file: string | undefined;
}

export async function run(o: TokenCreateOptions, ctx: Context): Promise<TokenCreateResult> {
  // The file is opened (exclusively) before the request: a token is never made that cannot be kept.
  const handle = o.outputFile === undefined ? undefined : await createSecretFile(o.outputFile);
  try {
    const api = await ctx.api();
    const created = await api.call('tokenCreate', { body: o.body });
    if (handle) {
      await handle.writeFile(`${created.token}\n`);
      await handle.sync();
    }
    return { created, file: o.outputFile };
  } catch (err) {
    // No token was made (or its secret cannot be kept): the empty file goes too.
    if (handle) await rm(o.outputFile!, { force: true });
    throw err;
  } finally {
    await handle?.close();
  }
}

async function createSecretFile(path: string) {
  try {
    return await open(path, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`invalid --output-file "${path}": the file exists (a token file is never overwritten; remove it first)`);
    throw new FailedError(`cannot create ${path} (${code ?? (err as Error).message})`);
  }
}

export function render(r: TokenCreateResult, ctx: Context): void {
  const { created } = r;
  const what = created.cluster === null ? 'operator token' : `agent token of cluster ${created.cluster}`;
  if (ctx.globals.json) {
    if (r.file) {
      const { token: _secret, ...rest } = created;
      return printJson(ctx.io, { ...rest, file: r.file });
    }
    return printJson(ctx.io, created);
  }
  if (r.file) {
    ctx.io.out(successLine(ctx.io, `Created ${what} ${created.name} (id ${created.id}); the secret is in ${r.file} (mode 0600)`));
    return;
  }
  // stdout holds only the secret, so `> file` keeps exactly it; the notice goes to stderr.
  ctx.io.out(created.token);
  ctx.notice(`Created ${what} ${created.name} (id ${created.id}): the secret above is shown only now`);
}