// Waiting for a condition instead of for a fixed time.

export interface WaitOptions {
  /** Poll interval (default 100 ms). */
  every?: number;
  /** Extra text for the timeout error (the state that was not reached, say). */
  detail?: () => string | Promise<string>;
}

/**
 * Polls `fn` until it returns a truthy value and returns that value; an error thrown by `fn` counts
 * as "not yet". After `ms` it throws, naming `what`, the last error and `detail()`.
 */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, ms = 10_000, opts: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const extra = opts.detail ? `\n${await opts.detail()}` : '';
      throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}${extra}`);
    }
    await new Promise((r) => setTimeout(r, opts.every ?? 100));
  }
}
