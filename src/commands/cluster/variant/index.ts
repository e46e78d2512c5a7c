// `ownstack cluster variant …`: named groups of upstreams that traffic is weighted across.
import type { Command } from 'commander';
import { examples, registerSubcommands, type Scope } from '../../define.js';
import { registerVariantList } from './list.js';
import { registerVariantAdd } from './add.js';
import { registerVariantUpdate } from './update.js';
import { registerVariantRemove } from './remove.js';

export function registerVariant(cluster: Command, scope: Scope = 'all'): void {
  const variant = cluster
    .command('variant')
    .description('Variants: named groups of upstreams (blue, green, heroku…); weight 0 means standby')
    .addHelpText('after', examples('ownstack cluster variant list api', 'ownstack cluster variant add api green --weight=0'));
  registerSubcommands(variant, scope, [
    { names: ['list', 'ls'], register: registerVariantList },
    { names: ['add'], register: registerVariantAdd },
    { names: ['update'], register: registerVariantUpdate },
    { names: ['remove', 'rm'], register: registerVariantRemove },
  ]);
}
