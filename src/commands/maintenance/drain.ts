// What the maintenance commands share: the host and --timeout, the wait for requests in flight to
// the drained addresses, and how a start or an end is shown.
import { Argument } from 'commander';
import type { ApiClient } from '../../api/client.js';
import { maintenanceHostSchema, type MaintenanceChange, type MaintenanceHost } from '../../api/maintenance.js';
import type { Context } from '../../context.js';
import { escapeControl } from '../../output/text.js';
import { paint, successLine, symbols } from '../../output/style.js';
import { waitTimeoutSchema } from '../cluster/deploy-follow.js';

export const DEFAULT_DRAIN_TIMEOUT = '60s';
export const hostArg = maintenanceHostSchema;
export const drainTimeout = waitTimeoutSchema;
export const hostFlags = { host: '<host>', timeoutMs: '--timeout', 'request.force': '--force' };

export const HOST_HELP = 'the IP address or name in the upstream addresses (e.g. 10.0.0.5), without a port';
export const FORCE_HELP = 'drain even when a hostname would be left with no routable upstream on another host';
export const TIMEOUT_HELP = 'how long to wait for requests in flight to the drained addresses to finish (default 60s)';

/** The `<host>` argument. */
export function hostArgument(): Argument {
  return new Argument('<host>', HOST_HELP);
}

/** How waiting for the drained addresses ended. */
export interface DrainWait {
  outcome: 'drained' | 'timeout' | 'uncounted' | 'nothing';
  in_flight: number | null;
  waited_ms: number;
}

const POLL_MS = 200;

/** Waits until every live proxy serves the drain and no request is in flight to the drained addresses, or the timeout. */
export async function waitForDrain(api: ApiClient, ctx: Context, host: string, change: MaintenanceChange, timeoutMs: number): Promise<DrainWait> {
  const started = ctx.clock.now();
  if (!change.applied || change.addresses.length === 0) return { outcome: 'nothing', in_flight: 0, waited_ms: 0 };
  let last: MaintenanceHost | null = null;
  for (;;) {
    last = await api.call('maintenanceShow', { params: { host }, signal: ctx.signal });
    const waited = ctx.clock.now() - started;
    if (last.settled && last.in_flight === 0) return { outcome: 'drained', in_flight: 0, waited_ms: waited };
    if (last.settled && last.in_flight === null) return { outcome: 'uncounted', in_flight: null, waited_ms: waited };
    if (waited >= timeoutMs) return { outcome: 'timeout', in_flight: last.in_flight, waited_ms: waited };
    await ctx.clock.sleep(Math.min(POLL_MS, timeoutMs - waited), ctx.signal);
  }
}

/** `✓ result`, the addresses, then each distinct warning once. */
export function renderChange(ctx: Context, c: MaintenanceChange, wait: DrainWait | null, verb: 'drained' | 'undrained'): void {
  const { io } = ctx;
  const clusters = new Set(c.addresses.map((a) => a.cluster)).size;
  const head =
    c.state === 'unchanged'
      ? `${c.host} is already under maintenance: nothing new to drain`
      : verb === 'drained'
        ? `Host ${c.host} is under maintenance: ${c.addresses.length} upstream ${c.addresses.length === 1 ? 'address' : 'addresses'} drained in ${clusters} ${clusters === 1 ? 'cluster' : 'clusters'}`
        : `Maintenance of ${c.host} ended: ${c.addresses.length} upstream ${c.addresses.length === 1 ? 'address' : 'addresses'} undrained in ${clusters} ${clusters === 1 ? 'cluster' : 'clusters'}`;
  if (!c.applied) ctx.notice(paint(io, 'err').yellow('Dry run: nothing was changed'));
  if (!ctx.globals.quiet) io.out(c.applied ? successLine(io, escapeControl(head)) : escapeControl(`${head.replace(/^Host (\S+) is under/, 'Host $1 would be under').replace(/ drained in/, ' to drain in').replace(/ undrained in/, ' to undrain in')}`));
  if (!ctx.globals.quiet) for (const a of c.addresses) io.out(`  ${escapeControl(`${a.cluster}: ${a.upstream} ${a.address}`)}`);
  const warn = paint(io, 'err').yellow(symbols.warn);
  if (wait?.outcome === 'drained' && wait.waited_ms > 0) ctx.notice(`Requests in flight to ${c.host} finished (waited ${(wait.waited_ms / 1000).toFixed(1)} s)`);
  const warnings = [...c.warnings, ...c.plans.flatMap((p) => p.warnings)];
  if (wait?.outcome === 'timeout') warnings.push(`${wait.in_flight ?? 'some'} request(s) to ${c.host} still in flight after ${(wait.waited_ms / 1000).toFixed(0)} s (--timeout): going on anyway`);
  if (wait?.outcome === 'uncounted') warnings.push(`a proxy does not count its requests in flight (an older agent or a bring-your-own proxy): not waiting for them`);
  for (const w of new Set(warnings)) ctx.notice(`${warn} ${escapeControl(w)}`);
}
