// Typed errors. Only src/main.ts turns them into a process exit; everything else throws.

/** Exit codes, documented in the README. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  notFound: 3,
  auth: 4,
  conflict: 5,
  timeout: 6,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The error body every API endpoint returns on failure (see src/api/schemas.ts errorBody). */
export interface ErrorDetails {
  code: string;
  message: string;
  field?: string;
  value?: string;
  rule?: string;
  hint?: string;
  candidates?: string[];
  details?: unknown;
}

/**
 * Base class: a message for humans, an exit code for scripts, optional hint and details. Each class
 * names itself in a string (the bundle is minified without keeping class names).
 */
/** Marks every CliError, whichever copy of this module made it (see isCliError). */
const CLI_ERROR = Symbol.for('ownstack.cli-error');

export class CliError extends Error {
  override readonly name: string = 'CliError';
  readonly exitCode: ExitCodeValue;
  readonly hint?: string;
  readonly details?: ErrorDetails;
  constructor(message: string, exitCode: ExitCodeValue, opts: { hint?: string; details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.exitCode = exitCode;
    this.hint = opts.hint;
    this.details = opts.details;
    Object.defineProperty(this, CLI_ERROR, { value: true });
  }
}

/**
 * True for a CliError, also one made by another copy of this module: the npm CLI runs the
 * in-process control plane (`local start --foreground`) from a second script with its own copy,
 * where `instanceof` would not see it.
 */
export function isCliError(err: unknown): err is CliError {
  return err instanceof CliError || (typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[CLI_ERROR] === true);
}

/** Bad flags or input: nothing was sent. */
export class UsageError extends CliError {
  override readonly name: string = 'UsageError';
  constructor(message: string, opts: { hint?: string; details?: ErrorDetails } = {}) {
    super(message, ExitCode.usage, opts);
  }
}

export class FailedError extends CliError {
  override readonly name: string = 'FailedError';
  constructor(message: string, opts: { hint?: string; details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, ExitCode.failed, opts);
  }
}

export class NotFoundError extends CliError {
  override readonly name: string = 'NotFoundError';
  constructor(message: string, opts: { hint?: string; details?: ErrorDetails } = {}) {
    super(message, ExitCode.notFound, opts);
  }
}

export class AuthError extends CliError {
  override readonly name: string = 'AuthError';
  constructor(message: string, opts: { hint?: string; details?: ErrorDetails } = {}) {
    super(message, ExitCode.auth, { hint: opts.hint ?? 'run `ownstack login` (or set OWNSTACK_API_TOKEN)', details: opts.details });
  }
}

export class ConflictError extends CliError {
  override readonly name: string = 'ConflictError';
  constructor(message: string, opts: { hint?: string; details?: ErrorDetails } = {}) {
    super(message, ExitCode.conflict, opts);
  }
}

export class TimeoutError extends CliError {
  override readonly name: string = 'TimeoutError';
  constructor(message: string, opts: { hint?: string; details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, ExitCode.timeout, opts);
  }
}

export class InterruptedError extends CliError {
  override readonly name: string = 'InterruptedError';
  constructor(message = 'interrupted', opts: { hint?: string } = {}) {
    super(message, ExitCode.interrupted, opts);
  }
}

/** Maps an API error body + HTTP status to the typed error a command throws. */
export function errorFromApi(status: number, body: ErrorDetails): CliError {
  const opts = { hint: body.hint, details: body };
  if (status === 400 || status === 422) return new UsageError(body.message, opts);
  if (status === 401 || status === 403) return new AuthError(body.message, opts);
  if (status === 404) return new NotFoundError(body.message, opts);
  if (status === 409) return new ConflictError(body.message, opts);
  if (status === 408 || status === 504) return new TimeoutError(body.message, opts);
  return new FailedError(body.message, opts);
}

/** The exit code for anything thrown: typed errors carry theirs, the rest are failures. */
export function exitCodeOf(err: unknown): ExitCodeValue {
  return isCliError(err) ? err.exitCode : ExitCode.failed;
}

/** Ends the command with a code after its output was already written (e.g. deploy:status 6). */
export class ExitError extends CliError {
  override readonly name: string = 'ExitError';
  constructor(exitCode: ExitCodeValue, message = '') {
    super(message, exitCode);
  }
}
