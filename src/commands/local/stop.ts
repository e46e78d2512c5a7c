import type { Command } from 'commander';
import { examples, lazyAction } from '../define.js';

export function registerLocalStop(local: Command): void {
  local
    .command('stop')
    .description('Stop the local control plane (SIGTERM, then SIGKILL after 20 s); its state stays on disk and the proxies keep serving')
    .option('--proxies', "also stop every local proxy: takes the local clusters' traffic down")
    .addHelpText(
      'after',
      examples('ownstack local stop', 'ownstack local stop --proxies', 'ownstack local stop --json') +
        '\nThe proxies are agent processes of their own: they keep serving the last config while the control plane is\n' +
        'stopped, restarted or upgraded, and the next control plane adopts them. --proxies stops them too.\n',
    )
    .action(lazyAction(() => import('./stop.run.js')));
}
