// How a failed command shows its error, whatever raised it (our typed errors, an API error body,
// commander's usage errors, anything unexpected): one shape. On stderr, `error: <message>` and
// `hint: <hint>`; with --json, first one line `{"error": {code, message, hint?, field?, value?,
// rule?, candidates?, details?}}`, the shape of the API's error body. Long words are cut.
import type { ErrorDetails, ExitCodeValue } from '../errors.js';
import type { IO } from './io.js';
import { escapeControl } from '../control-chars.js';

/** Text with control characters made visible, line breaks kept. */
const visible = (s: string): string => s.split('\n').map(escapeControl).join('\n');

/** The error code for an exit code, for errors that carry no API body. */
const CODE_OF_EXIT: Record<number, string> = { 1: 'failed', 2: 'invalid', 3: 'not_found', 4: 'unauthorized', 5: 'conflict', 6: 'timeout', 130: 'interrupted' };

export function codeForExit(exitCode: ExitCodeValue): string {
  return CODE_OF_EXIT[exitCode] ?? 'failed';
}

/** Runs of non-space characters longer than this are cut in error output. */
export const LONG_WORD = 160;

/**
 * Cuts every run of non-space characters longer than LONG_WORD (a pasted 5,000-character value)
 * to its start and end, saying how much was left out; the rest of the text is kept.
 */
export function cutLongWords(text: string): string {
  return text.replace(new RegExp(`\\S{${LONG_WORD + 1},}`, 'g'), cutMiddle);
}

/** A long string's first 100 and last 20 characters, saying how many were left out between. */
function cutMiddle(s: string): string {
  return `${s.slice(0, 100)}…(${s.length - 120} characters cut)…${s.slice(-20)}`;
}

/** One error as printed: the human lines, and the JSON object for --json. */
export function printError(io: IO, opts: { json: boolean; color: boolean; details: ErrorDetails; stack?: string }): void {
  const d = opts.details;
  if (opts.json) {
    const cut: ErrorDetails = { ...d, message: cutLongWords(d.message) };
    if (d.hint !== undefined) cut.hint = cutLongWords(d.hint);
    if (d.value !== undefined && d.value.length > LONG_WORD) cut.value = cutMiddle(d.value);
    io.err(JSON.stringify({ error: cut }));
  }
  const red = (s: string) => (opts.color ? `\x1b[31m${s}\x1b[39m` : s);
  const dim = (s: string) => (opts.color ? `\x1b[2m${s}\x1b[22m` : s);
  // A message may echo a value from the server or the user: it must not act on the terminal.
  io.err(`${red('error:')} ${cutLongWords(visible(d.message))}`);
  if (d.hint) io.err(dim(`hint: ${cutLongWords(visible(d.hint))}`));
  if (opts.stack) io.err(opts.stack);
}

/**
 * commander's message ("error: unknown command 'clustr'\n(Did you mean cluster?)") as an error
 * body: the message, and the suggestion as the hint.
 */
export function commanderDetails(message: string): ErrorDetails {
  const lines = message.replace(/^error: /, '').split('\n');
  const suggestion = lines.slice(1).find((l) => /^\(Did you mean /.test(l));
  const hint = suggestion ? `${suggestion.slice(1, -1).replace(/^Did/, 'did')} (run with --help for usage)` : 'run with --help for usage';
  return { code: 'invalid', message: lines[0]!, hint };
}
