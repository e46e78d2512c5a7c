// The deploy runner of the local control plane: performs the operations the pure state machine
// (deploy-machine.ts) asks for — drain, deploy command, health gate, undrain — and records every
// step, log line and result through the DeployLog, each committed at once (so a restart finds
// the job where it was, and an events stream sees it live).
//
// Safety rules, in order of importance:
// - The cluster never has zero routable members because of a deploy: before a rolling deploy
//   drains a routed member, another member must be routable (active, routed, and answering its
//   health check now); otherwise the job stops and the member is left untouched (unless --force).
// - A member gets its traffic back only after every address passed the health check. A member
//   that failed stays drained and is named; the job stops; the others keep serving.
// - Drains are recorded per job (deploy_members.drained): an abort, a shutdown or a restart
//   undrains exactly what the job drained, never a member an operator had drained before.
import { homedir } from 'node:os';
import type * as s from '../../api/schemas.js';
import { systemClock, type Clock } from '../../clock.js';
import { FINISHED_STATES } from '../../api/schemas.js';
import { commandEnv } from '../../command-env.js';
import { parseDuration } from '../../inputs/duration.js';
import { probeHttp } from '../../proxy/probe.js';
import { createExec, describeExit, formatMs, type ExecFn } from './deploy-exec.js';
import { describeFailing, probeAll, waitHealthy, type ProbeFn } from './deploy-health.js';
import { begin, initialState, nextActions, reduce, STEP_OF, unreached, type MachineState, type Op, type Result } from './deploy-machine.js';
import type { DeployLog, DeployPreflight, DeployRunner } from './deploys.js';
import { conflict, HttpError } from '../http-error.js';
import type { Reconciler } from '../runtime/reconcile.js';
import type { Service } from './service.js';
import { parseList, type ClusterRow, type Store, type UpstreamRow } from '../store/store.js';

/** What the runner needs from the control plane. */
export interface DeployRunnerDeps {
  store: Store;
  service: Service;
  reconciler: Reconciler;
  log: (line: string) => void;
}

export interface DeployRunnerOptions {
  clock?: Clock;
  exec?: ExecFn;
  probe?: ProbeFn;
  /** The control plane's environment: deploy commands get PATH, HOME and the like from it (src/command-env.ts), and the settings below are read there. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per-member limit of the deploy command. Default OWNSTACK_DEPLOY_TIMEOUT, else 10 minutes. */
  memberTimeoutMs?: number;
  /** Health-check rounds per member (one health interval apart). Default OWNSTACK_DEPLOY_HEALTH_ATTEMPTS, else 30. */
  healthAttempts?: number;
  /** Wait after a drain for in-flight requests. Default OWNSTACK_DEPLOY_DRAIN_GRACE, else 2 s. */
  drainGraceMs?: number;
}

export const DEFAULT_MEMBER_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_HEALTH_ATTEMPTS = 30;
export const DEFAULT_DRAIN_GRACE_MS = 2_000;
/** Output lines recorded per member; the rest are counted. */
export const MAX_LOG_LINES = 1_000;
const MAX_LINE_CHARS = 2_000;
/** How long close() waits for jobs to reach a safe point. */
const CLOSE_WAIT_MS = 5_000;

interface Job {
  id: number;
  clusterId: number;
  cluster: string;
  strategy: s.Deploy['strategy'];
  force: boolean;
  startedAt: number;
  shutdown: AbortController;
  inbox: Inbox<Result>;
  done: Promise<void>;
}

/** A queue the loop waits on: operation results and abort requests arrive here. */
class Inbox<T> {
  private items: T[] = [];
  private wake: (() => void) | null = null;
  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }
  async take(): Promise<T> {
    while (this.items.length === 0) await new Promise<void>((r) => (this.wake = r));
    this.wake = null;
    return this.items.shift()!;
  }
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  return v !== undefined && /^\d{1,6}$/.test(v) && Number(v) > 0 ? Number(v) : undefined;
}

function envDuration(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  try {
    return parseDuration(v);
  } catch {
    return undefined;
  }
}

function durationOr(value: string, fallback: number): number {
  try {
    return parseDuration(value);
  } catch {
    return fallback;
  }
}

