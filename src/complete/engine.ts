// The static half of shell completion: walks the commander tree along the words typed so far
// and decides what the word under the cursor can be (a subcommand, a flag, a fixed value, or
// a live value). Cheap on purpose: it reads the command definitions only; live values are
// fetched by ./live.ts, which the caller imports only when `live` is set.
import type { Argument, Command, Help, Option } from 'commander';
import { completionKindOf, type CompletionKind } from '../commands/define.js';
import { DEFAULT_DIRECTIVE, Directive, type Candidate, type Completion } from './protocol.js';

/** What the live half must fetch for the word under the cursor. */
export interface LiveRequest {
  kind: Exclude<CompletionKind, 'file'>;
  /** The cluster already typed on the line (hostname, variant, upstream, member, deploy). */
  cluster?: string;
}

export interface CompletionPlan {
  /** The part of the word being completed that candidates must start with. */
  prefix: string;
  /** Candidates known without the network (subcommands, flags, fixed values). */
  candidates: Candidate[];
  directive: number;
  live?: LiveRequest;
  /** Global flags typed on the line: they choose the profile for live values. */
  flags: { profile?: string; apiUrl?: string };
}

// Descriptions for fixed values, so `--edge=<TAB>` explains each mode.
const CHOICE_HINTS: Record<string, string> = {
  dns_rr: 'multi-A records via DNS; ~60 s failover',
  cloudflare: 'proxied records via Cloudflare; sub-second failover',
  aws_alb: 'proxies as targets of an existing AWS ALB',
  none: 'you manage DNS yourself',
  parallel: 'deploy every member at once',
  rolling: 'drain, deploy, wait healthy, undrain: one member at a time',
  active: 'routes new connections',
  draining: 'no new connections; existing ones finish',
  zonefile: 'write a zone file under the state folder',
  rfc2136: 'dynamic updates to an authoritative server',
  on: 'turn on',
  off: 'turn off',
  bash: 'Bourne-again shell',
  zsh: 'Z shell',
  fish: 'friendly interactive shell',
};

// Root flags that take a live value even when the definition carries no marker.
const ROOT_FLAG_KINDS: Record<string, CompletionKind> = { '--profile': 'profile' };

interface Walk {
  cmd: Command;
  /** Positional values consumed by `cmd` so far. */
  positionals: string[];
  /** Values typed for marked arguments/options, by kind (the cluster, mostly). */
  values: Partial<Record<CompletionKind, string>>;
  /** Options already given (not offered again unless repeatable). */
  used: Set<Option>;
  flags: { profile?: string; apiUrl?: string };
  afterDashDash: boolean;
  /** After `help`: only subcommand names make sense. */
  helpMode: boolean;
  /** An option whose value is the word under the cursor. */
  pendingOption?: Option;
}

const descriptionOf = (text: string | undefined) => (text ?? '').split('\n')[0].trim();

function chain(cmd: Command): Command[] {
  const out: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) out.push(c);
  return out;
}

function helpFor(cmd: Command): Help {
  return cmd.createHelp();
}

/** Every option `cmd` accepts, its own first, then its ancestors' (commander reads them anywhere). */
function optionsOf(cmd: Command): Option[] {
  const seen = new Set<string>();
  const out: Option[] = [];
  for (const c of chain(cmd)) {
    for (const o of helpFor(c).visibleOptions(c)) {
      const key = o.long ?? o.short ?? o.flags;
      if (seen.has(key)) continue;
      // --version only means something on the root.
      if (c.parent === null && c !== cmd && o.long === '--version') continue;
      seen.add(key);
      out.push(o);
    }
  }
  return out;
}

function findOption(cmd: Command, flag: string): Option | undefined {
  return optionsOf(cmd).find((o) => o.long === flag || o.short === flag);
}

const takesValue = (o: Option) => o.required || o.optional;

/** Subcommands offered at this level: visible ones plus commander's implicit `help`. */
function subcommandsOf(cmd: Command): Command[] {
  return helpFor(cmd).visibleCommands(cmd);
}

