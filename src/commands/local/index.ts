// `ownstack local …`: the embedded local control plane (start, stop, status, logs) and its apps.
import type { Command } from 'commander';
import { examples, type CommandEntry } from '../define.js';

export const commands: readonly CommandEntry[] = [
  { names: ['start'], summary: 'Start the local control plane: in the background (like the automatic start), or in this process with --foreground', usage: '[options]', load: () => import('./start.js') },
  { names: ['stop'], summary: 'Stop the local control plane (SIGTERM, then SIGKILL after 20 s); its state stays on disk and the proxies keep serving', usage: '[options]', load: () => import('./stop.js') },
  { names: ['status'], summary: 'Whether the local control plane runs: pid, URL, uptime, state folder, log, cluster count (never starts it)', load: () => import('./status.js') },
  { names: ['logs'], summary: "Print the local control plane's log (server.log)", usage: '[options]', load: () => import('./logs.js') },
  { names: ['app'], summary: 'Local apps: named sets of host:port addresses (and a deploy command) that upstreams and members refer to with --app', load: () => import('./app/index.js') },
];

export function define(cmd: Command): void {
  cmd.addHelpText('after', examples('ownstack local status', 'ownstack local start --foreground', 'ownstack local app add my-rails-app --addr=127.0.0.1:3001', 'ownstack local stop'));
}