/** The runner the local control plane uses (server.ts takes it as a factory of its internals). */
export function createDeployRunner(deps: DeployRunnerDeps, opts: DeployRunnerOptions = {}): LocalDeployRunner {
  return new LocalDeployRunner(deps, opts);
}

export class LocalDeployRunner implements DeployRunner {
  private readonly jobs = new Map<number, Job>();
  private readonly clock: Clock;
  private readonly exec: ExecFn;
  private readonly probe: ProbeFn;
  private readonly env: NodeJS.ProcessEnv;
  readonly memberTimeoutMs: number;
  readonly healthAttempts: number;
  readonly drainGraceMs: number;
  private closing = false;

  constructor(
    private readonly deps: DeployRunnerDeps,
    opts: DeployRunnerOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.exec = opts.exec ?? createExec(this.clock);
    this.probe = opts.probe ?? probeHttp;
    this.env = opts.env ?? process.env;
    this.memberTimeoutMs = opts.memberTimeoutMs ?? envDuration(this.env, 'OWNSTACK_DEPLOY_TIMEOUT') ?? DEFAULT_MEMBER_TIMEOUT_MS;
    this.healthAttempts = opts.healthAttempts ?? envInt(this.env, 'OWNSTACK_DEPLOY_HEALTH_ATTEMPTS') ?? DEFAULT_HEALTH_ATTEMPTS;
    this.drainGraceMs = opts.drainGraceMs ?? envDuration(this.env, 'OWNSTACK_DEPLOY_DRAIN_GRACE') ?? DEFAULT_DRAIN_GRACE_MS;
  }

  private get store(): Store {
    return this.deps.store;
  }

  // ---------- the DeployRunner seam ----------

  preflight(job: DeployPreflight): string[] {
    const { cluster: c } = job;
    const warnings: string[] = [];
    if (job.strategy === 'rolling') {
      // Zero downtime needs a second active member to serve while one restarts; with fewer the
      // deploy still runs (as it did with --force, still accepted), and says what it risks.
      const active = this.store.members(c).filter((m) => m.status === 'active');
      if (active.length < 2) {
        warnings.push(
          `cluster ${c.name} has ${active.length === 0 ? 'no active member' : `one active member (${active[0]!.app})`}: requests may fail while ${active.length === 1 ? 'it restarts' : 'the members restart'}; a rolling deploy is zero-downtime with two or more active members`,
        );
      }
    }
    const missing = job.apps.filter((app) => !this.store.appByName(app)?.deploy_cmd);
    if (missing.length > 0) {
      const list = missing.join(', ');
      throw conflict(`cannot deploy cluster ${c.name}: member ${missing.length === 1 ? `app ${list} has` : `apps ${list} have`} no deploy command`, {
        field: 'deploy_cmd',
        rule: 'every app member needs a deploy command (the shell command `cluster deploy` runs for it)',
        hint: `set one: ownstack local app update ${missing[0]} --deploy-cmd='…'`,
        details: { apps: missing },
      });
    }
    return warnings;
  }

