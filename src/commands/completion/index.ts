// `ownstack completion bash|zsh|fish|install` and the hidden `ownstack __complete <words…>` the
// scripts call (cobra's protocol). Definitions only: the engine loads when a command runs.
import { Argument, Option, type Command } from 'commander';
import { completes, examples, commandAction } from '../define.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;

const SCRIPT_HELP: Record<(typeof SHELLS)[number], { description: string; examples: string[] }> = {
  bash: {
    description: 'Print the bash completion script (bash 4.1+; works with or without the bash-completion package)',
    examples: ['source <(ownstack completion bash)', 'ownstack completion bash > ~/.local/share/bash-completion/completions/ownstack'],
  },
  zsh: {
    description: 'Print the zsh completion script (a #compdef file for a folder on $fpath)',
    examples: ['ownstack completion zsh > "${fpath[1]}/_ownstack"', 'source <(ownstack completion zsh)   # after compinit, this shell only'],
  },
  fish: {
    description: 'Print the fish completion script',
    examples: ['ownstack completion fish > ~/.config/fish/completions/ownstack.fish', 'ownstack completion fish | source'],
  },
};

/** The name of the hidden command the completion scripts call. */
export const COMPLETE_COMMAND = '__complete';

export function registerCompletion(program: Command): void {
  const completion = program
    .command('completion')
    .description('Shell completion for bash, zsh and fish: commands, flags, and live names from the control plane')
    .addHelpText(
      'after',
      examples('ownstack completion install', 'source <(ownstack completion bash)', 'ownstack completion fish > ~/.config/fish/completions/ownstack.fish') +
        '\nLive names (clusters, hostnames, variants, upstreams, members, apps) come from the active profile with a 1 s timeout\n' +
        'and a 10 s cache (OWNSTACK_COMPLETION_TIMEOUT_MS, OWNSTACK_COMPLETION_TTL). The local control plane is never started by a Tab.\n',
    );

  for (const shell of SHELLS) {
    completion
      .command(shell)
      .description(SCRIPT_HELP[shell].description)
      .addHelpText('after', examples(...SCRIPT_HELP[shell].examples))
      .action(commandAction(async () => (await import('./script.js')).scriptCommand(shell)));
  }

  completion
    .command('install')
    .description("Write the completion script where your shell loads it from (the shell comes from $SHELL unless named)")
    .addArgument(new Argument('[shell]', 'bash, zsh or fish').choices(SHELLS))
    .addOption(completes(new Option('--path <file>', 'write the script here instead of the default location'), 'file'))
    .addHelpText(
      'after',
      examples('ownstack completion install', 'ownstack completion install zsh', 'ownstack completion install bash --path ~/.bash_completion.d/ownstack') +
        '\nDefault locations: bash ${XDG_DATA_HOME:-~/.local/share}/bash-completion/completions/ownstack,\n' +
        'zsh ${XDG_DATA_HOME:-~/.local/share}/zsh/site-functions/_ownstack, fish ${XDG_CONFIG_HOME:-~/.config}/fish/completions/ownstack.fish.\n',
    )
    .action(commandAction(() => import('./install.js')));

  const complete = program
    .command(COMPLETE_COMMAND, { hidden: true })
    .description('Completion candidates for the words typed so far (the last one is the word under the cursor)')
    .argument('[words...]', 'the command line after "ownstack", up to the cursor')
    .addHelpText('after', examples("ownstack __complete cluster switch api --to=", "ownstack __complete cluster status ''") + '\nPrints `value<TAB>description` lines, then `:<directive>` (cobra\'s protocol).\n')
    .helpOption(false)
    .action(commandAction(async () => (await import('./complete.js')).completeCommand(program)));

  // The words are data, not flags: `ownstack __complete cluster --profile` must not be parsed as
  // a --profile without value, nor `-V` print the version. Both the root and the hidden command
  // hand them over untouched.
  const rootParse = program.parseOptions.bind(program);
  program.parseOptions = (args: string[]) => (args[0] === COMPLETE_COMMAND ? { operands: args, unknown: [] } : rootParse(args));
  complete.parseOptions = (args: string[]) => ({ operands: args, unknown: [] });
}
