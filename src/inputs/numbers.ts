// Integer inputs. CLI values arrive as strings and API bodies as numbers, so each schema takes
// both; strings must be plain decimal digits because Number() would also accept "0x10", "1e2", " 7".
import * as z from 'zod';
import { addRuleIssue, withArticle } from './check-result.js';

export interface IntegerRange {
  /** The noun used in rule texts, e.g. "weight". */
  what: string;
  min: number;
  max: number;
}

export type IntegerCheck = { ok: true; value: number } | { ok: false; rule: string; fix?: string };

/** Checks a number or decimal string against an integer range; the fix clamps or rewrites when obvious. */
export function checkInteger(raw: number | string, range: IntegerRange): IntegerCheck {
  const { what, min, max } = range;
  const rule = `${withArticle(what)} must be a whole number from ${min} to ${max}`;
  const inRange = (n: number) => Number.isInteger(n) && n >= min && n <= max;
  const clamp = (n: number): IntegerCheck => ({ ok: false, rule, fix: String(n < min ? min : max) });

  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || !Number.isInteger(raw)) return { ok: false, rule };
    return inRange(raw) ? { ok: true, value: raw + 0 } : clamp(raw); // + 0 turns -0 into 0
  }
  if (raw === '') return { ok: false, rule: `${withArticle(what)} is required (a whole number from ${min} to ${max})` };
  if (/^-?\d+$/.test(raw)) {
    const n = Number(raw) + 0;
    return inRange(n) ? { ok: true, value: n } : clamp(n);
  }
  // Not plain digits: suggest the decimal spelling when the text still names an in-range integer.
  const loose = raw.trim() === '' ? Number.NaN : Number(raw.trim());
  const fix = inRange(loose) ? String(loose + 0) : undefined;
  const written = `${rule}, written in decimal digits`;
  return fix === undefined ? { ok: false, rule: written } : { ok: false, rule: written, fix };
}

/** Zod schema for an integer in a range, from a number or a decimal string. */
export function integerSchema(range: IntegerRange) {
  return z
    .union([z.number(), z.string()], { error: `${withArticle(range.what)} must be a whole number from ${range.min} to ${range.max}` })
    .transform((raw, ctx) => {
      const r = checkInteger(raw, range);
      if (r.ok) return r.value;
      addRuleIssue(ctx, r.rule, r.fix);
      return z.NEVER;
    });
}

export const MAX_WEIGHT = 1000;
/** A variant's or upstream's relative weight, 0 (no traffic) to 1000. */
export const weightSchema = integerSchema({ what: 'weight', min: 0, max: MAX_WEIGHT });

// 64 is a local sanity limit, not an OwnStack or Caddy limit: more proxy replicas than that is
// almost certainly a typo, and every replica multiplies health-check traffic to each member.
export const MAX_PROXY_COUNT = 64;
/** Number of proxy replicas for a cluster, 1 to 64. */
/** Proxies this control plane runs itself (local agents); 0 when every proxy is an agent on its own host. */
export const proxyCountSchema = integerSchema({ what: 'proxy count', min: 0, max: MAX_PROXY_COUNT });

/** A resource id: a positive integer up to Number.MAX_SAFE_INTEGER. */
export const idSchema = integerSchema({ what: 'id', min: 1, max: Number.MAX_SAFE_INTEGER });

/** A TCP port, 1 to 65535. */
export const portSchema = integerSchema({ what: 'port', min: 1, max: 65535 });
