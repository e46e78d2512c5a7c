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
  // exiting now only drops idle keep-alive sockets, once what was written has left: a pipe whose
  // reader is slower than us holds the rest of a long output (more than the pipe's 64 KiB) in the
  // stream's buffer, which process.exit would drop.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

/** Resolves once a stream has handed all its buffered output to the OS (or can take no more). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done).off('error', done).off('close', done);
      resolve();
    };
    stream.on('drain', done).on('error', done).on('close', done);
  });
}
