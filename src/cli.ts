// Runs one command line against a context and maps every outcome to an exit code.
import { Command, CommanderError } from 'commander';
import { buildProgram, scopeOf } from './program.js';
import { createContextFactory, type ContextDeps } from './context-factory.js';
import { ExitCode, ExitError, isCliError, type ExitCodeValue } from './errors.js';
import { colorEnabled, processIO, type IO } from './output/io.js';
import { escapeControl } from './control-chars.js';

/** Text with control characters made visible, line breaks kept. */
const visible = (s: string): string => s.split('\n').map(escapeControl).join('\n');

export interface RunDeps extends Partial<ContextDeps> {
  env: NodeJS.ProcessEnv;
  io?: IO;
}

/** Parses argv, runs the command, prints any error, and returns the exit code. Never exits. */
export async function runCli(argv: string[], deps: RunDeps): Promise<number> {
  const noColor = argv.includes('--no-color');
  const io = deps.io ?? processIO(deps.env, noColor);
  const factory = createContextFactory({ ...deps, io, env: deps.env });
  const program = buildProgram(factory, io, scopeOf(argv));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (err) {
    return reportError(err, io, deps.env, argv);
  }
}

function reportError(err: unknown, io: IO, env: NodeJS.ProcessEnv, argv: string[]): ExitCodeValue {
  if (err instanceof CommanderError) {
    // Help and version are not errors; commander already printed them.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
    if (err.exitCode === 0) return ExitCode.ok;
    return ExitCode.usage; // commander printed the message through configureOutput
  }
  if (err instanceof ExitError) {
    if (err.message) io.err(err.message);
    return err.exitCode;
  }
  const color = colorEnabled(env, io.stderrIsTTY, argv.includes('--no-color'));
  const red = (s: string) => (color ? `\x1b[31m${s}\x1b[39m` : s);
  const dim = (s: string) => (color ? `\x1b[2m${s}\x1b[22m` : s);
  if (isCliError(err)) {
    if (argv.includes('--json') && err.details) io.err(JSON.stringify({ error: err.details }));
    // A message may echo a value from the server or the user: it must not act on the terminal.
    io.err(`${red('error:')} ${visible(err.message)}`);
    if (err.hint) io.err(dim(`hint: ${visible(err.hint)}`));
    return err.exitCode;
  }
  if ((err as { name?: string })?.name === 'AbortError') {
    io.err('interrupted');
    return ExitCode.interrupted;
  }
  const e = err as Error;
  io.err(`${red('error:')} ${e?.message ?? String(err)}`);
  if (env.OWNSTACK_DEBUG && e?.stack) io.err(e.stack);
  return ExitCode.failed;
}

export { Command };
