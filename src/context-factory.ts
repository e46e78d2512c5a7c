// Builds the real Context for one invocation. Heavy pieces (the API client and its transport, the
// local control plane's starter) are imported only when a command asks for the API.
import type { Context, ContextFactory, Globals, Prompt } from './context.js';
import type { ApiClient, ClientOptions } from './api/client.js';
import { systemClock, type Clock } from './clock.js';
import type { IO } from './output/io.js';
import { ownstackHome } from './config/files.js';
import { ProfileStore, resolveProfile, type ResolvedProfile } from './config/profiles.js';
import { AuthError, InterruptedError, UsageError } from './errors.js';
import { checkApiUrl } from './commands/profile/credentials.js';

declare const __VERSION__: string;

export interface ContextDeps {
  io: IO;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  prompt: Prompt;
  signal: AbortSignal;
  /** Test seam: replaces how the client for a profile is made. */
  makeClient?: (profile: ResolvedProfile, ctx: Context) => Promise<ApiClient>;
}

/** The factory the program calls once the global flags are known. */
export function createContextFactory(deps: Partial<ContextDeps> & { io: IO; env: NodeJS.ProcessEnv }): ContextFactory {
  return (globals: Globals) => {
    const home = ownstackHome(deps.env);
    let profile: ResolvedProfile | undefined;
    let client: Promise<ApiClient> | undefined;
    const io = deps.io;
    const ctx: Context = {
      io,
      env: deps.env,
      home,
      globals,
      clock: deps.clock ?? systemClock,
      prompt: deps.prompt ?? terminalPrompt(io),
      signal: deps.signal ?? interruptSignal(),
      version: typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev',
      profile: () => (profile ??= resolveProfile(new ProfileStore(home), deps.env, globals)),
      api: () => (client ??= (deps.makeClient ?? defaultClient)(ctx.profile(), ctx)),
      notice: (line) => {
        if (!globals.quiet) io.err(line);
      },
      debug: (line) => {
        if (globals.verbose) io.err(line);
      },
    };
    return ctx;
  };
}

async function defaultClient(profile: ResolvedProfile, ctx: Context): Promise<ApiClient> {
  let { apiUrl, token } = profile;
  let reconnect: ClientOptions['reconnect'];
  if (profile.local) {
    // The local control plane has its own token; one from the environment is meant for another
    // control plane, whose URL is missing. Refused before anything starts or is sent.
    if (token) {
      throw new UsageError(`${profile.source.token} is set but no control plane URL is: the token would go to the local control plane, which does not know it`, {
        hint: `set OWNSTACK_API_URL (or --api-url) to the control plane the token is for, or a profile with \`ownstack login --profile <name> --api-url <url>\`; unset ${profile.source.token} to use the local control plane`,
      });
    }
    const { ensureLocalControlPlane } = await import('./local/start.js');
    const local = await ensureLocalControlPlane({ home: ctx.home, env: ctx.env, notice: ctx.notice, clock: ctx.clock });
    apiUrl = local.url;
    token = local.token;
    reconnect = async () => local.reconnect();
  }
  if (!apiUrl) throw new UsageError('no API URL: give --api-url, set OWNSTACK_API_URL, or configure a profile');
  // A URL from the environment or a profile file is refused like the flag (exit 2, nothing sent).
  if (!profile.local && profile.source.apiUrl !== '--api-url') checkApiUrl(apiUrl, profile.source.apiUrl);
  if (!token) {
    const w = profile.withheld;
    if (w) {
      const use = w.others.length ? `\`--profile ${w.others[0]}\` (its URL is ${apiUrl})` : `a profile for it (\`ownstack login --profile <name> --api-url ${apiUrl}\`)`;
      throw new AuthError(`no API token for ${apiUrl}: the token of profile "${w.profile}" is sent only to its own URL, ${w.url}`, {
        hint: `set OWNSTACK_API_TOKEN to a token for ${apiUrl}, or use ${use}`,
      });
    }
    throw new AuthError(`no API token for profile "${profile.name}"`, { hint: authHint(profile) });
  }
  return apiClientFor(ctx, apiUrl, token, {
    reconnect,
    hints: profile.local
      ? { unreachable: '`ownstack local status` shows whether the local control plane runs, `ownstack local logs` why it stopped' }
      : { unreachable: remoteUnreachableHint(profile.source.apiUrl), unauthorized: authHint(profile) },
  });
}

