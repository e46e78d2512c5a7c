// Deploy jobs: the endpoints and the seam for the deploy runner (deploy-runner.ts); the rows and
// the event log are store/deploy-log.ts.
// Without a runner a job is created `queued` and stays queued; nothing pretends it ran.
import type { z } from 'zod';
import type * as s from '../../api/schemas.js';
import { conflict, invalid, notFound } from '../http-error.js';
import type { Outcome } from './service.js';
import { FINISHED_STATES } from '../../api/schemas.js';
import { DeployLog } from '../store/deploy-log.js';
import type { ClusterRow, Store } from '../store/store.js';

export { DeployLog };

/**
 * Runs deploy jobs. The control plane calls start() after a job was committed `queued`, and
 * abort() when an abort is requested while the job is `running` (the runner finishes the current
 * step safely, undrains, and sets the state to `aborted`). The runner reports progress only
 * through the DeployLog it is given: state, member steps and events, each committed at once.
 */
export interface DeployRunner {
  /**
   * Refuses a job the runner could not run safely (throws an HttpError), before it is created;
   * runs inside the start transaction. E.g. rolling with fewer than two active members.
   */
  preflight?(job: DeployPreflight): string[] | void;
  start(deployId: number, log: DeployLog): void;
  abort(deployId: number, log: DeployLog): void;
  /** Stop accepting work and wait for running jobs to reach a safe point. */
  close?(): Promise<void>;
}

/** What a runner's preflight sees of a job about to be created. */
export interface DeployPreflight {
  cluster: ClusterRow;
  strategy: 'parallel' | 'rolling';
  force: boolean;
  /** The members in deploy order. */
  apps: string[];
}

const NO_RUNNER_NOTE = 'no deploy runner is attached to this control plane yet: the job stays queued until one picks it up';

/** The deploy endpoints. */
export class DeployService {
  constructor(
    private readonly store: Store,
    readonly log: DeployLog,
    private readonly runner: DeployRunner | null,
  ) {}

  private job(c: ClusterRow, rawId: string): s.Deploy {
    const id = parseId(rawId);
    const row = this.log.row(id);
    if (!row || row.cluster_id !== c.id) {
      const ids = this.log.recentIds(c.id).map(String);
      throw notFound('deploy', rawId, ids, { field: 'id', scope: `cluster ${c.name}` });
    }
    return this.log.view(row);
  }

  start(ref: string, input: z.output<typeof s.deployRequest>): Outcome<s.Deploy> {
    const id = this.store.db
      .transaction(() => {
        const c = this.store.cluster(ref);
        const running = this.log.current(c.id);
        if (running) {
          throw conflict(`cluster ${c.name} already has deploy ${running.id} (${running.state})`, {
            hint: `follow it (cluster deploy:status ${c.name} ${running.id}) or abort it first`,
            details: { deploy_id: running.id, state: running.state },
          });
        }
        const ups = this.store.upstreams(c.id).sort((a, b) => a.id - b.id);
        const members: { app: string; addresses: string }[] = [];
        for (const u of ups) {
          if (u.kind === 'app' && !members.some((m) => m.app === u.app_name)) members.push({ app: u.app_name!, addresses: u.app_addresses ?? '[]' });
        }
        if (members.length === 0) {
          throw conflict(`cluster ${c.name} has no app upstreams: there is nothing to deploy`, {
            hint: 'URL upstreams are deployed where they live; add an app with cluster upstream add --app or cluster member add',
          });
        }
        const warnings = this.runner?.preflight?.({ cluster: c, strategy: input.strategy, force: input.force, apps: members.map((m) => m.app) }) ?? [];
        const skipped = ups
          .filter((u) => u.kind === 'url')
          .map((u) => ({ upstream_id: u.id, url: u.url!, reason: 'a URL upstream is not deployed by ownstack' }));
        const deployId = this.log.create(c.id, input.strategy, input.force, skipped, members);
        this.log.append(deployId, { type: 'state', state: 'queued', message: `${input.strategy} deploy of ${members.length} member(s) queued` });
        for (const message of warnings) this.log.append(deployId, { type: 'warning', message });
        if (!this.runner) this.log.append(deployId, { type: 'log', message: NO_RUNNER_NOTE });
        return deployId;
      })
      .immediate();
    this.runner?.start(id, this.log);
    return { body: this.log.get(id)!, reconcile: [] };
  }

  list(ref: string): Outcome<z.output<typeof s.deployList>> {
    const c = this.store.cluster(ref);
    return { body: { deploys: this.log.list(c.id).map((r) => this.log.view(r)) }, reconcile: [] };
  }

  show(ref: string, rawId: string): Outcome<s.Deploy> {
    return { body: this.job(this.store.cluster(ref), rawId), reconcile: [] };
  }

  /** Resolves the job for the events stream (404s like show). */
  resolve(ref: string, rawId: string): s.Deploy {
    return this.job(this.store.cluster(ref), rawId);
  }

  abort(ref: string, rawId: string): Outcome<s.Deploy> {
    const c = this.store.cluster(ref);
    const job = this.job(c, rawId);
    if (FINISHED_STATES.includes(job.state)) {
      throw conflict(`deploy ${job.id} already finished (${job.state})`, { details: { deploy_id: job.id, state: job.state } });
    }
    let askRunner = false;
    this.store.db
      .transaction(() => {
        if (job.state === 'queued') {
          // Nothing started: no member was drained, so stopping here is safe.
          this.log.skipPending(job.id);
          this.log.setState(job.id, 'aborted', 'aborted before it started');
        } else {
          this.log.requestAbort(job.id);
          this.log.append(job.id, { type: 'log', message: 'abort requested: finishing the current step, then undraining and stopping' });
          askRunner = true;
        }
      })
      .immediate();
    if (askRunner) this.runner?.abort(job.id, this.log);
    return { body: this.log.get(job.id)!, reconcile: [] };
  }
}

/** A path id: decimal digits only. */
export function parseId(raw: string, field = 'id'): number {
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1) {
    throw invalid(`invalid ${field} ${JSON.stringify(raw)}: an id is a positive whole number`, { field, value: raw, rule: 'an id is a positive whole number' });
  }
  return Number(raw);
}
