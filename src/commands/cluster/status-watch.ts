// cluster status --watch: follows GET …/status/events (the stream the dashboard follows). On a
// terminal it redraws the topology on every change; piped, it prints one timestamped plain line
// per proxy and per upstream address for every change. Ctrl-C ends it with exit 0.
import type { Context } from '../../context.js';
import { clusterStatus, type ClusterStatus } from '../../api/schemas.js';
import { parseSse } from '../../api/events.js';
import { backoffDelay } from '../../api/client.js';
import { AuthError, FailedError, NotFoundError, UsageError } from '../../errors.js';
import { escapeControlDeep } from '../../output/text.js';
import { formatShare, renderTopology } from '../../output/topology.js';

/** Consecutive broken connections before giving up. */
const MAX_RETRIES = 6;

/** The plain lines of one status, each starting with `at` (ISO 8601). */
export function watchLines(raw: ClusterStatus, at: string): string[] {
  const s = escapeControlDeep(raw);
  const healthy = s.proxies.filter((p) => p.healthz === 'ok').length;
  const lines = [`${at} cluster=${s.cluster.name} generation=${s.generation} proxies=${healthy}/${s.proxies.length}-healthy${s.deploy ? ` deploy=${s.deploy.id}:${s.deploy.state}` : ''}`];
  for (const p of s.proxies) lines.push(`${at} proxy ${p.name || `proxy-${p.index}`} ${p.address}:${p.port} state=${p.state} healthz=${p.healthz} generation=${p.generation_applied ?? '-'}`);
  for (const h of s.hostnames) {
    for (const v of h.variants) {
      if (v.upstreams.length === 0) lines.push(`${at} ${h.hostname} ${v.name} weight=${v.weight} ${v.routed ? 'routed' : 'not-routed'} no-upstream`);
      for (const u of v.upstreams) {
        for (const a of u.addresses) {
          lines.push(`${at} ${h.hostname} ${v.name} ${u.kind === 'app' ? `app=${u.target}` : `url=${u.target}`} ${a.address} status=${u.status} share=${formatShare(u.share)} health=${a.health}`);
        }
      }
    }
  }
  for (const w of s.warnings) lines.push(`${at} warning ${w}`);
  return lines;
}

/** Follows the cluster's status until Ctrl-C; throws when the stream cannot be had. */
export async function watchStatus(cluster: string, ctx: Context): Promise<void> {
  const api = await ctx.api();
  const tty = ctx.io.stdoutIsTTY;
  let failures = 0;
  while (!ctx.signal.aborted) {
    let lastError: unknown = null;
    try {
      const res = await api.stream('clusterEvents', { params: { cluster }, signal: ctx.signal });
      if (!res.body) throw new FailedError('the control plane sent an empty event stream');
      for await (const msg of parseSse(res.body as unknown as AsyncIterable<Uint8Array>)) {
        if (msg.event === 'gone') throw new NotFoundError(`cluster ${cluster} was destroyed`);
        if (msg.event !== 'status') continue;
        const parsed = clusterStatus.safeParse(JSON.parse(msg.data));
        if (!parsed.success) throw new FailedError('the control plane sent a status that does not match the contract', { hint: 'the CLI and the control plane may be different versions' });
        failures = 0;
        const at = new Date(ctx.clock.now()).toISOString();
        if (tty) {
          // Home, clear the screen, draw: one frame per change.
          ctx.io.stdout.write(`\x1b[H\x1b[2J${at}  cluster ${parsed.data.cluster.name}, generation ${parsed.data.generation} — watching for changes, Ctrl-C to stop\n\n${renderTopology(ctx.io, parsed.data)}\n`);
        } else {
          ctx.io.stdout.write(watchLines(parsed.data, at).join('\n') + '\n');
        }
      }
    } catch (err) {
      if (ctx.signal.aborted) return;
      if (err instanceof NotFoundError || err instanceof AuthError || err instanceof UsageError || (err instanceof FailedError && /contract/.test(err.message))) throw err;
      lastError = err;
    }
    if (ctx.signal.aborted) return;
    failures++;
    if (failures > MAX_RETRIES) throw lastError ?? new FailedError('the status stream keeps ending');
    ctx.notice(`the status stream ended${lastError ? ` (${(lastError as Error).message})` : ''}; reconnecting`);
    try {
      await ctx.clock.sleep(backoffDelay(failures, Math.random, 250, 4_000), ctx.signal);
    } catch {
      return;
    }
  }
}
