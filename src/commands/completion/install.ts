// completion install [shell]: writes the script where the shell loads completions from. Never
// edits rc files: when the shell needs one more line, the result says which.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Context } from '../../context.js';
import type { RawInput } from '../define.js';
import { UsageError } from '../../errors.js';
import { completionScript, SHELLS, type Shell } from '../../complete/scripts.js';
import { printJson } from '../../output/json.js';
import { successLine } from '../../output/style.js';

export interface InstallOptions {
  shell: Shell;
  path: string;
}

export interface InstallResult {
  shell: Shell;
  path: string;
  /** What the user still has to do (empty when the shell picks the file up by itself). */
  next: string[];
}

const isShell = (s: string): s is Shell => (SHELLS as readonly string[]).includes(s);

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p;
}

/** Where each shell loads completion files from without any configuration (or nearly). */
export function defaultPath(shell: Shell, env: NodeJS.ProcessEnv): string {
  const home = env.HOME || homedir();
  const data = env.XDG_DATA_HOME || join(home, '.local', 'share');
  const config = env.XDG_CONFIG_HOME || join(home, '.config');
  switch (shell) {
    case 'bash':
      return join(data, 'bash-completion', 'completions', 'ownstack');
    case 'zsh':
      return join(data, 'zsh', 'site-functions', '_ownstack');
    case 'fish':
      return join(config, 'fish', 'completions', 'ownstack.fish');
  }
}

export function parse(raw: RawInput, ctx: Context): InstallOptions {
  let shell = raw.args[0];
  if (!shell) {
    const fromEnv = ctx.env.SHELL ? basename(ctx.env.SHELL) : '';
    if (!isShell(fromEnv)) {
      throw new UsageError(`cannot tell your shell from $SHELL (${ctx.env.SHELL ? `"${ctx.env.SHELL}"` : 'not set'}): name it, one of ${SHELLS.join(', ')}`, {
        hint: 'e.g. `ownstack completion install zsh`',
      });
    }
    shell = fromEnv;
  }
  if (!isShell(shell)) throw new UsageError(`unknown shell "${shell}": use one of ${SHELLS.join(', ')}`);
  const home = ctx.env.HOME || homedir();
  const given = typeof raw.opts.path === 'string' ? raw.opts.path : undefined;
  if (given !== undefined && given.trim() === '') throw new UsageError('invalid --path "": give a file path, e.g. --path ~/.zfunc/_ownstack');
  return { shell, path: given ? resolve(expandHome(given, home)) : defaultPath(shell, ctx.env) };
}

function nextSteps(o: InstallOptions, isDefault: boolean): string[] {
  switch (o.shell) {
    case 'bash':
      return isDefault
        ? ['open a new shell (bash-completion 2 loads it from there); without the bash-completion package add to ~/.bashrc:', `  source ${o.path}`]
        : ['add to ~/.bashrc:', `  source ${o.path}`];
    case 'zsh':
      return ['add to ~/.zshrc, before compinit runs (skip if that folder is already on $fpath):', `  fpath=(${dirname(o.path)} $fpath)`, '  autoload -Uz compinit && compinit', 'then open a new shell'];
    case 'fish':
      return isDefault ? ['open a new shell: fish loads it from there'] : ['add to ~/.config/fish/config.fish:', `  source ${o.path}`];
  }
}

export async function run(o: InstallOptions, ctx: Context): Promise<InstallResult> {
  const script = completionScript(o.shell);
  mkdirSync(dirname(o.path), { recursive: true });
  writeFileSync(o.path, script, { mode: 0o644 });
  chmodSync(o.path, 0o644);
  return { shell: o.shell, path: o.path, next: nextSteps(o, o.path === defaultPath(o.shell, ctx.env)) };
}

export function render(r: InstallResult, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, r);
  if (!ctx.globals.quiet) ctx.io.out(successLine(ctx.io, `Installed the ${r.shell} completion script: ${r.path}`));
  for (const line of r.next) ctx.notice(line);
}
