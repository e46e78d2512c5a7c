import type { Command } from 'commander';
import { examples, lazyAction } from '../define.js';

export function registerLocalStatus(local: Command): void {
  local
    .command('status')
    .description('Whether the local control plane runs: pid, URL, uptime, state folder, log, cluster count (never starts it)')
    .addHelpText('after', examples('ownstack local status', 'ownstack local status --json | jq .running'))
    .action(lazyAction(() => import('./status.run.js')));
}
