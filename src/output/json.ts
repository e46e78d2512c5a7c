// Exactly one JSON document on stdout (or one per line for event streams).
import type { IO } from './io.js';

// JSON.stringify escapes C0 controls but passes DEL, C1 (CSI is U+009B) and the bidi controls
// through raw. They can only occur inside strings, where \uXXXX means the same character: the
// document parses to the same value and carries nothing that acts on a terminal.
const RAW_CONTROL = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const asJson = (value: unknown, indent: number): string =>
  JSON.stringify(value, null, indent).replace(RAW_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Prints one JSON document. */
export function printJson(io: IO, value: unknown): void {
  io.out(asJson(value, io.stdoutIsTTY ? 2 : 0));
}

/** Prints one NDJSON line (event streams). */
export function printJsonLine(io: IO, value: unknown): void {
  io.out(asJson(value, 0));
}
