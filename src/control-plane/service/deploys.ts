// Deploy jobs: the rows, the event log and the seam for the deploy runner (deploy-runner.ts).
// Without a runner a job is created `queued` and stays queued; nothing pretends it ran.
import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import type * as s from '../../api/schemas.js';
import { conflict, invalid, notFound } from '../http-error.js';
import type { Outcome } from './service.js';
import { now, parseList, type ClusterRow, type Store } from '../store/store.js';

type DeployState = s.Deploy['state'];
type MemberStep = s.Deploy['members'][number]['step'];
type EventType = s.DeployEvent['type'];

/** States after which a job never changes again. */
export const FINISHED_STATES: readonly DeployState[] = ['succeeded', 'failed', 'aborted', 'interrupted'];

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
  preflight?(job: DeployPreflight): void;
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

interface DeployRow {
  id: number;
  cluster_id: number;
  cluster: string;
  strategy: 'parallel' | 'rolling';
  state: DeployState;
  force: number;
  skipped: string;
  error: string | null;
  abort_requested: number;
  created_at: string;
  finished_at: string | null;
}

interface MemberRow {
  deploy_id: number;
  position: number;
  app: string;
  addresses: string;
  step: MemberStep;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  /** 1 while this job holds the member drained (undone on undrain, restart or interruption). */
  drained: number;
}

interface EventRow {
  deploy_id: number;
  seq: number;
  at: string;
  type: EventType;
  app: string | null;
  step: MemberStep | null;
  state: DeployState | null;
  message: string;
}

const DEPLOY_SELECT = 'SELECT d.*, c.name AS cluster FROM deploys d JOIN clusters c ON c.id = d.cluster_id';

/** The deploy tables: job snapshots, member steps and the append-only event log (with live subscribers). */
export class DeployLog {
  private readonly emitter = new EventEmitter();

  constructor(private readonly store: Store) {
    this.emitter.setMaxListeners(0);
  }

  row(id: number): DeployRow | undefined {
    return this.store.get<DeployRow>(`${DEPLOY_SELECT} WHERE d.id = ?`, id);
  }

  /** A job as the API returns it. */
  view(row: DeployRow): s.Deploy {
    const members = this.store.all<MemberRow>('SELECT * FROM deploy_members WHERE deploy_id = ? ORDER BY position', row.id);
    return {
      id: row.id,
      cluster: row.cluster,
      strategy: row.strategy,
      state: row.state,
      members: members.map((m) => ({ app: m.app, addresses: parseList(m.addresses), step: m.step, started_at: m.started_at, finished_at: m.finished_at, error: m.error })),
      skipped: JSON.parse(row.skipped) as s.Deploy['skipped'],
      error: row.error,
      created_at: row.created_at,
      finished_at: row.finished_at,
    };
  }

  get(id: number): s.Deploy | undefined {
    const row = this.row(id);
    return row ? this.view(row) : undefined;
  }

  /** The cluster's job that has not finished, if any (at most one exists). */
  current(clusterId: number): DeployRow | undefined {
    return this.store.get<DeployRow>(
      `${DEPLOY_SELECT} WHERE d.cluster_id = ? AND d.state NOT IN (${FINISHED_STATES.map(() => '?').join(', ')}) ORDER BY d.id DESC LIMIT 1`,
      clusterId,
      ...FINISHED_STATES,
    );
  }

  /** Appends one event (in the caller's transaction, if any) and tells live subscribers after it. */
  append(deployId: number, e: { type: EventType; message: string; app?: string | null; step?: MemberStep | null; state?: DeployState | null }): s.DeployEvent {
    const seq = (this.store.get<{ n: number }>('SELECT COALESCE(MAX(seq), 0) AS n FROM deploy_events WHERE deploy_id = ?', deployId)?.n ?? 0) + 1;
    const event: s.DeployEvent = { seq, deploy_id: deployId, at: now(), type: e.type, app: e.app ?? null, step: e.step ?? null, state: e.state ?? null, message: e.message };
    this.store.run(
      'INSERT INTO deploy_events (deploy_id, seq, at, type, app, step, state, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      deployId,
      seq,
      event.at,
      event.type,
      event.app,
      event.step,
      event.state,
      event.message,
    );
    // Emit after the current statement; a subscriber re-reads from the table, so a rolled-back
    // event is never delivered.
    queueMicrotask(() => this.emitter.emit(`deploy:${deployId}`));
    return event;
  }

