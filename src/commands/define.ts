// Glue between commander and the commands: the manifest each group lists its commands in, the
// registration of the part of the tree a command line names, and the action that runs a command.
import type { Command } from 'commander';
import type { Context, ContextFactory, Globals } from '../context.js';
import { checkProfileName } from '../config/profiles.js';
import { UsageError } from '../errors.js';
import { checkApiUrl } from './profile/credentials.js';

/** The raw values commander collected: positionals in order, and the command's own options. */
export interface RawInput {
  args: string[];
  opts: Record<string, unknown>;
}

/** What a command's implementation module exports. */
export interface CommandModule<O = unknown, R = unknown> {
  /** Raw values -> typed options (zod); throws UsageError. May read stdin for secrets. */
  parse(raw: RawInput, ctx: Context): O | Promise<O>;
  /** Does the work and returns the result. */
  run(options: O, ctx: Context): Promise<R>;
  /** Writes the result (table, tree, JSON, success line). May throw ExitError for a non-zero code. */
  render(result: R, ctx: Context, options: O): void | Promise<void>;
}

const FACTORY = Symbol.for('ownstack.contextFactory');

/** Stores the context factory on the root command, where every action finds it. */
export function attachFactory(root: Command, factory: ContextFactory): void {
  (root as unknown as Record<symbol, ContextFactory>)[FACTORY] = factory;
}

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

/** Reads the global flags from wherever they were given on the command line. */
export function globalsOf(cmd: Command): Globals {
  const o = cmd.optsWithGlobals() as Record<string, unknown>;
  return {
    json: Boolean(o.json),
    quiet: Boolean(o.quiet),
    verbose: Boolean(o.verbose),
    noColor: o.color === false,
    profile: typeof o.profile === 'string' ? o.profile : undefined,
    apiUrl: typeof o.apiUrl === 'string' ? o.apiUrl : undefined,
  };
}

/** Refuses a global flag given with an unusable value (`--profile=`, `--api-url=notaurl`) before anything runs. */
export function checkGlobals(g: Globals): void {
  if (g.profile !== undefined) {
    if (g.profile === '') {
      throw new UsageError('invalid --profile "": a profile name is required', {
        hint: 'give a name (`ownstack profile list` shows them), or leave --profile out to use the active profile',
        details: { code: 'invalid', message: 'invalid --profile "": a profile name is required', field: '--profile', value: '', rule: 'a profile name is required' },
      });
    }
    checkProfileName(g.profile);
  }
  if (g.apiUrl !== undefined) checkApiUrl(g.apiUrl, '--api-url');
}

/** The commander action that runs a command's steps: raw values -> options -> result -> output. */
export function commandAction(mod: CommandModule<any, any> | (() => Promise<CommandModule<any, any>>)) {
  return async (...received: unknown[]): Promise<void> => {
    const cmd = received[received.length - 1] as Command;
    const args = (received.slice(0, -2) as (string | string[] | undefined)[]).flatMap((a) => (a === undefined ? [] : Array.isArray(a) ? a : [a]));
    const factory = (rootOf(cmd) as unknown as Record<symbol, ContextFactory>)[FACTORY];
    const globals = globalsOf(cmd);
    checkGlobals(globals);
    const ctx = factory(globals);
    const m = typeof mod === 'function' ? await mod() : mod;
    const options = await m.parse({ args, opts: cmd.opts() }, ctx);
    const result = await m.run(options, ctx);
    await m.render(result, ctx, options);
  };
}

/** The "Examples:" help section every command carries. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** Kinds of live values the completion engine can offer for an argument or option. */
export type CompletionKind = 'cluster' | 'hostname' | 'variant' | 'upstream' | 'member' | 'app' | 'profile' | 'deploy' | 'file';

const COMPLETE = Symbol.for('ownstack.complete');

/** Marks an Argument or Option with the kind of live value it takes. */
export function completes<T extends object>(target: T, kind: CompletionKind): T {
  (target as Record<symbol, CompletionKind>)[COMPLETE] = kind;
  return target;
}

