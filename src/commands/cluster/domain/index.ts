// `ownstack cluster domain …`: the hostnames a cluster fronts.
import type { Command } from 'commander';
import { examples, registerSubcommands, type Scope } from '../../define.js';
import { registerDomainList } from './list.js';
import { registerDomainAdd } from './add.js';
import { registerDomainRemove } from './remove.js';

export function registerDomain(cluster: Command, scope: Scope = 'all'): void {
  const domain = cluster
    .command('domain')
    .description('Hostnames the cluster fronts (one Caddyfile site and one CLUSTER_UPSTREAMS_<HOST> var each)')
    .addHelpText('after', examples('ownstack cluster domain list api', 'ownstack cluster domain add api api.example.com'));
  registerSubcommands(domain, scope, [
    { names: ['list', 'ls'], register: registerDomainList },
    { names: ['add'], register: registerDomainAdd },
    { names: ['remove', 'rm'], register: registerDomainRemove },
  ]);
}
