import type { Command } from 'commander';
import { examples, lazyAction } from '../define.js';

export function registerLocalStart(local: Command): void {
  local
    .command('start')
    .description('Start the local control plane: in the background (like the automatic start), or in this process with --foreground')
    .option('--foreground', 'run in this process until SIGTERM or Ctrl-C (for systemd); the log goes to stderr and server.log')
    .option('--port <n>', 'port on 127.0.0.1 (default: OWNSTACK_LOCAL_PORT, else any free port)')
    .addHelpText(
      'after',
      examples('ownstack local start', 'ownstack local start --port=47100', 'OWNSTACK_HOME=/var/lib/ownstack ownstack local start --foreground', 'ownstack local start --json | jq -r .url'),
    )
    .action(lazyAction(() => import('./start.run.js')));
}
