// cluster apply -f FILE: read a cluster file (YAML or JSON, "-" for stdin), check it locally with the
// schema the server uses (a refusal names the path inside the file, its line, the value and the
// rule, and nothing is sent), then send it whole: the server plans, checks and applies it in one
// transaction. --dry-run prints that plan.
import { Option, type Command } from 'commander';
import type * as z from 'zod';
import { readFileSync } from 'node:fs';
import type { Context } from '../../context.js';
import { type RawInput, completes, examples } from '../define.js';
import { clusterDocument, documentIssueDetails, documentIssuesInOrder, documentPath, type ClusterDocument } from '../../api/cluster-document.js';
import type { ClusterApplyResult } from '../../api/schemas.js';
import { UsageError, type ErrorDetails } from '../../errors.js';
import { renderApply } from '../../output/apply-plan.js';

export function define(cmd: Command): void {
  cmd
    .addOption(completes(new Option('-f, --file <path>', 'the cluster file ("-" reads stdin)').makeOptionMandatory(), 'file'))
    .option('--dry-run', 'print the plan (what changes, env, Caddyfile, edge records) without changing anything')
    .option('--force', 'apply even when a hostname served now would be left with no upstream')
    .addOption(completes(new Option('--cloudflare-token-file <path>', 'creating an edge cloudflare cluster: read the API token from a file (or set CLOUDFLARE_API_TOKEN)'), 'file'))
    .addOption(completes(new Option('--dns-tsig-secret-file <path>', 'creating an rfc2136 cluster: the file holding the base64 TSIG secret (or OWNSTACK_DNS_TSIG_SECRET)'), 'file'))
    .addHelpText(
      'after',
      examples(
        'ownstack cluster apply -f api.yaml --dry-run',
        'ownstack cluster apply -f api.yaml',
        'ownstack cluster export api | ownstack cluster apply -f - --dry-run   # no changes',
      ),
    );
}

export interface ApplyOptions {
  /** How messages name the file: its path, or `stdin`. */
  source: string;
  document: ClusterDocument;
  dryRun: boolean;
  force: boolean;
}

/** A parsed file: the value, and where each path of it sits (line numbers for refusals). */
interface ParsedFile {
  value: unknown;
  lineOf(path: readonly PropertyKey[]): Promise<number | null>;
}

export async function parse(raw: RawInput, ctx: Context): Promise<ApplyOptions> {
  const o = raw.opts as Record<string, string | boolean | undefined>;
  const file = o.file as string;
  const source = file === '-' ? 'stdin' : file;
  const text = file === '-' ? await readStdin(ctx) : readText(file, '--file');
  const parsed = await parseFile(text, source);
  const value = parsed.value;
  const from = fillSecrets(value, o, ctx);
  const result = clusterDocument.safeParse(value);
  if (!result.success) throw await refusal(documentIssuesInOrder(result.error.issues), value, parsed, source, from);
  return { source, document: result.data, dryRun: Boolean(o.dryRun), force: Boolean(o.force) };
}

export async function run(o: ApplyOptions, ctx: Context): Promise<ClusterApplyResult> {
  const api = await ctx.api();
  return api.call('clusterApply', { params: { cluster: o.document.name }, body: { document: o.document, dry_run: o.dryRun, force: o.force } });
}

