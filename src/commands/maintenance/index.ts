// `ownstack maintenance …`: take a host's upstream addresses out of every cluster for an OS/AMI
// upgrade and put them back (src/control-plane/service/maintenance.ts).
import type { Command } from 'commander';
import { examples, type CommandEntry } from '../define.js';

export const commands: readonly CommandEntry[] = [
  { names: ['start'], summary: 'Drain every upstream address on the host, in every cluster, then wait until requests in flight to them have finished', usage: '[options] <host>', load: () => import('./start.js') },
  { names: ['end'], summary: 'Undrain exactly the addresses maintenance of the host drained, and end it', usage: '[options] <host>', load: () => import('./end.js') },
  { names: ['run'], summary: 'start → command → end: drain the host, run the command, undrain; a failed command leaves the host under maintenance', usage: '[options] <host> <command...>', load: () => import('./run.js') },
  { names: ['status'], summary: 'Hosts under maintenance and what each drained', usage: '[host]', load: () => import('./status.js') },
];

export function define(cmd: Command): void {
  cmd.addHelpText('after', examples('ownstack maintenance run 10.0.0.5 -- ssh 10.0.0.5 sudo apt-get -y upgrade', 'ownstack maintenance start 10.0.0.5', 'ownstack maintenance status', 'ownstack maintenance end 10.0.0.5'));
}
