// `ownstack cluster …`: registers every verb and sub-group.
import type { Command } from 'commander';
import { examples, type CommandEntry } from '../define.js';

export const commands: readonly CommandEntry[] = [
  { names: ['list', 'ls'], summary: 'List clusters', load: () => import('./list.js') },
  { names: ['show'], summary: 'Show a cluster: edge, proxies, health settings, domains, variants, upstreams and members', usage: '<name>', load: () => import('./show.js') },
  { names: ['status'], summary: 'Draw the live topology: proxies, hostnames, variants, upstreams with their share and health, edge records', usage: '[options] <name>', load: () => import('./status.js') },
  { names: ['create'], summary: 'Create a cluster: its edge, its proxy replicas and health-check settings', usage: '[options] <name>', load: () => import('./create.js') },
  { names: ['destroy'], summary: 'Destroy a cluster (its proxy app stays unless --with-proxy); asks you to retype the name', usage: '[options] <name>', load: () => import('./destroy.js') },
  { names: ['update'], summary: 'Change what create set that can change safely: health checks, proxy count, edge credentials', usage: '[options] <cluster>', load: () => import('./update.js') },
  { names: ['domain'], summary: 'Hostnames the cluster fronts (one Caddyfile site and one CLUSTER_UPSTREAMS_<HOST> var each)', load: () => import('./domain/index.js') },
  { names: ['variant'], summary: 'Variants: named groups of upstreams (blue, green, heroku…); weight 0 means standby', load: () => import('./variant/index.js') },
  { names: ['upstream'], summary: "A variant's upstreams: an OwnStack app or an external scheme://host[:port] URL, per hostname", load: () => import('./upstream/index.js') },
  { names: ['switch'], summary: 'Route every hostname of the cluster to one variant, atomically (blue/green cutover, rollback)', usage: '[options] <cluster>', load: () => import('./switch.js') },
  { names: ['export'], summary: "Print the cluster's desired state as a file for `cluster apply` (YAML; JSON with --format=json or --json); secrets are left out", usage: '[options] <cluster>', load: () => import('./export.js') },
  { names: ['apply'], summary: 'Make a cluster match a file (YAML or JSON, as `cluster export` writes it), creating it when missing: one transaction, one new generation', usage: '[options]', load: () => import('./apply.js') },
  { names: ['member'], summary: 'Members (apps in the cluster): add, drain, undrain, weight, remove — the single-variant convenience', load: () => import('./member/index.js') },
  { names: ['deploy'], summary: 'Deploy every app member of the cluster and wait for it: the plan, live progress, then the result (URL upstreams are skipped)', usage: '[options] <cluster>', load: () => import('./deploy.js') },
  { names: ['deploy:status'], summary: 'Show a deploy job (members, steps, errors); with --wait, follow it to its end', usage: '[options] <cluster> [id]', load: () => import('./deploy-status.js') },
  { names: ['deploy:abort'], summary: 'Stop a deploy safely: the current step finishes, drained members get traffic back (once healthy), the rest is skipped', usage: '[options] <cluster> [id]', load: () => import('./deploy-abort.js') },
  { names: ['proxy-config'], summary: 'Print the rendered Caddyfile and proxy env vars (for a bring-your-own proxy)', usage: '[options] <cluster>', load: () => import('./proxy-config.js') },
];

export function define(cmd: Command): void {
  cmd.addHelpText('after', examples('ownstack cluster list', 'ownstack cluster status api', 'ownstack cluster switch api --to=green'));
}
