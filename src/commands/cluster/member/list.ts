import { Argument, type Command } from 'commander';
import { completes, examples, lazyAction } from '../../define.js';

export function registerMemberList(member: Command): void {
  member
    .command('list')
    .alias('ls')
    .addArgument(completes(new Argument('<cluster>', 'cluster name or id'), 'cluster'))
    .description('List the members of a cluster with their status, weight and addresses')
    .addHelpText('after', examples('ownstack cluster member list api', 'ownstack cluster member list api --json | jq -r \'.[] | select(.status == "draining") | .app\''))
    .action(lazyAction(() => import('./list.run.js')));
}