  /** Sets a job's state (and finished_at for final states) and records a `state` event. */
  setState(deployId: number, state: DeployState, message: string, error: string | null = null): void {
    this.store.db
      .transaction(() => {
        const finished = FINISHED_STATES.includes(state) ? now() : null;
        this.store.run('UPDATE deploys SET state = ?, error = COALESCE(?, error), finished_at = COALESCE(?, finished_at) WHERE id = ?', state, error, finished, deployId);
        this.append(deployId, { type: 'state', state, message });
      })
      .immediate();
  }

  /** Sets one member's step (started_at on its first step, finished_at on done/failed/skipped) and records a `step` event. */
  setStep(deployId: number, app: string, step: MemberStep, message: string, error: string | null = null): void {
    this.store.db
      .transaction(() => {
        const t = now();
        const final = step === 'done' || step === 'failed' || step === 'skipped';
        this.store.run(
          `UPDATE deploy_members SET step = ?, error = COALESCE(?, error),
             started_at = CASE WHEN started_at IS NULL AND ? NOT IN ('pending', 'skipped') THEN ? ELSE started_at END,
             finished_at = CASE WHEN ? THEN ? ELSE finished_at END
           WHERE deploy_id = ? AND app = ?`,
          step,
          error,
          step,
          t,
          final ? 1 : 0,
          t,
          deployId,
          app,
        );
        this.append(deployId, { type: 'step', app, step, message });
      })
      .immediate();
  }

  /** Whether an abort was requested for the job (the runner polls this between steps). */
  abortRequested(deployId: number): boolean {
    return (this.row(deployId)?.abort_requested ?? 0) === 1;
  }

  events(deployId: number, after = 0): s.DeployEvent[] {
    return this.store
      .all<EventRow>('SELECT * FROM deploy_events WHERE deploy_id = ? AND seq > ? ORDER BY seq', deployId, after)
      .map((e) => ({ seq: e.seq, deploy_id: e.deploy_id, at: e.at, type: e.type, app: e.app, step: e.step, state: e.state, message: e.message }));
  }

  /** Calls `listener` whenever events may have been appended to the job; returns the unsubscribe. */
  subscribe(deployId: number, listener: () => void): () => void {
    this.emitter.on(`deploy:${deployId}`, listener);
    return () => this.emitter.off(`deploy:${deployId}`, listener);
  }

  /** Records whether this job holds a member drained (in the caller's transaction, if any). */
  markDrained(deployId: number, app: string, drained: boolean): void {
    this.store.run('UPDATE deploy_members SET drained = ? WHERE deploy_id = ? AND app = ?', drained ? 1 : 0, deployId, app);
  }

  /** The members this job holds drained. */
  drainedMembers(deployId: number): string[] {
    return this.store.all<{ app: string }>('SELECT app FROM deploy_members WHERE deploy_id = ? AND drained = 1 ORDER BY position', deployId).map((r) => r.app);
  }

  /**
   * A member an earlier, finished job of the cluster left drained (its deploy failed there): the
   * new job takes it over, so a successful redeploy undrains it. Returns that job's id, or null.
   */
  adoptDrained(clusterId: number, deployId: number, app: string): number | null {
    const row = this.store.get<{ id: number }>(
      `SELECT d.id FROM deploy_members m JOIN deploys d ON d.id = m.deploy_id
       WHERE d.cluster_id = ? AND d.id <> ? AND m.app = ? AND m.drained = 1 AND d.state IN (${FINISHED_STATES.map(() => '?').join(', ')})
       ORDER BY d.id DESC LIMIT 1`,
      clusterId,
      deployId,
      app,
      ...FINISHED_STATES,
    );
    if (!row) return null;
    this.store.db
      .transaction(() => {
        this.store.run('UPDATE deploy_members SET drained = 0 WHERE app = ? AND drained = 1 AND deploy_id IN (SELECT id FROM deploys WHERE cluster_id = ? AND id <> ?)', app, clusterId, deployId);
        this.markDrained(deployId, app, true);
      })
      .immediate();
    return row.id;
  }

