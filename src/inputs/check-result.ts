// The shared result shape of every `checkX(raw)` and the glue that turns a check into a zod schema.
// A rejection carries the RULE (what is allowed) and, when one exists, the FIX (the corrected value),
// so the CLI and the server can both say "invalid --url "x": <rule> — try --url=<fix>".
import * as z from 'zod';
import { CONTROL_CHARS, codePointName } from '../control-chars.js';

export { CONTROL_CHARS, codePointName };

/** The outcome of checking one raw user value: the normalised value, or the broken rule and a fix. */
export type CheckResult = { ok: true; value: string } | { ok: false; rule: string; fix?: string };

/** Builds an accepted result. */
export function accept(value: string): CheckResult {
  return { ok: true, value };
}

/** Builds a rejection; the fix is left out when there is none (exactOptionalPropertyTypes-safe). */
export function reject(rule: string, fix?: string): CheckResult {
  return fix === undefined ? { ok: false, rule } : { ok: false, rule, fix };
}

/** Re-checks a corrected candidate and returns it (or its own fix) as the suggestion for a rejection. */
export function suggest(check: (raw: string) => CheckResult, candidate: string): string | undefined {
  const again = check(candidate);
  return again.ok ? again.value : again.fix;
}

/** Adds a custom issue whose message is the rule and whose params.fix is the fix. */
export function addRuleIssue(ctx: z.RefinementCtx, rule: string, fix?: string, path?: PropertyKey[]): void {
  ctx.addIssue({
    code: 'custom',
    message: rule,
    params: fix === undefined ? {} : { fix },
    ...(path === undefined ? {} : { path }),
  });
}

/** Turns a check into a z.string() schema that outputs the normalised value. */
export function schemaFromCheck(check: (raw: string) => CheckResult, notString: string) {
  return z.string({ error: notString }).transform((raw, ctx) => {
    const result = check(raw);
    if (result.ok) return result.value;
    addRuleIssue(ctx, result.rule, result.fix);
    return z.NEVER;
  });
}

/** The fix suggested in an issue (custom issues built by addRuleIssue), if any. */
export function fixOfIssue(issue: z.core.$ZodIssue): string | undefined {
  const params = (issue as { params?: Record<string, unknown> }).params;
  const fix = params?.['fix'];
  return typeof fix === 'string' ? fix : undefined;
}

// Characters that would change the meaning of a generated Caddyfile line: token separators,
// quoting, block braces and placeholders ({$VAR}), and the comma Caddy reads as part of one address.
export const CADDY_SYNTAX_CHARS = /[{}(),;"'`\\<>|$]/;
export const WHITESPACE_OR_CONTROL = /[\s\p{Cc}\p{Cf}]/u;

/** Checks free text (a description, a command): at most `max` characters and no control characters. */
export function checkFreeText(raw: string, what: string, max: number): CheckResult {
  const m = CONTROL_CHARS.exec(raw);
  if (m !== null) {
    return reject(`${what} must not contain control characters (TAB, newlines, CR, ESC, other C0/C1 codes, DEL): found ${codePointName(m[0])} at position ${m.index + 1}`);
  }
  if ([...raw].length > max) return reject(`${what} must be at most ${max} characters`);
  return accept(raw);
}

/** Zod schema for free text of at most `max` characters without control characters. */
export function freeTextSchema(what: string, max: number) {
  return schemaFromCheck((raw) => checkFreeText(raw, what, max), `${what} must be a string`);
}

/** The rule text for Caddyfile-breaking characters, phrased for one kind of value. */
export function caddySyntaxRule(what: string): string {
  return `${what} must not contain spaces, quotes, braces, commas, semicolons or backslashes ({ } , ; " ' \\): they would break the generated Caddyfile`;
}

/** "a"/"an" + noun, for rule texts built from a caller-supplied noun. */
export function withArticle(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}
