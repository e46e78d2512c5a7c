import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerProfileRemove(profile: Command): void {
  profile
    .command('remove')
    .alias('rm')
    .addArgument(completes(new Argument('<name>', 'profile to remove'), 'profile'))
    .description('Delete a stored profile and its token (asks you to retype the name unless --yes)')
    .option('-y, --yes', 'do not ask for confirmation (needed when not on a terminal)')
    .addHelpText('after', examples('ownstack profile remove staging', 'ownstack profile remove staging --yes'))
    .action(lazyAction(() => import('./remove.run.js')));
}
