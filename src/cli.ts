// Runs one command line against a context and maps every outcome to an exit code.
import { Command, CommanderError } from 'commander';
import { buildProgram, scopeOf } from './program.js';
import { commandWordIndexes, commandWords } from './commands/define.js';
import { COMPLETE_COMMAND } from './commands/completion/index.js';
import { createContextFactory, type ContextDeps } from './context-factory.js';
import { ExitCode, ExitError, isCliError, type ErrorDetails, type ExitCodeValue } from './errors.js';
import { colorEnabled, processIO, type IO } from './output/io.js';

declare const __VERSION__: string;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';

export interface RunDeps extends Partial<ContextDeps> {
  env: NodeJS.ProcessEnv;
  io?: IO;
}

/** Parses argv, runs the command, prints any error, and returns the exit code. Never exits. */
export async function runCli(givenArgv: string[], deps: RunDeps): Promise<number> {
  const argv = helpAsFlag(givenArgv);
  const noColor = argv.includes('--no-color');
  const io = deps.io ?? processIO(deps.env, noColor);
  if (commandWords(argv).length === 0 && (optionGiven(argv, '--version') || optionGiven(argv, '-V'))) {
    io.out(optionGiven(argv, '--json') ? JSON.stringify({ version: VERSION }) : VERSION);
    return ExitCode.ok;
  }
  const factory = createContextFactory({ ...deps, io, env: deps.env });
  try {
    const program = await buildProgram(factory, io, scopeOf(argv));
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (err) {
    return await reportError(err, io, deps.env, argv);
  }
}

/**
 * `help <command…>` as `<command…> --help`: commander's own help command reads one word, so
 * `help cluster create` would print the help of `cluster`.
 */
function helpAsFlag(argv: string[]): string[] {
  const [at, next] = commandWordIndexes(argv);
  // `help __complete` stays commander's: `__complete` reads every later word as one to complete.
  if (at === undefined || argv[at] !== 'help' || (next !== undefined && argv[next] === COMPLETE_COMMAND)) return argv;
  return [...argv.slice(0, at), ...argv.slice(at + 1), '--help'];
}

async function reportError(err: unknown, io: IO, env: NodeJS.ProcessEnv, argv: string[]): Promise<ExitCodeValue> {
  // Loaded on the error path only: completion and help never print an error.
  const { codeForExit, commanderDetails, printError } = await import('./output/error.js');
  let exitCode: ExitCodeValue;
  let details: ErrorDetails;
  let stack: string | undefined;
  if (err instanceof CommanderError) {
    // Help and version are not errors; commander already printed them.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
    if (err.exitCode === 0) return ExitCode.ok;
    // A usage error: commander prints nothing itself (see program.ts), it is shown here.
    [exitCode, details] = [ExitCode.usage, commanderDetails(err.message)];
  } else if (err instanceof ExitError && !err.message) {
    // The command already wrote its output (e.g. deploy:status of a running deploy: 6).
    return err.exitCode;
  } else if (isCliError(err)) {
    exitCode = err.exitCode;
    details = { ...(err.details ?? { code: codeForExit(exitCode) }), message: err.message };
    if (err.hint !== undefined) details.hint = err.hint;
    else delete details.hint;
  } else if ((err as { name?: string })?.name === 'AbortError') {
    [exitCode, details] = [ExitCode.interrupted, { code: codeForExit(ExitCode.interrupted), message: 'interrupted' }];
  } else {
    const e = err as Error;
    [exitCode, details] = [ExitCode.failed, { code: 'failed', message: e?.message ?? String(err) }];
    if (env.OWNSTACK_DEBUG && e?.stack) stack = e.stack;
  }
  const json = optionGiven(argv, '--json');
  printError(io, { json, color: colorEnabled(env, io.stderrIsTTY, optionGiven(argv, '--no-color')), details, stack });
  return exitCode;
}

/** True when `flag` is among the options (not after `--`, where it would be an argument). */
function optionGiven(argv: readonly string[], flag: string): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes(flag);
}

export { Command };
