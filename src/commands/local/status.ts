// local status: reads server.json and asks the server; never starts it.
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { type RawInput, examples } from '../define.js';
import { ApiClient } from '../../api/client.js';
import { printJson } from '../../output/json.js';
import { renderKeyValues } from '../../output/table.js';
import { paint, symbols } from '../../output/style.js';
import { localPaths, readToken, tildify } from '../../local/files.js';
import { findRunning } from '../../local/find.js';

export function define(cmd: Command): void {
  cmd
    .addHelpText('after', examples('ownstack local status', 'ownstack local status --json | jq .running'));
}

export type LocalStatusOptions = Record<string, never>;

/** What `local status --json` prints. */
export interface LocalStatus {
  running: boolean;
  pid: number | null;
  url: string | null;
  /** The HTTPS listener for other hosts (`local start --listen`). */
  network_url: string | null;
  port: number | null;
  version: string | null;
  started_at: string | null;
  uptime_seconds: number | null;
  state_dir: string;
  log: string;
  /** null when it is not running (or did not answer). */
  clusters: number | null;
  apps: number | null;
}

export function parse(_raw: RawInput): LocalStatusOptions {
  return {};
}

export async function run(_o: LocalStatusOptions, ctx: Context): Promise<LocalStatus> {
  const paths = localPaths(ctx.home);
  const status: LocalStatus = {
    running: false,
    pid: null,
    url: null,
    network_url: null,
    port: null,
    version: null,
    started_at: null,
    uptime_seconds: null,
    state_dir: paths.dir,
    log: paths.log,
    clusters: null,
    apps: null,
  };
  const info = await findRunning(paths, ctx.clock);
  if (!info) return status;
  const started = Date.parse(info.started_at);
  Object.assign(status, {
    running: true,
    pid: info.pid,
    url: info.url,
    network_url: info.network_url ?? null,
    port: info.port,
    version: info.version || null,
    started_at: info.started_at || null,
    uptime_seconds: Number.isNaN(started) ? null : Math.max(0, Math.round((ctx.clock.now() - started) / 1000)),
  });
  const token = readToken(paths);
  if (token) {
    const api = new ApiClient({ baseUrl: info.url, token, clock: ctx.clock, maxAttempts: 1, userAgent: `ownstack-cli/${ctx.version}` });
    try {
      const [clusters, apps] = await Promise.all([api.call('clusterList'), api.call('appList')]);
      status.clusters = clusters.clusters.length;
      status.apps = apps.apps.length;
    } catch (err) {
      ctx.debug(`could not count clusters: ${(err as Error).message}`);
    }
  }
  return status;
}

/** 59s, 3m12s, 2h05m, 3d4h. */
export function formatUptime(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(seconds / 86_400)}d${Math.floor((seconds % 86_400) / 3600)}h`;
}

export function render(s: LocalStatus, ctx: Context): void {
  const { io } = ctx;
  if (ctx.globals.json) return printJson(io, s);
  const c = paint(io);
  if (!s.running) {
    io.out(`${c.dim(symbols.inactive)} not running`);
    io.out(
      renderKeyValues(io, [
        ['state', tildify(s.state_dir)],
        ['log', tildify(s.log)],
        ['start', 'ownstack local start (or run any command: it starts on demand)'],
      ]),
    );
    return;
  }
  io.out(`${c.green(symbols.active)} running on ${s.url}`);
  io.out(
    renderKeyValues(io, [
      ['pid', s.pid],
      ...(s.network_url ? ([['network', `${s.network_url} (TLS, agents and operators on other hosts)`]] as [string, string][]) : []),
      ['uptime', s.uptime_seconds === null ? '-' : formatUptime(s.uptime_seconds)],
      ['version', s.version ?? '-'],
      ['state', tildify(s.state_dir)],
      ['log', tildify(s.log)],
      ['clusters', s.clusters ?? '-'],
      ['apps', s.apps ?? '-'],
    ]),
  );
}
