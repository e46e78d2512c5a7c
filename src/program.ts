// The commander tree. Cheap to build: a command's module loads only when the command line names it.
import { Command, Help, Option } from 'commander';
import type { ContextFactory } from './context.js';
import type { IO } from './output/io.js';
import { attachFactory, commandWords, completes, examples, registerCommands, subcommandTerm, type CommandEntry, type Scope } from './commands/define.js';
import { COMPLETE_COMMAND, registerCompletion } from './commands/completion/index.js';

declare const __VERSION__: string;

/** The top of the tree; each group's index.ts lists its own commands. */
export const commands: readonly CommandEntry[] = [
  { names: ['cluster'], summary: 'Load-balanced clusters: hostnames, variants, upstreams, members, cutover, deploys', load: () => import('./commands/cluster/index.js') },
  { names: ['login'], summary: 'Save an API token as a profile and make it active', usage: '[options]', load: () => import('./commands/login.js') },
  { names: ['profile'], summary: 'Profiles: which control plane (API URL + token) commands talk to; "local" is the embedded one', load: () => import('./commands/profile/index.js') },
  { names: ['local'], summary: 'The local control plane: started on demand when no profile is configured; start, stop, status, logs, apps', load: () => import('./commands/local/index.js') },
  { names: ['proxy'], summary: 'The proxy tier on a proxy host: run the agent that serves one cluster with Caddy', load: () => import('./commands/proxy/index.js') },
  { names: ['maintenance'], summary: 'Host maintenance: drain every upstream address on a host in every cluster, run the upgrade, undrain exactly that', load: () => import('./commands/maintenance/index.js') },
  { names: ['token'], summary: "Operator tokens and clusters' agent tokens of the control plane: create (shown once), list, revoke", load: () => import('./commands/token/index.js') },
  { names: ['dashboard'], summary: 'Print a one-time login link to the web dashboard', usage: '[options]', load: () => import('./commands/dashboard.js') },
];

/**
 * The part of the tree a command line needs: its command words. For `__complete <words…>`, the
 * words before the one under the cursor (that one may be any prefix of a subcommand).
 */
export function scopeOf(argv: readonly string[]): Scope {
  return argv[0] === COMPLETE_COMMAND ? commandWords(argv.slice(1, -1)) : commandWords(argv);
}

/**
 * Builds the command tree, or the part of it `scope` needs (see registerCommands); `factory`
 * makes the context once global flags are parsed.
 */
export async function buildProgram(factory: ContextFactory, io: IO, scope: Scope = 'all'): Promise<Command> {
  const program = new Command('ownstack');
  program
    .description('Operate load-balanced OwnStack clusters: hostnames, variants, upstreams, cutover and deploys.')
    .version(typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev', '-V, --version', 'print the version')
    .option('--json', 'print machine-readable JSON on stdout')
    .addOption(completes(new Option('--profile <name>', 'use this profile for one command (env OWNSTACK_PROFILE)'), 'profile'))
    .option('--api-url <url>', 'control plane URL (env OWNSTACK_API_URL)')
    .option('--no-color', 'disable colour (also NO_COLOR, TERM=dumb)')
    .addOption(new Option('-q, --quiet', 'print only results and errors').conflicts('verbose'))
    .option('-v, --verbose', 'print each request and response with timings on stderr')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false, subcommandTerm: (c) => subcommandTerm(c, defaultTerm) })
    .addHelpText(
      'after',
      examples(
        'ownstack cluster create api --edge=dns_rr --proxy-count=2',
        'ownstack cluster switch api --to=green',
        'ownstack cluster status api --json | jq .hostnames',
      ) + '\nExit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 auth, 5 conflict, 6 timeout/in progress, 130 interrupted.\n',
    );
  program.exitOverride();
  // Usage errors are printed by runCli (src/output/error.ts), in the one error shape; commander
  // only throws them.
  const output = { writeOut: (s: string) => void io.stdout.write(s), writeErr: (s: string) => void io.stderr.write(s), outputError: () => undefined };
  program.configureOutput(output);
  attachFactory(program, factory);

  await registerCommands(program, scope, commands);
  // Always whole (five small commands): `__complete` completes the words of whatever scope names.
  registerCompletion(program);

  // exitOverride and output settings apply to every subcommand.
  const inherit = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride();
      sub.configureOutput(output);
      sub.configureHelp({ showGlobalOptions: true, subcommandTerm: (c) => subcommandTerm(c, defaultTerm) });
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

const defaultTerm = (cmd: Command): string => new Help().subcommandTerm(cmd);