function findSubcommand(cmd: Command, word: string): Command | undefined {
  return cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
}

/** The argument definition for the n-th positional (a variadic last one absorbs the rest). */
function argumentAt(cmd: Command, n: number): Argument | undefined {
  const args = cmd.registeredArguments;
  if (n < args.length) return args[n];
  const last = args[args.length - 1];
  return last?.variadic ? last : undefined;
}

function kindOf(target: Option | Argument, root: boolean): CompletionKind | undefined {
  const marked = completionKindOf(target);
  if (marked) return marked;
  if (root && 'long' in target && target.long) return ROOT_FLAG_KINDS[target.long];
  return undefined;
}

function isRootOption(cmd: Command, o: Option): boolean {
  let root = cmd;
  while (root.parent) root = root.parent;
  return root.options.includes(o);
}

function record(w: Walk, target: Option | Argument, value: string): void {
  const kind = kindOf(target, 'long' in target && isRootOption(w.cmd, target));
  if (kind) w.values[kind] = value;
  if ('long' in target) {
    if (target.long === '--profile' && isRootOption(w.cmd, target)) w.flags.profile = value;
    if (target.long === '--api-url' && isRootOption(w.cmd, target)) w.flags.apiUrl = value;
  }
}

/** Follows the words before the cursor the way commander would parse them. */
function walk(root: Command, before: string[]): Walk {
  const w: Walk = { cmd: root, positionals: [], values: {}, used: new Set(), flags: {}, afterDashDash: false, helpMode: false };
  for (let i = 0; i < before.length; i++) {
    const word = before[i];
    if (!w.afterDashDash && word === '--') {
      w.afterDashDash = true;
      continue;
    }
    if (!w.afterDashDash && word.length > 1 && word.startsWith('-')) {
      const eq = word.startsWith('--') ? word.indexOf('=') : -1;
      const opt = findOption(w.cmd, eq > 0 ? word.slice(0, eq) : word);
      if (!opt) continue; // unknown flag (or a group of short flags): skip it
      w.used.add(opt);
      if (eq > 0) {
        record(w, opt, word.slice(eq + 1));
        continue;
      }
      if (!takesValue(opt)) continue;
      const next = before[i + 1];
      if (next === undefined) {
        // The flag is the last word before the cursor: the cursor word is its value
        // (an optional value only when it does not look like a flag).
        w.pendingOption = opt;
        continue;
      }
      if (opt.optional && next.startsWith('-')) continue;
      record(w, opt, next);
      i++;
      continue;
    }
    if (!w.afterDashDash && w.positionals.length === 0 && !w.helpMode) {
      const sub = findSubcommand(w.cmd, word);
      if (sub) {
        w.cmd = sub;
        continue;
      }
      if (word === 'help' && w.cmd.commands.length > 0) {
        w.helpMode = true;
        continue;
      }
    }
    if (w.helpMode) {
      w.helpMode = false; // `help <command>` takes one name
      w.positionals.push(word);
      continue;
    }
    const arg = argumentAt(w.cmd, w.positionals.length);
    if (arg) record(w, arg, word);
    w.positionals.push(word);
  }
  return w;
}

function choiceCandidates(choices: readonly string[]): Candidate[] {
  return choices.map((value) => ({ value, description: CHOICE_HINTS[value] }));
}

/** Candidates for the value of an option or argument: fixed choices, a live kind, or nothing. */
function valuePlan(w: Walk, target: Option | Argument, prefix: string): CompletionPlan {
  const base = { prefix, flags: w.flags };
  if (target.argChoices?.length) {
    return { ...base, candidates: choiceCandidates(target.argChoices), directive: Directive.noFileComp | Directive.keepOrder };
  }
  const kind = kindOf(target, 'long' in target && isRootOption(w.cmd, target));
  if (kind === 'file') return { ...base, candidates: [], directive: DEFAULT_DIRECTIVE };
  if (kind) return { ...base, candidates: [], directive: Directive.noFileComp | Directive.keepOrder, live: { kind, cluster: w.values.cluster } };
  return { ...base, candidates: [], directive: Directive.noFileComp };
}

