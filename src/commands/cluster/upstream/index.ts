// `ownstack cluster upstream …`: what each variant forwards to (an OwnStack app or an external URL).
import type { Command } from 'commander';
import { examples, registerSubcommands, type Scope } from '../../define.js';
import { registerUpstreamList } from './list.js';
import { registerUpstreamAdd } from './add.js';
import { registerUpstreamRemove } from './remove.js';

export function registerUpstream(cluster: Command, scope: Scope = 'all'): void {
  const upstream = cluster
    .command('upstream')
    .description("A variant's upstreams: an OwnStack app or an external scheme://host[:port] URL, per hostname")
    .addHelpText(
      'after',
      examples(
        'ownstack cluster upstream list api',
        'ownstack cluster upstream add api --variant=green --hostname=api.example.com --url=https://my-rails-app.herokuapp.com',
        'ownstack cluster upstream remove api 32',
      ),
    );
  registerSubcommands(upstream, scope, [
    { names: ['list', 'ls'], register: registerUpstreamList },
    { names: ['add'], register: registerUpstreamAdd },
    { names: ['remove', 'rm'], register: registerUpstreamRemove },
  ]);
}
