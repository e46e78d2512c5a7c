import type { Command } from 'commander';
import { examples, lazyAction } from '../define.js';

export function registerLocalLogs(local: Command): void {
  local
    .command('logs')
    .description("Print the local control plane's log (server.log)")
    .option('-n, --lines <n>', 'how many of the last lines to print (0: all)', '50')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .addHelpText('after', examples('ownstack local logs', 'ownstack local logs -n 200', 'ownstack local logs --follow'))
    .action(lazyAction(() => import('./logs.run.js')));
}
