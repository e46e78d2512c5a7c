// Turns a zod failure into the one error a user sees: the flag, the value, the rule, the fix.
import * as z from 'zod';
import { type ErrorDetails, UsageError } from '../errors.js';
import { fixOfIssue } from './check-result.js';
import { isSecretPath, secretPaths } from './secret.js';

// zod's JIT compiles a parser (new Function) for each object schema on its first parse. A CLI process
// parses a schema once or twice, where the interpreter is cheaper: measured by `npm run bench`,
// 4 % fewer instructions for `cluster status --json`. The control plane, which loads this module
// too, parses a handful of requests per second at most; its speed does not depend on the JIT.
z.config({ jitless: true });

const HIDDEN = '(hidden)';

const secretsOf = new WeakMap<z.ZodType, Set<string>>();

/** The secret fields of a schema (marked with secret() where they are defined), cached. */
export function secretFieldsOf(schema: z.ZodType): ReadonlySet<string> {
  let paths = secretsOf.get(schema);
  if (!paths) secretsOf.set(schema, (paths = secretPaths(schema)));
  return paths;
}

/** The dot-joined issue path (`health.timeout`); the root is ''. */
export function issuePath(issue: z.core.$ZodIssue): string {
  return issue.path.map(String).join('.');
}

/** The flag for an issue path: the caller's mapping, else `--<path>` with `_` and `.` → `-`. */
export function flagForPath(path: string, flags: Record<string, string>): string {
  // An item of a repeated flag (`hostnames.1`) is named by the flag itself (`--hostname`).
  const mapped = flags[path] ?? flags[path.replace(/\.\d+(?=\.|$)/g, '')];
  if (mapped !== undefined) return mapped;
  return path === '' ? '<value>' : `--${path.replace(/[_.]/g, '-')}`;
}

/**
 * Error details for one issue: `field` is how the user named it (flag or JSON field), `raw` the
 * whole input, `secrets` the secret fields of the schema (secretFieldsOf): their values never show.
 */
export function issueToDetails(issue: z.core.$ZodIssue, field: string, raw: unknown, secrets: ReadonlySet<string>): ErrorDetails {
  const secret = isSecretPath(issue.path, secrets);
  const value = valueAt(raw, issue.path);
  // A list over its cap is named by its length, not spelled out item by item.
  const shown = value === undefined ? undefined : secret ? HIDDEN : issue.code === 'too_big' && Array.isArray(value) ? `(${value.length} items)` : displayValue(value);
  const rule = ruleOf(issue, value);
  // A fix for a secret would be derived from (and so reveal) the secret.
  const fix = secret ? undefined : (fixOfIssue(issue) ?? enumFix(issue, value));
  const head = shown === undefined ? `missing ${field}` : `invalid ${field} ${secret ? HIDDEN : JSON.stringify(shown)}`;
  // Positional arguments (`<hostname>`) have no `name=` form to copy; show the value alone.
  const tail = fix === undefined ? '' : field.startsWith('-') ? ` — try ${field}=${fix}` : ` — try ${fix}`;
  const details: ErrorDetails = { code: 'invalid', message: `${head}: ${rule}${tail}`, field, rule };
  if (shown !== undefined) details.value = shown;
  if (fix !== undefined) details.hint = fix;
  return details;
}

/** Parses raw input with a schema; on failure throws UsageError for the first issue, naming the flag. */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown, flags: Record<string, string>): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new UsageError('invalid input');
  const details = issueToDetails(issue, flagForPath(issuePath(issue), flags), raw, secretFieldsOf(schema));
  throw new UsageError(details.message, { details });
}

// The raw value at an issue path (undefined when absent), to echo what the user wrote.
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

// Text for a raw value: strings as written, other values as JSON. Never throws: a value too
// deeply nested (or cyclic) to serialise is described instead.
function displayValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return Array.isArray(value) ? '(an array too deeply nested to show)' : `(${typeof value} that cannot be shown)`;
  }
}

// zod's generic messages ("Invalid input: expected string, received undefined") read badly to users.
function ruleOf(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_type' && value === undefined) return 'a value is required';
  return issue.message;
}

// For enum inputs, a case/dash slip ("AWS-ALB") has an obvious intended value.
function enumFix(issue: z.core.$ZodIssue, value: unknown): string | undefined {
  if (issue.code !== 'invalid_value' || typeof value !== 'string') return undefined;
  const wanted = value.trim().toLowerCase().replace(/-/g, '_');
  const hit = issue.values.find((v) => typeof v === 'string' && v === wanted);
  return typeof hit === 'string' ? hit : undefined;
}
