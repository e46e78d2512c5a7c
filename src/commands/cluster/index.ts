// `ownstack cluster …`: registers every verb and sub-group.
import type { Command } from 'commander';
import { examples } from '../define.js';
import { registerClusterList } from './list.js';
import { registerClusterShow } from './show.js';
import { registerClusterStatus } from './status.js';
import { registerClusterCreate } from './create.js';
import { registerClusterDestroy } from './destroy.js';
import { registerClusterSwitch } from './switch.js';
import { registerClusterProxyConfig } from './proxy-config.js';
import { registerClusterDeploy } from './deploy.js';
import { registerClusterDeployStatus } from './deploy-status.js';
import { registerClusterDeployAbort } from './deploy-abort.js';
import { registerDomain } from './domain/index.js';
import { registerVariant } from './variant/index.js';
import { registerUpstream } from './upstream/index.js';
import { registerMember } from './member/index.js';

export function registerCluster(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('Load-balanced clusters: hostnames, variants, upstreams, members, cutover, deploys')
    .addHelpText('after', examples('ownstack cluster list', 'ownstack cluster status api', 'ownstack cluster switch api --to=green'));
  registerClusterList(cluster);
  registerClusterShow(cluster);
  registerClusterStatus(cluster);
  registerClusterCreate(cluster);
  registerClusterDestroy(cluster);
  registerDomain(cluster);
  registerVariant(cluster);
  registerUpstream(cluster);
  registerClusterSwitch(cluster);
  registerMember(cluster);
  registerClusterDeploy(cluster);
  registerClusterDeployStatus(cluster);
  registerClusterDeployAbort(cluster);
  registerClusterProxyConfig(cluster);
}