export function render(r: ClusterApplyResult, ctx: Context, o: ApplyOptions): void {
  renderApply(ctx, r, { source: o.source, dryRun: o.dryRun });
}

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${flag} ${JSON.stringify(path)}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (code ?? (err as Error).message)}`, {
      details: { code: 'invalid', message: `cannot read ${flag}`, field: flag, value: path, rule: 'a readable file, or - for stdin' },
    });
  }
}

async function readStdin(ctx: Context): Promise<string> {
  const stdin = ctx.io.stdin;
  if (!stdin) return '';
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * YAML, or JSON when the text starts with `{` or `[` (read by JSON's own rules). The YAML parser,
 * which reads JSON too, tells on which line a value sits; it takes about a second for a file at
 * the cluster limits, so a valid JSON file goes through it only when something is refused.
 */
async function parseFile(text: string, source: string): Promise<ParsedFile> {
  const kind = /^\s*[{[]/.test(text) ? 'JSON' : 'YAML';
  if (text.trim() === '') throw new UsageError(`${source} is empty: a cluster file is a YAML or JSON object (ownstack cluster export writes one)`);
  if (kind === 'JSON') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      // The parser's message may quote the text; keep only where it broke.
      const at = /position (\d+)/.exec((err as Error).message)?.[1];
      const where = at === undefined ? source : `${source}:${lineCol(text, Number(at))}`;
      throw new UsageError(`${where}: not valid JSON${at === undefined ? '' : ' (the syntax breaks here)'}`, { details: { code: 'invalid', message: 'not valid JSON', field: '--file', value: source, rule: 'a JSON document' } });
    }
    let lines: Promise<Located> | undefined;
    return { value, lineOf: async (path) => (await (lines ??= locate(text))).lineOf(path) };
  }
  const located = await locate(text);
  const bad = located.errors[0];
  if (bad) {
    const where = bad.line === null ? source : `${source}:${bad.line}:${bad.col}`;
    throw new UsageError(`${where}: not valid YAML: ${bad.message}`, { details: { code: 'invalid', message: 'not valid YAML', field: '--file', value: source, rule: 'a YAML document' } });
  }
  return { value: located.value(), lineOf: async (path) => located.lineOf(path) };
}

interface Located {
  errors: { message: string; line: number | null; col: number | null }[];
  value(): unknown;
  lineOf(path: readonly PropertyKey[]): number | null;
}

/** Reads a YAML (or JSON) text with the YAML parser: its errors, its value, and the line of each path. */
async function locate(text: string): Promise<Located> {
  const { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar } = await import('yaml');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const errors = doc.errors.map((e) => ({
    // The parser's first line, without its own position (and without quoting the file's text).
    message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
    line: e.linePos?.[0]?.line ?? null,
    col: e.linePos?.[0]?.col ?? null,
  }));
  const lineOf = (path: readonly PropertyKey[]): number | null => {
    // The node at the path, or the deepest one that exists (a missing field: its object).
    let node: unknown = doc.contents;
    let found = node;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === key);
        node = pair?.value ?? undefined;
        if (pair && (node === undefined || node === null)) found = pair.key;
      } else if (isSeq(node) && typeof key === 'number') node = node.items[key];
      else node = undefined;
      if (node === undefined || node === null) break;
      found = node;
    }
    const range = (found as { range?: [number, number, number] } | null)?.range;
    return range ? lines.linePos(range[0]).line : null;
  };
  return { errors, value: () => doc.toJS({ maxAliasCount: 100 }) as unknown, lineOf };
}

/** `line:column` (1-based) of a character offset. */
function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before.at(-1)!.length + 1}`;
}

/** Secrets the file leaves out, for a cluster the file creates: from a flag's file or the environment. */
function fillSecrets(value: unknown, o: Record<string, string | boolean | undefined>, ctx: Context): Record<string, string> {
  const from: Record<string, string> = {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return from;
  const doc = value as Record<string, unknown>;
  const given = doc.edge_config;
  if (given !== undefined && (given === null || typeof given !== 'object' || Array.isArray(given))) return from;
  const ec = { ...((given as Record<string, unknown> | undefined) ?? {}) };
  const set = (key: string, secret: string | undefined, source: string) => {
    if (secret === undefined || ec[key] !== undefined) return;
    if (secret === '') throw new UsageError(`the ${key} from ${source} is empty`);
    ec[key] = secret;
    from[key] = source;
  };
  if (typeof o.cloudflareTokenFile === 'string') set('cloudflare_api_token', readText(o.cloudflareTokenFile, '--cloudflare-token-file').trim(), '--cloudflare-token-file');
  else if (doc.edge === 'cloudflare') {
    const name = ['OWNSTACK_CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_API_TOKEN'].find((n) => ctx.env[n]);
    if (name) set('cloudflare_api_token', ctx.env[name], name);
  }
  if (typeof o.dnsTsigSecretFile === 'string') set('dns_tsig_secret', readText(o.dnsTsigSecretFile, '--dns-tsig-secret-file').trim(), '--dns-tsig-secret-file');
  else if (ec.dns_provider === 'rfc2136' && ctx.env.OWNSTACK_DNS_TSIG_SECRET) set('dns_tsig_secret', ctx.env.OWNSTACK_DNS_TSIG_SECRET, 'OWNSTACK_DNS_TSIG_SECRET');
  if (Object.keys(from).length > 0) doc.edge_config = ec;
  return from;
}

/** The refusal of a file: the first problem (path, line, value, rule), every problem in the details. */
async function refusal(issues: readonly z.core.$ZodIssue[], value: unknown, file: ParsedFile, source: string, from: Record<string, string>): Promise<UsageError> {
  const all = [];
  for (const issue of issues) {
    const d = documentIssueDetails(issue, value);
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
    // A secret that came from a flag or the environment is named by where it came from.
    const key = documentPath(path).replace(/^edge_config\./, '');
    const origin = from[key] !== undefined && documentPath(path).startsWith('edge_config.') ? ` (from ${from[key]})` : '';
    const line = from[key] !== undefined ? null : await file.lineOf(path);
    all.push({ ...d, message: `${source}${line === null ? '' : `:${line}`}: ${d.message}${origin}`, line });
  }
  const first = all[0]!;
  const more = all.length - 1;
  const details: ErrorDetails = { code: 'invalid', message: first.message };
  for (const k of ['field', 'value', 'rule', 'hint'] as const) if (first[k] !== undefined) details[k] = first[k];
  if (more > 0) details.details = { issues: all.map(({ field, value: v, rule, hint, line }) => ({ field, value: v, rule, hint, line })) };
  return new UsageError(`${first.message}${more > 0 ? ` (and ${more} more ${more === 1 ? 'problem' : 'problems'}; --json lists them)` : ''}`, { details });
}