  start(deployId: number, log: DeployLog): void {
    if (this.closing || this.jobs.has(deployId)) return;
    const row = log.row(deployId);
    if (!row) return;
    const job: Job = {
      id: deployId,
      clusterId: row.cluster_id,
      cluster: row.cluster,
      strategy: row.strategy,
      force: row.force === 1,
      startedAt: this.clock.now(),
      shutdown: new AbortController(),
      inbox: new Inbox<Result>(),
      done: Promise.resolve(),
    };
    this.jobs.set(deployId, job);
    // start() is called inside the request's transaction: begin once it has committed.
    job.done = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.run(job, log))
      .catch((err: unknown) => this.crashed(job, log, err))
      .finally(() => this.jobs.delete(deployId));
  }

  abort(deployId: number): void {
    this.jobs.get(deployId)?.inbox.push({ kind: 'abort' });
  }

  async close(): Promise<void> {
    this.closing = true;
    const running = [...this.jobs.values()];
    for (const job of running) {
      job.shutdown.abort(new Error('the control plane is shutting down'));
      job.inbox.push({ kind: 'abort' }); // wakes the loop
    }
    await Promise.race([Promise.all(running.map((j) => j.done)), this.clock.sleep(CLOSE_WAIT_MS).catch(() => undefined)]);
  }

  /** Ids of the jobs this runner is running now. */
  running(): number[] {
    return [...this.jobs.keys()];
  }

  // ---------- the loop ----------

  private async run(job: Job, log: DeployLog): Promise<void> {
    const snapshot = log.get(job.id);
    if (!snapshot || FINISHED_STATES.includes(snapshot.state)) return;
    let st: MachineState = initialState(job.strategy, snapshot.members.map((m) => m.app));
    if (log.abortRequested(job.id)) st = reduce(st, { kind: 'abort' });
    log.setState(job.id, 'running', `${job.strategy} deploy of ${st.members.length} member(s) started${job.force ? ' (forced)' : ''}`);
    let inflight = 0;

    for (;;) {
      if (job.shutdown.signal.aborted) {
        // Let in-flight operations notice the shutdown, then leave nothing drained.
        while (inflight > 0) if ((await job.inbox.take()).kind !== 'abort') inflight--;
        this.interrupt(job, log, 'the control plane shut down while this job was running');
        return;
      }
      const actions = nextActions(st);
      let started = 0;
      for (const a of actions) {
        if (a.kind === 'finish') {
          await this.finish(job, log, st, a.state, a.error);
          return;
        }
        if (a.kind === 'skip') {
          st = reduce(st, { kind: 'skipped', app: a.app, reason: a.reason });
          log.setStep(job.id, a.app, 'skipped', a.reason, a.reason);
          continue;
        }
        st = begin(st, a.app, a.op);
        inflight++;
        started++;
        const app = a.app;
        void this.perform(job, log, a.op, app).then(
          (r) => job.inbox.push(r),
          (err: unknown) => job.inbox.push({ kind: 'failed', app, error: errorText(err, job) }),
        );
      }
      if (started === 0 && actions.length > 0) continue;
      const r = await job.inbox.take();
      if (r.kind !== 'abort') inflight--;
      else if (st.abortRequested) continue;
      const before = st;
      st = reduce(st, r);
      this.recordResult(job, log, before, st, r);
    }
  }

  /** Records the member step a result led to (done, failed, skipped). */
  private recordResult(job: Job, log: DeployLog, before: MachineState, after: MachineState, r: Result): void {
    if (r.kind === 'abort') return;
    const was = before.members.find((m) => m.app === r.app);
    const now = after.members.find((m) => m.app === r.app);
    if (!was || !now) return;
    if (r.kind === 'failed') log.setStep(job.id, r.app, 'failed', r.error, r.error);
    else if (r.kind === 'refused') log.setStep(job.id, r.app, 'skipped', r.error, r.error);
    else if (now.step === 'done' && was.step !== 'done') {
      const m = log.get(job.id)?.members.find((x) => x.app === r.app);
      const took = m?.started_at ? ` in ${formatMs(Math.max(0, Date.now() - Date.parse(m.started_at)))}` : '';
      log.setStep(job.id, r.app, 'done', `${r.app} deployed${took}${this.stillDraining(job, r.app) ? '; it stays drained, as it was before the deploy' : ''}`);
    } else if (now.step === 'skipped' && was.step !== 'skipped') log.setStep(job.id, r.app, 'skipped', now.error ?? 'skipped', now.error);
  }

  private stillDraining(job: Job, app: string): boolean {
    try {
      return this.store.member(this.cluster(job), app).member.status === 'draining';
    } catch {
      return false; // removed from the cluster meanwhile
    }
  }

  private async perform(job: Job, log: DeployLog, op: Op, app: string): Promise<Result> {
    switch (op) {
      case 'drain':
        return this.drain(job, log, app);
      case 'deploy':
        return this.deploy(job, log, app);
      case 'health':
        return this.health(job, log, app);
      case 'undrain':
        return this.undrain(job, log, app);
    }
  }

  private cluster(job: Job): ClusterRow {
    const c = this.store.clusterById(job.clusterId);
    if (!c) throw new Error(`cluster ${job.cluster} was destroyed during the deploy`);
    return c;
  }

  private step(job: Job, log: DeployLog, app: string, op: Op, message: string): void {
    log.setStep(job.id, app, STEP_OF[op], message);
  }

  private async drain(job: Job, log: DeployLog, app: string): Promise<Result> {
    const c = this.cluster(job);
    const { member, upstreams } = this.store.member(c, app);
    if (member.status === 'draining') {
      const previous = log.adoptDrained(c.id, job.id, app);
      this.step(
        job,
        log,
        app,
        'drain',
        previous !== null
          ? `${app} was left drained by deploy ${previous}: this deploy takes it over and undrains it once healthy`
          : `${app} was already draining before this deploy: it is deployed and stays drained`,
      );
      return { kind: 'drained', app, byJob: previous !== null };
    }
    // The only active member: the job started with a warning that requests may fail while it
    // restarts; drained, it keeps its traffic as the cluster's last routable member.
    const only = this.store.members(c).filter((m) => m.status === 'active').length < 2;
    if (!job.force && !only && this.routed(c, upstreams)) {
      const others = await this.otherRoutable(c, app);
      if (!others.ok) {
        return {
          kind: 'refused',
          app,
          error: `not draining ${app}: no other member is routable (${others.why}), so draining it could leave the cluster with no healthy member`,
        };
      }
    }
    this.step(job, log, app, 'drain', `draining ${app}: the proxies stop sending it new requests`);
    this.store.db
      .transaction(() => {
        this.deps.service.memberDrain(String(c.id), app, false);
        log.markDrained(job.id, app, true);
      })
      .immediate();
    const applied = await this.apply(job, log, c, app);
    if (applied !== null) {
      // The proxies kept routing to it: give the database back the state they serve.
      this.store.db
        .transaction(() => {
          this.deps.service.memberUndrain(String(c.id), app, false);
          log.markDrained(job.id, app, false);
        })
        .immediate();
      await this.apply(job, log, c, app);
      return { kind: 'failed', app, error: `the proxies did not take the drain, so ${app} was not deployed: ${applied}` };
    }
    // The proxies took the drain; their last answers naming it expire within settleMs, then the
    // requests already in flight get the grace.
    const wait = (this.deps.reconciler.runtime.settleMs ?? 0) + this.drainGraceMs;
    if (wait > 0) {
      log.append(job.id, { type: 'log', app, message: `drained; waiting ${formatMs(wait)} for requests in flight to finish` });
      await this.clock.sleep(wait, job.shutdown.signal);
    }
    return { kind: 'drained', app, byJob: true };
  }

  /** Reconciles the cluster (files + proxies); returns why the proxies refused it, or null. */
  private async apply(job: Job, log: DeployLog, c: ClusterRow, app: string): Promise<string | null> {
    const res = (await this.deps.reconciler.reconcile(c.id)) as { warnings: string[]; failed?: string[] };
    for (const w of res.warnings) log.append(job.id, { type: 'log', app, message: `warning: ${w}` });
    return res.failed && res.failed.length > 0 ? res.failed.join('; ') : null;
  }

  private async deploy(job: Job, log: DeployLog, app: string): Promise<Result> {
    const a = this.store.appByName(app);
    if (!a) return { kind: 'failed', app, error: `app ${app} no longer exists` };
    if (!a.deploy_cmd) {
      this.step(job, log, app, 'deploy', 'no deploy command');
      return { kind: 'failed', app, error: `app ${app} has no deploy command (set one: ownstack local app update ${app} --deploy-cmd='…')` };
    }
    const addresses = parseList(a.addresses);
    this.step(job, log, app, 'deploy', `running the deploy command of ${app} (limit ${formatMs(this.memberTimeoutMs)})`);
    // An explicit environment: never the control plane's credentials or state paths.
    const env = commandEnv(this.env, {
      OWNSTACK_CLUSTER: job.cluster,
      OWNSTACK_APP: app,
      OWNSTACK_MEMBER_ADDRESSES: addresses.join(' '),
      OWNSTACK_MEMBER_ADDRESS: addresses[0] ?? '',
      OWNSTACK_ADDRESS: addresses[0] ?? '',
      OWNSTACK_DEPLOY_ID: String(job.id),
      OWNSTACK_DEPLOY_STRATEGY: job.strategy,
    });
    let lines = 0;
    const r = await this.exec({
      command: a.deploy_cmd,
      env,
      timeoutMs: this.memberTimeoutMs,
      signal: job.shutdown.signal,
      cwd: env.HOME || homedir(),
      onLine: (_stream, line) => {
        lines++;
        if (lines <= MAX_LOG_LINES) log.append(job.id, { type: 'log', app, message: line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line });
      },
    });
    if (lines > MAX_LOG_LINES) log.append(job.id, { type: 'log', app, message: `(${lines - MAX_LOG_LINES} more output lines not recorded)` });
    if (job.shutdown.signal.aborted) throw job.shutdown.signal.reason;
    const problem = describeExit(r, this.memberTimeoutMs);
    if (problem !== null) return { kind: 'failed', app, error: problem };
    log.append(job.id, { type: 'log', app, message: 'the deploy command succeeded' });
    return { kind: 'deployed', app };
  }

  /** The health gate of a member: the cluster's path, interval and timeout, Host as the proxies send it. */
  private gate(c: ClusterRow, app: string): { addresses: string[]; path: string; host?: string; intervalMs: number; timeoutMs: number } {
    const { upstreams } = this.store.member(c, app);
    const a = this.store.appByName(app);
    const host = probeHost(this.store, c, upstreams[0]);
    return {
      addresses: parseList(a?.addresses ?? null),
      path: c.health_path,
      ...(host ? { host } : {}),
      intervalMs: durationOr(c.health_interval, 5_000),
      timeoutMs: durationOr(c.health_timeout, 2_000),
    };
  }

  private async health(job: Job, log: DeployLog, app: string): Promise<Result> {
    const c = this.cluster(job);
    const gate = { ...this.gate(c, app), attempts: this.healthAttempts };
    if (gate.addresses.length === 0) {
      this.step(job, log, app, 'health', `${app} has no addresses: nothing to check`);
      return { kind: 'healthy', app };
    }
    this.step(
      job,
      log,
      app,
      'health',
      `waiting until ${gate.addresses.join(', ')} pass${gate.addresses.length === 1 ? 'es' : ''} GET ${gate.path}${gate.host ? ` (Host ${gate.host})` : ''}: every ${formatMs(gate.intervalMs)}, timeout ${formatMs(gate.timeoutMs)}, at most ${gate.attempts} attempts`,
    );
    const out = await waitHealthy(gate, {
      clock: this.clock,
      probe: this.probe,
      signal: job.shutdown.signal,
      onRound: (n, failing) => log.append(job.id, { type: 'log', app, message: `attempt ${n}/${gate.attempts}: not healthy yet: ${describeFailing(failing)}` }),
    });
    if (out.ok) {
      log.append(job.id, { type: 'log', app, message: `healthy after ${out.attempts} attempt${out.attempts === 1 ? '' : 's'}` });
      return { kind: 'healthy', app };
    }
    return { kind: 'failed', app, error: `${describeFailing(out.failing)} did not pass GET ${gate.path} in ${gate.attempts} attempts` };
  }

  private async undrain(job: Job, log: DeployLog, app: string): Promise<Result> {
    const c = this.cluster(job);
    this.step(job, log, app, 'undrain', `undraining ${app}: the proxies send it new requests again`);
    try {
      this.store.db
        .transaction(() => {
          this.deps.service.memberUndrain(String(c.id), app, false);
          log.markDrained(job.id, app, false);
        })
        .immediate();
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) {
        log.markDrained(job.id, app, false);
        log.append(job.id, { type: 'log', app, message: `${app} is no longer a member of ${c.name}: nothing to undrain` });
        return { kind: 'undrained', app };
      }
      throw err;
    }
    const refused = await this.apply(job, log, c, app);
    if (refused !== null) log.append(job.id, { type: 'log', app, message: `warning: the proxies did not take the undrain yet (the next reconcile retries): ${refused}` });
    // Done once every new request may reach it again.
    else await this.clock.sleep(this.deps.reconciler.runtime.settleMs ?? 0, job.shutdown.signal).catch(() => undefined);
    return { kind: 'undrained', app };
  }

  /** True when the member's traffic share is non-zero now (active, weight > 0, in a routed variant). */
  private routed(c: ClusterRow, upstreams: UpstreamRow[]): boolean {
    const variants = new Map(this.store.variants(c.id).map((v) => [v.id, v]));
    return upstreams.some((u) => {
      const v = variants.get(u.variant_id);
      return u.status === 'active' && u.weight > 0 && v !== undefined && v.weight > 0 && v.status === 'active';
    });
  }

  /** Whether some other member is routed and answers its health check now. */
  private async otherRoutable(c: ClusterRow, app: string): Promise<{ ok: true } | { ok: false; why: string }> {
    const others = this.store.members(c).filter((m) => m.app !== app && m.status === 'active');
    const routed = others.filter((m) => this.routed(c, this.store.member(c, m.app).upstreams));
    if (routed.length === 0) return { ok: false, why: others.length === 0 ? 'it is the only active member' : `the other active members (${others.map((m) => m.app).join(', ')}) get no traffic` };
    const probed: string[] = [];
    for (const m of routed) {
      const gate = this.gate(c, m.app);
      if (gate.addresses.length === 0) {
        probed.push(`${m.app} has no addresses`);
        continue;
      }
      const failing = await probeAll(gate, gate.addresses, this.probe);
      if (failing.length < gate.addresses.length) return { ok: true };
      probed.push(`${m.app}: ${describeFailing(failing)}`);
    }
    return { ok: false, why: `no other member passes its health check: ${probed.join('; ')}` };
  }

  private async finish(job: Job, log: DeployLog, st: MachineState, state: 'succeeded' | 'failed' | 'aborted', error: string | null): Promise<void> {
    const stopped = state === 'aborted' ? 'aborted before its turn' : 'not deployed: the job stopped before its turn';
    for (const app of unreached(st)) log.setStep(job.id, app, 'skipped', stopped, stopped);
    const deployed = st.members.filter((m) => m.step === 'done').length;
    const total = st.members.length;
    const took = formatMs(Math.max(0, Math.round((this.clock.now() - job.startedAt) / 100) * 100));
    const stillDrained = log.drainedMembers(job.id);
    const serving = st.members.filter((m) => !stillDrained.includes(m.app)).map((m) => m.app);
    let message: string;
    if (state === 'succeeded') message = `deploy ${job.id} succeeded: ${deployed} of ${total} member${total === 1 ? '' : 's'} deployed (${job.strategy}, ${took})`;
    else {
      message = `deploy ${job.id} ${state}: ${error ?? state}. ${deployed} of ${total} member${total === 1 ? '' : 's'} deployed`;
      if (stillDrained.length > 0) message += `; ${stillDrained.join(', ')} stay${stillDrained.length === 1 ? 's' : ''} drained${serving.length > 0 ? `, ${serving.join(', ')} keep${serving.length === 1 ? 's' : ''} serving` : ''}`;
      else message += '; no member is left drained';
    }
    this.store.db
      .transaction(() => {
        log.setState(job.id, state, state === 'succeeded' ? 'every member deployed and healthy' : (error ?? state), error);
        log.append(job.id, { type: 'result', state, app: st.failure?.app ?? null, message });
      })
      .immediate();
    this.deps.log(message);
  }

  private interrupt(job: Job, log: DeployLog, reason: string): void {
    const undrained = log.interrupt(job.id, reason, (clusterId, app) => {
      this.deps.service.memberUndrain(String(clusterId), app, false);
    });
    this.deps.log(`deploy ${job.id} interrupted${undrained.length > 0 ? `; undrained ${undrained.join(', ')}` : ''}`);
  }

  /** A bug or an unexpected error in the loop: stop like an interruption, leaving nothing drained. */
  private crashed(job: Job, log: DeployLog, err: unknown): void {
    this.deps.log(`deploy ${job.id} stopped by an internal error: ${(err as Error)?.stack ?? String(err)}`);
    try {
      log.interrupt(job.id, `internal error: ${(err as Error)?.message ?? String(err)}`, (clusterId, app) => {
        this.deps.service.memberUndrain(String(clusterId), app, false);
      });
      void this.deps.reconciler.reconcile(job.clusterId).catch(() => undefined);
    } catch (e) {
      this.deps.log(`deploy ${job.id}: could not record the error: ${(e as Error).message}`);
    }
  }
}

/** The Host header the proxies probe an upstream with: its host header, else its hostname, else the cluster's first. */
export function probeHost(store: Store, c: ClusterRow, u: UpstreamRow | undefined): string | undefined {
  if (u?.host_header) return u.host_header;
  if (u?.hostname) return u.hostname;
  return store.domains(c.id)[0]?.hostname;
}

function errorText(err: unknown, job: Job): string {
  if (job.shutdown.signal.aborted) return 'interrupted: the control plane is shutting down';
  if (err instanceof HttpError) return err.body.message;
  return (err as Error)?.message ?? String(err);
}
