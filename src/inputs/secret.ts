// Secret fields are marked where they are defined: an error about one never shows its value
// (responses, messages, server.log, CLI stderr), whatever the field is called.
import * as z from 'zod';

const secrets = new WeakSet<object>();

/** Marks a schema as holding a secret and returns it. */
export function secret<T extends z.ZodType>(schema: T): T {
  secrets.add(schema);
  return schema;
}

type Def = Record<string, unknown> | undefined;
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod?: { def?: Def } })._zod?.def;

// A wrapper's inner schema (optional, default, nullable, a transform's input side, …), or null.
function inner(schema: z.ZodType): z.ZodType | null {
  const def = defOf(schema);
  if (!def) return null;
  const next = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
  return next && typeof next === 'object' ? (next as z.ZodType) : null;
}

/** True when the schema, or one it wraps, is marked secret. */
export function isSecret(schema: z.ZodType): boolean {
  for (let s: z.ZodType | null = schema, i = 0; s && i < 10; s = inner(s), i++) if (secrets.has(s)) return true;
  return false;
}

/**
 * The dot-joined paths of every secret field of a schema (`edge_config.dns_tsig_secret`); array
 * elements are `*`. Wrappers (optional, default, refinements) are looked through.
 */
export function secretPaths(schema: z.ZodType): Set<string> {
  const out = new Set<string>();
  const walk = (s: z.ZodType, path: string[], depth: number): void => {
    if (depth > 20) return;
    if (isSecret(s)) {
      out.add(path.join('.'));
      return;
    }
    let cur: z.ZodType | null = s;
    for (let i = 0; cur && i < 10; i++) {
      const def = defOf(cur);
      if (def?.type === 'object') {
        for (const [k, v] of Object.entries(def.shape as Record<string, z.ZodType>)) walk(v, [...path, k], depth + 1);
        return;
      }
      if (def?.type === 'array') {
        walk(def.element as z.ZodType, [...path, '*'], depth + 1);
        return;
      }
      cur = inner(cur);
    }
  };
  walk(schema, [], 0);
  return out;
}

/** Whether an issue path (numbers for array indexes) falls on or inside one of `paths`. */
export function isSecretPath(path: readonly PropertyKey[], paths: ReadonlySet<string>): boolean {
  if (paths.size === 0) return false;
  const parts = path.map((p) => (typeof p === 'number' ? '*' : String(p)));
  for (let n = parts.length; n > 0; n--) if (paths.has(parts.slice(0, n).join('.'))) return true;
  return false;
}

/** The string values of `raw` at the given secret paths (for redacting messages that may quote them). */
export function secretValues(raw: unknown, paths: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const visit = (v: unknown, parts: string[]): void => {
    if (parts.length === 0) {
      if (typeof v === 'string' && v !== '') out.push(v);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const [head, ...rest] = parts as [string, ...string[]];
    if (head === '*') {
      if (Array.isArray(v)) for (const x of v) visit(x, rest);
    } else if (Object.hasOwn(v, head)) visit((v as Record<string, unknown>)[head], rest);
  };
  for (const p of paths) visit(raw, p.split('.'));
  return out;
}
