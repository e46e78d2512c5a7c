import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerProfileShow(profile: Command): void {
  profile
    .command('show')
    .addArgument(completes(new Argument('[name]', 'profile to show (default: the one commands use now)'), 'profile'))
    .description('Show the resolved API URL and masked token of a profile, and where each value comes from (flag, env or profile)')
    .addHelpText('after', examples('ownstack profile show', 'ownstack profile show acme', 'OWNSTACK_API_URL=http://127.0.0.1:7070 ownstack profile show'))
    .action(lazyAction(() => import('./show.run.js')));
}
