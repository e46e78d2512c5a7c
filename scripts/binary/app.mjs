// The application inside the standalone binary, bundled to one CommonJS file (asset app.cjs)
// and run by loader.cjs. The same code as bin/ownstack: src/main.ts for the CLI, and
// src/control-plane/main.ts when the CLI (src/local/start.ts) starts the local control plane as
// `<binary> <…/dist/control-plane.js> --home … --port …` (process.execPath is the binary).
//
// At build time the same bundle runs once in "warm-up" mode (globalThis.__ownstackWarmup, see
// warmup.cjs): it runs a few commands in-process so V8 compiles their functions, and the code
// cache written afterwards covers them.
const first = process.argv[2];
const launched = first !== undefined && /(^|[/\\])control-plane\.js$/.test(first) && process.argv[3] === '--home';
const warmup = globalThis.__ownstackWarmup;

if (warmup) {
  (async () => {
    const { runCli } = await import('../../src/cli.ts');
    const { createIO } = await import('../../src/output/io.ts');
    const sink = { write: () => true };
    for (const command of warmup.commands) {
      const { argv, env } = Array.isArray(command) ? { argv: command, env: warmup.env } : command;
      const io = createIO({ stdout: sink, stderr: sink, stdin: null, stdoutIsTTY: false, stderrIsTTY: false, stdinIsTTY: false, env });
      await runCli(argv, { env, io });
    }
  })().then(
    () => warmup.done(null),
    (err) => warmup.done(err),
  );
} else if (first === '__control-plane' || launched) {
  process.argv.splice(2, 1);
  import('../../src/control-plane/main.ts');
} else {
  import('../../src/main.ts');
}
