// `ownstack token …`: the tokens a networked control plane accepts (operators, and each cluster's agents).
import type { Command } from 'commander';
import { examples, type CommandEntry } from '../define.js';

export const commands: readonly CommandEntry[] = [
  { names: ['create'], summary: 'Create a token: an agent token of one cluster with --cluster, else an operator token; the secret is shown once', usage: '[options] <name>', load: () => import('./create.js') },
  { names: ['list', 'ls'], summary: 'List tokens: id, kind, cluster, name, created, last used, revoked (never the secrets)', load: () => import('./list.js') },
  { names: ['revoke'], summary: 'Revoke a token: the control plane refuses it from the next request on; asks you to retype the id', usage: '[options] <id>', load: () => import('./revoke.js') },
];

export function define(cmd: Command): void {
  cmd.addHelpText('after', examples('ownstack token create proxy-1 --cluster api --output-file agent-api.token', 'ownstack token list', 'ownstack token revoke 4 --yes'));
}
