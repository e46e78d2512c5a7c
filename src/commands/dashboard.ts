// dashboard: ask the control plane for a one-time login link, print it, and with --open hand it
// to xdg-open.
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { type RawInput, examples } from './define.js';
import { FailedError } from '../errors.js';
import { printJson } from '../output/json.js';

export function define(cmd: Command): void {
  cmd
    .description(
      'Print a one-time login link to the web dashboard of the control plane (the local one unless a profile names another).\n' +
        'The link works once, within 5 minutes; it signs the browser in for 12 hours. With --open, xdg-open opens it.',
    )
    .option('--open', 'open the link in the default browser (xdg-open)')
    .addHelpText('after', examples('ownstack dashboard', 'ownstack dashboard --open', 'ownstack dashboard --json | jq -r .url'));
}

export interface DashboardOptions {
  open: boolean;
}

export interface DashboardResult {
  url: string;
  expires_at: string;
  opened: boolean;
}

export function parse(raw: RawInput): DashboardOptions {
  return { open: (raw.opts as { open?: boolean }).open === true };
}

export async function run(o: DashboardOptions, ctx: Context): Promise<DashboardResult> {
  const api = await ctx.api();
  const link = await api.call('dashboardLink', { body: {} });
  const url = new URL(link.path, api.opts.baseUrl.replace(/\/+$/, '') + '/').toString();
  if (!o.open) return { url, expires_at: link.expires_at, opened: false };
  try {
    await openInBrowser(url, ctx.env);
  } catch (err) {
    // The link is still good: print it so it can be opened by hand.
    ctx.io.out(url);
    throw err;
  }
  return { url, expires_at: link.expires_at, opened: true };
}

export function render(r: DashboardResult, ctx: Context): void {
  if (ctx.globals.json) return printJson(ctx.io, r);
  ctx.io.out(r.url);
  ctx.notice(`${r.opened ? 'Opened the link in your browser. ' : ''}The link works once, until ${r.expires_at}; it signs one browser in for 12 hours.`);
}

/** Starts xdg-open with the URL and lets it run on; refuses when it is not installed. */
function openInBrowser(url: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('xdg-open', [url], { env, stdio: 'ignore', detached: true });
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new FailedError(err.code === 'ENOENT' ? 'cannot open the link: xdg-open is not installed' : `cannot open the link: xdg-open failed (${err.message})`, {
          hint: 'open the link printed above in a browser yourself, or install xdg-utils',
        }),
      ),
    );
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