  /**
   * Ends a job that cannot go on (control plane restart or shutdown): every member it drained is
   * undrained through `undrain` (the same operation as `member undrain`), members in the middle
   * of a step are marked failed, the others skipped, and the job becomes `interrupted`.
   */
  interrupt(deployId: number, reason: string, undrain: (clusterId: number, app: string) => void): string[] {
    const row = this.row(deployId);
    if (!row || FINISHED_STATES.includes(row.state)) return [];
    const undrained: string[] = [];
    this.store.db
      .transaction(() => {
        for (const app of this.drainedMembers(deployId)) {
          try {
            undrain(row.cluster_id, app);
            undrained.push(app);
            this.append(deployId, { type: 'log', app, message: `undrained ${app}: the job was interrupted` });
          } catch (err) {
            this.append(deployId, { type: 'log', app, message: `could not undrain ${app}: ${(err as Error).message}` });
          }
          this.markDrained(deployId, app, false);
        }
        const members = this.store.all<MemberRow>('SELECT * FROM deploy_members WHERE deploy_id = ? ORDER BY position', deployId);
        for (const m of members) {
          if (m.step === 'pending') this.setStep(deployId, m.app, 'skipped', 'not deployed: the job was interrupted');
          else if (!['done', 'failed', 'skipped'].includes(m.step)) this.setStep(deployId, m.app, 'failed', `interrupted while ${m.step}`, `interrupted while ${m.step}: ${reason}`);
        }
        const left = undrained.length > 0 ? `; undrained ${undrained.join(', ')}` : '; no member was left drained';
        this.setState(deployId, 'interrupted', `${reason}${left}`, reason);
        this.append(deployId, { type: 'result', state: 'interrupted', message: `deploy ${deployId} interrupted: ${reason}${left}` });
      })
      .immediate();
    return undrained;
  }

  /**
   * On start: jobs a previous process left unfinished can never finish. `running` ones (and, when
   * a runner is attached, `queued` ones) become interrupted, and what they drained is undrained.
   */
  markInterrupted(opts: { includeQueued?: boolean; undrain?: (clusterId: number, app: string) => void } = {}): number {
    const states = opts.includeQueued ? ['running', 'queued'] : ['running'];
    const rows = this.store.all<{ id: number }>(`SELECT id FROM deploys WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY id`, ...states);
    const undrain = opts.undrain ?? (() => undefined);
    for (const r of rows) this.interrupt(r.id, 'interrupted by a control plane restart', undrain);
    return rows.length;
  }
}

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
      const ids = this.store.all<{ id: number }>('SELECT id FROM deploys WHERE cluster_id = ? ORDER BY id DESC LIMIT 20', c.id).map((r) => String(r.id));
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
        this.runner?.preflight?.({ cluster: c, strategy: input.strategy, force: input.force, apps: members.map((m) => m.app) });
        const skipped = ups
          .filter((u) => u.kind === 'url')
          .map((u) => ({ upstream_id: u.id, url: u.url!, reason: 'a URL upstream is not deployed by ownstack' }));
        const deployId = this.store.run(
          "INSERT INTO deploys (cluster_id, strategy, state, force, skipped, created_at) VALUES (?, ?, 'queued', ?, ?, ?)",
          c.id,
          input.strategy,
          input.force ? 1 : 0,
          JSON.stringify(skipped),
          now(),
        ).lastInsertRowid;
        members.forEach((m, i) => {
          this.store.run("INSERT INTO deploy_members (deploy_id, position, app, addresses, step) VALUES (?, ?, ?, ?, 'pending')", deployId, i, m.app, m.addresses);
        });
        this.log.append(deployId, { type: 'state', state: 'queued', message: `${input.strategy} deploy of ${members.length} member(s) queued` });
        if (!this.runner) this.log.append(deployId, { type: 'log', message: NO_RUNNER_NOTE });
        return deployId;
      })
      .immediate();
    this.runner?.start(id, this.log);
    return { body: this.log.get(id)!, reconcile: [] };
  }

  list(ref: string): Outcome<z.output<typeof s.deployList>> {
    const c = this.store.cluster(ref);
    const rows = this.store.all<DeployRow>(`${DEPLOY_SELECT} WHERE d.cluster_id = ? ORDER BY d.id DESC LIMIT 50`, c.id);
    return { body: { deploys: rows.map((r) => this.log.view(r)) }, reconcile: [] };
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
          this.store.run("UPDATE deploy_members SET step = 'skipped' WHERE deploy_id = ? AND step = 'pending'", job.id);
          this.log.setState(job.id, 'aborted', 'aborted before it started');
        } else {
          this.store.run('UPDATE deploys SET abort_requested = 1 WHERE id = ?', job.id);
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
