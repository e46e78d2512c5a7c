import type { Command } from 'commander';
import { examples, lazyAction } from '../define.js';

export function registerLocalStop(local: Command): void {
  local
    .command('stop')
    .description('Stop the local control plane (SIGTERM, then SIGKILL after 20 s); its state stays on disk')
    .addHelpText('after', examples('ownstack local stop', 'ownstack local stop --json'))
    .action(lazyAction(() => import('./stop.run.js')));
}
