import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerProfileUse(profile: Command): void {
  profile
    .command('use')
    .addArgument(completes(new Argument('<name>', 'profile to make active ("local" = the embedded control plane)'), 'profile'))
    .description('Make a profile the active one for every later command')
    .addHelpText('after', examples('ownstack profile use acme', 'ownstack profile use local'))
    .action(lazyAction(() => import('./use.run.js')));
}
