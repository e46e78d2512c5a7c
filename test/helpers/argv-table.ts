// The argv → request tables of the command tests: each row is a command line and either the one
// request it must send or the rejection it must give (exit 2, the flag named, nothing sent).
import { expect } from 'vitest';
import type { contractServer } from '../fixtures/contract.js';
import { runOwnstack } from './cli.js';

/** The one request a command line must send (query and body as they reach the wire). */
export interface Sent {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

export type ArgvRow = [argv: string, expected: Sent | { reject: RegExp }];

/**
 * Runs one row's command line (split on spaces) and checks it: a rejection matches stderr, exits 2,
 * prints nothing on stdout and sends nothing; otherwise exit 0 and exactly the expected request.
 */
export async function expectArgvRow(api: ReturnType<typeof contractServer>, [argv, expected]: ArgvRow): Promise<void> {
  const r = await runOwnstack(argv.split(' '));
  if ('reject' in expected) {
    expect(r.stderr).toMatch(expected.reject);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(api.seen).toHaveLength(0);
    return;
  }
  expect(r.stderr).not.toMatch(/error/);
  expect(r.code).toBe(0);
  expect(api.seen).toHaveLength(1);
  const [req] = api.seen;
  expect(req!.method).toBe(expected.method);
  expect(req!.url.pathname).toBe(expected.path);
  if (expected.query) expect(Object.fromEntries(req!.url.searchParams)).toEqual(expected.query);
  if (expected.body !== undefined) expect(req!.body).toEqual(expected.body);
  else expect(req!.body).toBeUndefined();
}
