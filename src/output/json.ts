// Exactly one JSON document on stdout (or one per line for event streams).
import type { IO } from './io.js';

/** Prints one JSON document. */
export function printJson(io: IO, value: unknown): void {
  io.out(JSON.stringify(value, null, io.stdoutIsTTY ? 2 : 0));
}

/** Prints one NDJSON line (event streams). */
export function printJsonLine(io: IO, value: unknown): void {
  io.out(JSON.stringify(value));
}