/** The completion kind attached to an Argument or Option, if any. */
export function completionKindOf(target: object): CompletionKind | undefined {
  return (target as Record<symbol, CompletionKind | undefined>)[COMPLETE];
}

// ---------- the command tree: a manifest per group, one module per command ----------

/**
 * Which part of a group's tree to register: the command words still to match, `all` (every
 * command, for completion tests and the docs), or `none` (the group itself, listed in its
 * parent's help, without its subcommands).
 */
export type Scope = readonly string[] | 'all' | 'none';

/** A command module: its definition (arguments, options, help) and its four steps. */
export interface CommandDefinition<O = unknown, R = unknown> extends CommandModule<O, R> {
  define(cmd: Command): void;
}

/** A group module (its index.ts): its own help and the manifest of its subcommands. */
export interface GroupDefinition {
  commands: readonly CommandEntry[];
  define?(cmd: Command): void;
}

/**
 * One line of a group's manifest: enough to list the command in its parent's help, offer it for
 * completion and suggest it after a typo, without loading its module.
 */
export interface CommandEntry {
  /** The name, then the aliases. */
  names: readonly string[];
  /** The line the parent's help shows (also the command's description unless it sets a longer one). */
  summary: string;
  /** What the parent's help shows after the names, e.g. `[options] <cluster>` (test/commands/tree.test.ts keeps it true). */
  usage?: string;
  load: () => Promise<CommandDefinition<any, any> | GroupDefinition>;
}

/** Global options that take a value as the next word (`--profile prod`). */
const GLOBAL_VALUE_OPTIONS = new Set(['--profile', '--api-url']);

/** The command words of a command line: options and the values of global options skipped. */
export function commandWords(argv: readonly string[]): string[] {
  return commandWordIndexes(argv).map((i) => argv[i]!);
}

/** Where the command words are in argv (see commandWords). */
export function commandWordIndexes(argv: readonly string[]): number[] {
  const at: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (GLOBAL_VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    at.push(i);
  }
  return at;
}

const USAGE = Symbol.for('ownstack.usage');

/**
 * Registers a group's subcommands from its manifest. Loading and building every command costs a
 * start-up measurably (docs: start-up), so only what the words name is loaded: the subcommand the
 * next word names, else every subcommand as a placeholder built from its manifest line (enough for
 * the group's help, commander's "did you mean" and completion at this level).
 * `help <command>` names the same path as `<command> --help` (commander's help reads one word).
 */
export async function registerCommands(parent: Command, scope: Scope, entries: readonly CommandEntry[]): Promise<void> {
  if (scope === 'none') return;
  if (scope === 'all') {
    for (const e of entries) await addCommand(parent, e, 'all');
    return;
  }
  const words = scope[0] === 'help' ? scope.slice(1, 2) : scope;
  const named = words.length > 0 ? entries.find((e) => e.names.includes(words[0]!)) : undefined;
  if (named) await addCommand(parent, named, words.slice(1));
  else for (const e of entries) (newCommand(parent, e) as unknown as Record<symbol, string>)[USAGE] = e.usage ?? '';
}

function newCommand(parent: Command, entry: CommandEntry): Command {
  return parent.command(entry.names[0]!).aliases(entry.names.slice(1)).description(entry.summary);
}

async function addCommand(parent: Command, entry: CommandEntry, scope: Scope): Promise<void> {
  const cmd = newCommand(parent, entry);
  const mod = await entry.load();
  if ('commands' in mod) {
    mod.define?.(cmd);
    await registerCommands(cmd, scope, mod.commands);
  } else {
    mod.define(cmd);
    cmd.action(commandAction(mod));
  }
  if (cmd.description() !== entry.summary) cmd.summary(entry.summary);
}

/** The help's term for a subcommand: a placeholder's comes from its manifest line. */
export function subcommandTerm(cmd: Command, fallback: (cmd: Command) => string): string {
  const usage = (cmd as unknown as Record<symbol, string | undefined>)[USAGE];
  if (usage === undefined) return fallback(cmd);
  return [cmd.name(), ...cmd.aliases().slice(0, 1)].join('|') + (usage ? ` ${usage}` : '');
}
