// `ownstack proxy …`: what runs on a proxy host.
import type { Command } from 'commander';
import { examples, registerSubcommands, type Scope } from '../define.js';
import { registerProxyAgent } from './agent.js';

export function registerProxy(program: Command, scope: Scope = 'all'): void {
  const proxy = program
    .command('proxy')
    .description('The proxy tier on a proxy host: run the agent that serves one cluster with Caddy')
    .addHelpText('after', examples('ownstack proxy agent --cluster api --server https://cp.example.com:8443 --token-file /etc/ownstack/agent-api.token --public-address 203.0.113.10 --listen 0.0.0.0:80'));
  registerSubcommands(proxy, scope, [{ names: ['agent'], register: registerProxyAgent }]);
}
