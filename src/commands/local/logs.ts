// local logs: the tail of server.log, optionally followed until Ctrl-C.
import type { Command } from 'commander';
import * as z from 'zod';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { Context } from '../../context.js';
import { type RawInput, examples } from '../define.js';
import { integerSchema, parseInput } from '../../inputs/index.js';
import { printJson, printJsonLine } from '../../output/json.js';
import { localPaths, tildify } from '../../local/files.js';

export function define(cmd: Command): void {
  cmd
    .option('-n, --lines <n>', 'how many of the last lines to print (0: all)', '50')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .addHelpText('after', examples('ownstack local logs', 'ownstack local logs -n 200', 'ownstack local logs --follow'));
}

export const localLogsInput = z.object({
  lines: integerSchema({ what: 'line count', min: 0, max: 1_000_000 }),
  follow: z.boolean(),
});
export type LocalLogsOptions = z.output<typeof localLogsInput>;

export interface LocalLogsResult {
  path: string;
  exists: boolean;
  /** Lines already written while following. */
  followed: boolean;
  lines: string[];
}

export function parse(raw: RawInput): LocalLogsOptions {
  return parseInput(localLogsInput, { lines: raw.opts.lines, follow: Boolean(raw.opts.follow) }, { lines: '--lines', follow: '--follow' });
}

const TAIL_WINDOW = 4 * 1024 * 1024;
const POLL_MS = 250;

function sizeOf(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

function readRange(path: string, from: number, to: number): string {
  if (to <= from) return '';
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, from + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The last `n` lines (0: all) of the file's last 4 MB. */
function lastLines(path: string, size: number, n: number): string[] {
  const from = Math.max(0, size - TAIL_WINDOW);
  let text = readRange(path, from, size);
  // Started mid-file: drop the partial first line.
  if (from > 0) text = text.slice(text.indexOf('\n') + 1);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return n === 0 ? lines : lines.slice(-n);
}

export async function run(o: LocalLogsOptions, ctx: Context): Promise<LocalLogsResult> {
  const path = localPaths(ctx.home).log;
  let size = sizeOf(path);
  const initial = size === null ? [] : lastLines(path, size, o.lines);
  if (!o.follow) return { path, exists: size !== null, followed: false, lines: initial };

  // --json while following: one NDJSON object per line.
  const emit = (l: string) => (ctx.globals.json ? printJsonLine(ctx.io, { line: l }) : ctx.io.out(l));
  for (const l of initial) emit(l);
  if (size === null) ctx.notice(`no log yet at ${tildify(path)}; waiting for it (Ctrl-C stops)`);
  let offset = size ?? 0;
  // Poll (bounded per tick) until Ctrl-C; a truncated or replaced file is read from its start.
  while (!ctx.signal.aborted) {
    try {
      await ctx.clock.sleep(POLL_MS, ctx.signal);
    } catch {
      break;
    }
    size = sizeOf(path);
    if (size === null) continue;
    if (size < offset) offset = 0;
    if (size > offset) {
      const end = Math.min(size, offset + TAIL_WINDOW);
      const chunk = readRange(path, offset, end);
      // Print whole lines only; keep a partial last line for the next tick.
      const cut = end === size ? chunk.lastIndexOf('\n') + 1 : chunk.length;
      if (cut > 0) for (const l of chunk.slice(0, cut).replace(/\n$/, '').split('\n')) emit(l);
      offset += Buffer.byteLength(chunk.slice(0, cut));
    }
  }
  return { path, exists: true, followed: true, lines: [] };
}

export function render(r: LocalLogsResult, ctx: Context): void {
  if (r.followed) return;
  if (ctx.globals.json) return printJson(ctx.io, { path: r.path, exists: r.exists, lines: r.lines });
  if (!r.exists) {
    ctx.notice(`no log yet at ${tildify(r.path)} (the local control plane has not run)`);
    return;
  }
  for (const l of r.lines) ctx.io.out(l);
}
