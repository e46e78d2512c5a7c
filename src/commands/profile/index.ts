// `ownstack profile …`: named control planes (API URL + token) under $OWNSTACK_HOME/profiles.
import type { Command } from 'commander';
import { examples, type CommandEntry } from '../define.js';

export const commands: readonly CommandEntry[] = [
  { names: ['list', 'ls'], summary: 'List profiles (the active one is marked *; "local" is the embedded control plane)', load: () => import('./list.js') },
  { names: ['show'], summary: 'Show the resolved API URL and masked token of a profile, and where each value comes from (flag, env or profile)', usage: '[name]', load: () => import('./show.js') },
  { names: ['use'], summary: 'Make a profile the active one for every later command', usage: '<name>', load: () => import('./use.js') },
  { names: ['add'], summary: 'Store a profile (API URL + token) without switching to it', usage: '[options] <name>', load: () => import('./add.js') },
  { names: ['remove', 'rm'], summary: 'Delete a stored profile and its token (asks you to retype the name unless --yes)', usage: '[options] <name>', load: () => import('./remove.js') },
];

export function define(cmd: Command): void {
  cmd.addHelpText(
    'after',
    examples('ownstack profile list', 'ownstack profile use acme', 'OWNSTACK_PROFILE=staging ownstack cluster list   # one command, another profile') +
      '\nPrecedence: --profile / --api-url flags > OWNSTACK_PROFILE, OWNSTACK_API_URL, OWNSTACK_API_TOKEN > the active profile > local.\n',
  );
}
