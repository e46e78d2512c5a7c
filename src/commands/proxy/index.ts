// `ownstack proxy …`: what runs on a proxy host.
import type { Command } from 'commander';
import { examples, type CommandEntry } from '../define.js';

export const commands: readonly CommandEntry[] = [
  { names: ['agent'], summary: 'Run one proxy of a cluster on this host until SIGTERM: serves the last applied config at once, follows the control plane for new ones, reports health', usage: '[options]', load: () => import('./agent.js') },
];

export function define(cmd: Command): void {
  cmd.addHelpText('after', examples('ownstack proxy agent --cluster api --server https://cp.example.com:8443 --token-file /etc/ownstack/agent-api.token --public-address 203.0.113.10 --listen 0.0.0.0:80'));
}
