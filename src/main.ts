// The process entry: the only place that exits. Everything else throws typed errors.
declare const __VERSION__: string;

const argv = process.argv.slice(2);
// Fast path: answer --version before loading anything else.
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${__VERSION__}\n`);
} else {
  const { runCli } = await import('./cli.js');
  const code = await runCli(argv, { env: process.env });
  // runCli resolves only when the command is done (a foreground server runs until stopped), so
  // exiting now only drops idle keep-alive sockets. Linux writes to pipes and files synchronously.
  process.exit(code);
}
