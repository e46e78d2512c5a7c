// `ownstack cluster …`: registers every verb and sub-group.
import type { Command } from 'commander';
import { examples, registerSubcommands, type Scope } from '../define.js';
import { registerClusterList } from './list.js';
import { registerClusterShow } from './show.js';
import { registerClusterStatus } from './status.js';
import { registerClusterCreate } from './create.js';
import { registerClusterUpdate } from './update.js';
import { registerClusterDestroy } from './destroy.js';
import { registerClusterSwitch } from './switch.js';
import { registerClusterExport } from './export.js';
import { registerClusterApply } from './apply.js';
import { registerClusterProxyConfig } from './proxy-config.js';
import { registerClusterDeploy } from './deploy.js';
import { registerClusterDeployStatus } from './deploy-status.js';
import { registerClusterDeployAbort } from './deploy-abort.js';
import { registerDomain } from './domain/index.js';
import { registerVariant } from './variant/index.js';
import { registerUpstream } from './upstream/index.js';
import { registerMember } from './member/index.js';

export function registerCluster(program: Command, scope: Scope = 'all'): void {
  const cluster = program
    .command('cluster')
    .description('Load-balanced clusters: hostnames, variants, upstreams, members, cutover, deploys')
    .addHelpText('after', examples('ownstack cluster list', 'ownstack cluster status api', 'ownstack cluster switch api --to=green'));
  registerSubcommands(cluster, scope, [
    { names: ['list', 'ls'], register: registerClusterList },
    { names: ['show'], register: registerClusterShow },
    { names: ['status'], register: registerClusterStatus },
    { names: ['create'], register: registerClusterCreate },
    { names: ['destroy'], register: registerClusterDestroy },
    { names: ['update'], register: registerClusterUpdate },
    { names: ['domain'], register: registerDomain },
    { names: ['variant'], register: registerVariant },
    { names: ['upstream'], register: registerUpstream },
    { names: ['switch'], register: registerClusterSwitch },
    { names: ['export'], register: registerClusterExport },
    { names: ['apply'], register: registerClusterApply },
    { names: ['member'], register: registerMember },
    { names: ['deploy'], register: registerClusterDeploy },
    { names: ['deploy:status'], register: registerClusterDeployStatus },
    { names: ['deploy:abort'], register: registerClusterDeployAbort },
    { names: ['proxy-config'], register: registerClusterProxyConfig },
  ]);
}
