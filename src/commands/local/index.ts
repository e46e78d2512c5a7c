// `ownstack local …`: the embedded local control plane (start, stop, status, logs) and its apps.
import type { Command } from 'commander';
import { examples, registerSubcommands, type Scope } from '../define.js';
import { registerLocalStart } from './start.js';
import { registerLocalStop } from './stop.js';
import { registerLocalStatus } from './status.js';
import { registerLocalLogs } from './logs.js';
import { registerLocalApp } from './app/index.js';

export function registerLocal(program: Command, scope: Scope = 'all'): void {
  const local = program
    .command('local')
    .description('The local control plane: started on demand when no profile is configured; start, stop, status, logs, apps')
    .addHelpText('after', examples('ownstack local status', 'ownstack local start --foreground', 'ownstack local app add my-rails-app --addr=127.0.0.1:3001', 'ownstack local stop'));
  registerSubcommands(local, scope, [
    { names: ['start'], register: registerLocalStart },
    { names: ['stop'], register: registerLocalStop },
    { names: ['status'], register: registerLocalStatus },
    { names: ['logs'], register: registerLocalLogs },
    { names: ['app'], register: registerLocalApp },
  ]);
}
