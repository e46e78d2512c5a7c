// Terminal control characters, shared by input rules (refused) and output (made visible).
// Kept free of zod: the CLI's error printer and its start-up path load it.

/**
 * Characters that act on a terminal rather than print: C0 (TAB, LF, CR, ESC …), DEL and C1, plus
 * the Unicode line and paragraph separators and the bidi controls that reorder what is shown.
 */
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** `U+001B`-style name of a character, for rule texts that must not print the character itself. */
export function codePointName(ch: string): string {
  const names: Record<string, string> = { '\t': 'TAB', '\n': 'a newline (LF)', '\r': 'a carriage return (CR)', '\u001b': 'ESC', '\u007f': 'DEL' };
  return names[ch] ?? `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

const ALL_CONTROL = new RegExp(CONTROL_CHARS.source, 'g');
const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Replaces each control character with a visible escape: `\t` `\n` `\r`, `\x1b`, `\x7f`, `\u202e`. */
export function escapeControl(s: string): string {
  if (!CONTROL_CHARS.test(s)) return s;
  return s.replace(ALL_CONTROL, (ch) => {
    const named = NAMED[ch];
    if (named !== undefined) return named;
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
