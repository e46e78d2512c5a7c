// The local control plane's process entry (dist/control-plane.js), started in the background by
// the CLI (src/local/start.ts) with stdout/stderr appended to $OWNSTACK_HOME/local/server.log, or by hand:
//   node dist/control-plane.js --home ~/.ownstack [--port 0] [--foreground]
// This is the server process's main, so (like src/main.ts for the CLI) it may call process.exit.
import { parseArgs } from 'node:util';
import { ownstackHome } from '../config/files.js';
import { exitCodeOf } from '../errors.js';
import { systemClock } from '../clock.js';
import { localPaths } from '../local/files.js';
import { findRunning } from '../local/find.js';
import { requestedPort } from '../local/start.js';
import { serveHere, type Serving } from './compose.js';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

function usage(message: string): never {
  process.stderr.write(`control-plane: ${message}\nusage: control-plane.js [--home DIR] [--port N] [--foreground]\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: { home?: string; port?: string; foreground?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { home: { type: 'string' }, port: { type: 'string' }, foreground: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) {
    process.stdout.write('usage: control-plane.js [--home DIR] [--port N] [--foreground]\n(use `ownstack local start` instead)\n');
    process.exit(0);
  }
  const home = values.home ?? ownstackHome(process.env);
  if (values.port !== undefined && (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65_535)) usage(`invalid --port "${values.port}": a whole number from 0 to 65535`);
  let port: number;
  try {
    port = requestedPort(process.env, values.port === undefined ? undefined : Number(values.port));
  } catch (err) {
    usage((err as Error).message);
  }
  const paths = localPaths(home);

  // Started by hand next to a running one: refuse instead of running two servers on one state.
  const running = await findRunning(paths, systemClock).catch(() => null);
  if (running && running.pid !== process.pid) {
    log(`another control plane already runs on ${running.url} (pid ${running.pid}); exiting`);
    process.exit(1);
  }

  let serving: Serving;
  try {
    serving = await serveHere({ home, port, log });
  } catch (err) {
    log(`failed to start: ${(err as Error).message}`);
    // The CLI's exit codes (5: the port is taken), so the CLI that started it can report the same kind of error.
    process.exit(exitCodeOf(err));
  }
  log(`ownstack control plane ${serving.info.version} ready on ${serving.info.url} (pid ${process.pid}, state ${paths.dir}${values.foreground ? ', foreground' : ''})`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: shutting down`);
    // Bounded: a close that hangs must not keep `ownstack local stop` waiting for ever.
    const guard = setTimeout(() => {
      log('shutdown took longer than 15 s: exiting');
      process.exit(1);
    }, 15_000);
    guard.unref();
    serving.close().then(
      () => {
        log('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log(`error while stopping: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  process.on('uncaughtException', (err) => {
    log(`uncaught exception: ${err.stack ?? err.message}`);
    stop('uncaughtException');
  });
  process.on('unhandledRejection', (err) => {
    log(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`);
  });
}

await main();