/** The hint for a control plane that cannot be reached: where its URL came from. */
export function remoteUnreachableHint(urlSource: string): string {
  return `check the URL (from ${urlSource}) and the network; \`ownstack profile show\` shows which control plane this command uses`;
}

/** What to do about a missing or refused token: log in to this profile (or set the variable). */
function authHint(profile: ResolvedProfile): string {
  if (profile.source.token === 'OWNSTACK_API_TOKEN' || profile.source.token === 'OWNSTACK_TOKEN') {
    return `check ${profile.source.token}, or log in: \`ownstack login --profile <name> --api-url ${profile.apiUrl}\``;
  }
  return profile.name === 'local' ? `run \`ownstack login --profile <name> --api-url ${profile.apiUrl}\`, or set OWNSTACK_API_TOKEN` : `run \`ownstack login --profile ${profile.name}\` (or set OWNSTACK_API_TOKEN)`;
}

/** An API client for this invocation: its clock, the transport its environment calls for, --verbose. */
export async function apiClientFor(ctx: Context, baseUrl: string, token: string, opts: Pick<ClientOptions, 'reconnect' | 'hints'> = {}): Promise<ApiClient> {
  const [{ ApiClient }, { defaultTransport }] = await Promise.all([import('./api/client.js'), import('./api/transport.js')]);
  return new ApiClient({
    baseUrl,
    token,
    clock: ctx.clock,
    transport: await defaultTransport(ctx.env),
    reconnect: opts.reconnect,
    hints: opts.hints,
    log: ctx.globals.verbose ? (l) => ctx.io.err(l) : undefined,
    userAgent: `ownstack-cli/${ctx.version}`,
  });
}

/** First Ctrl-C aborts the signal (commands decide what that means); a second one exits hard. */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  let count = 0;
  process.on('SIGINT', () => {
    count++;
    if (count === 1) controller.abort(new InterruptedError());
    // A second Ctrl-C while a command is still cleaning up: leave now.
    else process.kill(process.pid, 'SIGTERM');
  });
  return controller.signal;
}

/** Prompts on the terminal; refuses (never hangs) when there is no terminal. */
function terminalPrompt(io: IO): Prompt {
  return {
    async confirmName(what, expected) {
      if (!io.stdinIsTTY || !io.stderrIsTTY) {
        throw new UsageError(`refusing to ${what} without confirmation: not a terminal, pass --yes`);
      }
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await rl.question(`This will ${what}. Type "${expected}" to confirm: `);
        return answer.trim() === expected;
      } finally {
        rl.close();
      }
    },
    async readSecret(label) {
      if (!process.stdin.isTTY) {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        return Buffer.concat(chunks).toString('utf8').trim();
      }
      // On a terminal: read one line without echoing it.
      io.stderr.write(`${label}: `);
      return new Promise<string>((resolve, reject) => {
        const stdin = process.stdin;
        let value = '';
        stdin.setRawMode(true);
        stdin.resume();
        stdin.setEncoding('utf8');
        const onData = (ch: string) => {
          for (const c of ch) {
            if (c === '\r' || c === '\n') return done();
            if (c === '\u0003') return done(new InterruptedError());
            if (c === '\u007f') value = value.slice(0, -1);
            else value += c;
          }
        };
        const done = (err?: Error) => {
          stdin.off('data', onData);
          stdin.setRawMode(false);
          stdin.pause();
          io.err('');
          if (err) reject(err);
          else resolve(value.trim());
        };
        stdin.on('data', onData);
      });
    },
  };
}
