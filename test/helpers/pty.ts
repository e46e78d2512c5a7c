// Runs the built CLI in a real pseudo-terminal, as a user at a terminal does: util-linux `script`
// (package bsdutils, which every Debian system has) gives the command a pty for stdin, stdout and
// stderr; this helper plays the user, answering a prompt once it shows.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cleanEnv, ownstackCommand, ROOT } from './e2e.js';

export interface PtyResult {
  exitCode: number;
  /** The bytes the terminal got, as they came (ANSI codes included). */
  raw: string;
  /** Everything the terminal showed (stdout and stderr interleaved, typed input echoed), ANSI codes removed, CR LF → LF. */
  screen: string;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g;

/**
 * Starts `ownstack <argv>` (bin/ownstack, or OWNSTACK_E2E_BINARY) in a pty: -q no banner, -f flush
 * at once, -e the command's exit code, -c the command; no typescript file. script runs the command
 * with `$SHELL -c`: always /bin/sh here, and `exec` so the CLI replaces that shell. Otherwise the
 * shell stays the pty's foreground process beside the CLI, and a typed Ctrl-C kills dash (a
 * non-interactive shell does not survive SIGINT): script then reports 130 whatever the CLI did. An
 * interactive shell, where users type the command, never dies of it.
 */
export function spawnInPty(home: string, argv: string[], env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
  const { file, args } = ownstackCommand(argv);
  const command = `exec ${[file, ...args].map(shellQuote).join(' ')}`;
  return spawn('script', ['-qfec', command, '/dev/null'], { env: { ...cleanEnv(home, env), SHELL: '/bin/sh' }, cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * Runs `ownstack <argv>` in a pty (see spawnInPty). When the screen shows
 * `waitFor`, types `answer` and Enter. Bounded by `timeoutMs`; the error then shows the screen.
 */
export async function ownstackInPty(home: string, argv: string[], opts: { env?: NodeJS.ProcessEnv; waitFor?: string; answer?: string; timeoutMs?: number } = {}): Promise<PtyResult> {
  const child = spawnInPty(home, argv, opts.env);
  let raw = '';
  let answered = opts.answer === undefined;
  const screen = () => raw.replace(ANSI, '').replace(/\r+\n/g, '\n');
  return new Promise<PtyResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ownstack ${argv.join(' ')} in a pty did not finish within ${opts.timeoutMs ?? 60_000} ms; the screen:\n${screen()}`));
    }, opts.timeoutMs ?? 60_000);
    const onOutput = (chunk: Buffer) => {
      raw += chunk.toString('utf8');
      if (!answered && screen().includes(opts.waitFor ?? 'to confirm: ')) {
        answered = true;
        child.stdin.write(`${opts.answer}\r`);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? new Error('script (util-linux) is missing: apt-get install -y bsdutils') : err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ exitCode: code ?? -1, raw, screen: screen() });
    });
  });
}
