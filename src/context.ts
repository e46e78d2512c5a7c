// What a command may use. Built once per invocation; tests build their own (fake IO, msw, clock).
import type { IO } from './output/io.js';
import type { ApiClient } from './api/client.js';
import type { Clock } from './clock.js';
import type { ResolvedProfile } from './config/profiles.js';

/** Global flags, already parsed. */
export interface Globals {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  noColor: boolean;
  profile?: string;
  apiUrl?: string;
}

export interface Prompt {
  /** Asks to retype `expected`; resolves true when it matches. Throws UsageError without a TTY. */
  confirmName(what: string, expected: string): Promise<boolean>;
  /** Reads a secret (no echo on a TTY, else the whole of stdin, trimmed). */
  readSecret(label: string): Promise<string>;
}

export interface Context {
  io: IO;
  env: NodeJS.ProcessEnv;
  /** OWNSTACK_HOME. */
  home: string;
  globals: Globals;
  clock: Clock;
  prompt: Prompt;
  /** Aborted on the first Ctrl-C. */
  signal: AbortSignal;
  profile(): ResolvedProfile;
  /** The API client for the resolved profile; starts the local control plane when it is the target. */
  api(): Promise<ApiClient>;
  /** A notice on stderr unless --quiet. */
  notice(line: string): void;
  /** A verbose line on stderr when --verbose. */
  debug(line: string): void;
  /** The CLI's version. */
  version: string;
}

export type ContextFactory = (globals: Globals) => Context;
