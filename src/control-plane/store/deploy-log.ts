// The deploy tables: job snapshots, member steps and the append-only event log, with live
// subscribers for the event streams.
import { EventEmitter } from 'node:events';
import { FINISHED_STATES } from '../../api/schemas.js';
import type * as s from '../../api/schemas.js';
import { now, parseList, type Store } from './store.js';

type DeployState = s.Deploy['state'];
type MemberStep = s.Deploy['members'][number]['step'];
type EventType = s.DeployEvent['type'];

/** States after which a job never changes again. */

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

  /** Creates a job `queued` with its members `pending`, in deploy order; answers its id. */
  create(clusterId: number, strategy: 'parallel' | 'rolling', force: boolean, skipped: unknown[], members: { app: string; addresses: string }[]): number {
    const deployId = this.store.run(
      "INSERT INTO deploys (cluster_id, strategy, state, force, skipped, created_at) VALUES (?, ?, 'queued', ?, ?, ?)",
      clusterId,
      strategy,
      force ? 1 : 0,
      JSON.stringify(skipped),
      now(),
    ).lastInsertRowid;
    members.forEach((m, i) => {
      this.store.run("INSERT INTO deploy_members (deploy_id, position, app, addresses, step) VALUES (?, ?, ?, ?, 'pending')", deployId, i, m.app, m.addresses);
    });
    return deployId;
  }

  /** The newest 50 jobs of a cluster. */
  list(clusterId: number): DeployRow[] {
    return this.store.all<DeployRow>(`${DEPLOY_SELECT} WHERE d.cluster_id = ? ORDER BY d.id DESC LIMIT 50`, clusterId);
  }

  /** The ids of a cluster's newest 20 jobs (the suggestions of a 404). */
  recentIds(clusterId: number): number[] {
    return this.store.all<{ id: number }>('SELECT id FROM deploys WHERE cluster_id = ? ORDER BY id DESC LIMIT 20', clusterId).map((r) => r.id);
  }

  /** Marks the members that never started as skipped (an abort before the job ran). */
  skipPending(deployId: number): void {
    this.store.run("UPDATE deploy_members SET step = 'skipped' WHERE deploy_id = ? AND step = 'pending'", deployId);
  }

  /** Records that an abort was asked for (the runner stops at its next safe point). */
  requestAbort(deployId: number): void {
    this.store.run('UPDATE deploys SET abort_requested = 1 WHERE id = ?', deployId);
  }
}