/** Whether an option may be given again: variadic, or its parser collects values into an array. */
function repeatable(o: Option): boolean {
  if (o.variadic) return true;
  const parseArg = (o as Option & { parseArg?: (value: string, previous: unknown) => unknown }).parseArg;
  if (!parseArg || o.argChoices) return false;
  try {
    return Array.isArray(parseArg.call(o, 'x', undefined));
  } catch {
    return false;
  }
}

function flagCandidates(w: Walk, prefix: string): Candidate[] {
  const longOnly = prefix.startsWith('--');
  const out: Candidate[] = [];
  for (const o of optionsOf(w.cmd)) {
    if (w.used.has(o) && !repeatable(o)) continue;
    const description = descriptionOf(o.description);
    if (o.long) out.push({ value: o.long, description });
    if (o.short && !longOnly) out.push({ value: o.short, description });
  }
  return out;
}

function subcommandCandidates(cmd: Command): Candidate[] {
  const help = helpFor(cmd);
  return subcommandsOf(cmd).map((c) => ({ value: c.name(), description: descriptionOf(help.subcommandDescription(c)) }));
}

/** Decides what the last word can be, given the words before it. */
export function planCompletion(root: Command, words: string[]): CompletionPlan {
  const all = words.length ? words : [''];
  const before = all.slice(0, -1);
  const current = all[all.length - 1];
  const w = walk(root, before);

  if (w.pendingOption && !(w.pendingOption.optional && current.startsWith('-'))) {
    return valuePlan(w, w.pendingOption, current);
  }
  if (!w.afterDashDash && current.startsWith('--') && current.includes('=')) {
    const eq = current.indexOf('=');
    const opt = findOption(w.cmd, current.slice(0, eq));
    const value = current.slice(eq + 1);
    if (!opt || !takesValue(opt)) return { prefix: value, candidates: [], directive: Directive.noFileComp, flags: w.flags };
    return valuePlan(w, opt, value);
  }
  if (!w.afterDashDash && current.startsWith('-')) {
    return { prefix: current, candidates: flagCandidates(w, current), directive: Directive.noFileComp | Directive.keepOrder, flags: w.flags };
  }
  if (w.helpMode) {
    return { prefix: current, candidates: subcommandCandidates(w.cmd), directive: Directive.noFileComp | Directive.keepOrder, flags: w.flags };
  }

  const candidates: Candidate[] = [];
  if (w.positionals.length === 0 && !w.afterDashDash) candidates.push(...subcommandCandidates(w.cmd));
  const arg = argumentAt(w.cmd, w.positionals.length);
  if (arg) {
    const value = valuePlan(w, arg, current);
    return { ...value, candidates: [...candidates, ...value.candidates], directive: value.directive | (candidates.length ? Directive.keepOrder : 0) };
  }
  if (candidates.length === 0) {
    // Nothing positional is left: offer the flags still missing, required ones first.
    const flags = flagCandidates(w, '--');
    const required = w.cmd.options.filter((o) => o.mandatory && !w.used.has(o)).map((o) => o.long);
    flags.sort((a, b) => Number(required.includes(b.value)) - Number(required.includes(a.value)));
    candidates.push(...flags);
  }
  return { prefix: current, candidates, directive: Directive.noFileComp | Directive.keepOrder, flags: w.flags };
}

/** Keeps the candidates that start with the prefix, once each. */
export function filterCandidates(candidates: Candidate[], prefix: string): Candidate[] {
  const seen = new Set<string>();
  return candidates.filter((c) => {
    if (!c.value.startsWith(prefix) || seen.has(c.value)) return false;
    seen.add(c.value);
    return true;
  });
}

/** A plan whose live part could not be answered: the static candidates only. */
export function staticCompletion(plan: CompletionPlan): Completion {
  return { candidates: filterCandidates(plan.candidates, plan.prefix), directive: plan.directive };
}
