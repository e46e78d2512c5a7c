// Names of clusters, variants and local apps: DNS-label style, because they end up in file paths
// (clusters/<name>/), env values and sometimes DNS, where anything looser would need escaping.
// A name is never all digits: every command takes a name or a numeric id, and digits alone always
// mean the id, so a name may never look like one.
import { type CheckResult, accept, reject, schemaFromCheck, withArticle } from './check-result.js';

export const MAX_NAME_LENGTH = 63;
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DIGITS = /^\d+$/;

/** Checks a cluster/variant/app name (`what` names the kind in the rule text). */
export function checkName(raw: string, what: string): CheckResult {
  const noun = `${withArticle(what)} name`;
  if (NAME.test(raw)) {
    if (DIGITS.test(raw)) {
      const fix = `${what}-${raw}`;
      return reject(`${noun} must not be all digits (digits alone are read as an id)`, NAME.test(fix) ? fix : undefined);
    }
    // DNS reserves "--" in labels for encodings such as xn--; in a name it is almost always a typo.
    if (raw.includes('--')) return reject(`${noun} must not contain two dashes in a row`, sanitiseName(raw));
    return accept(raw);
  }
  const fix = sanitiseName(raw);
  const withFix = (rule: string) => reject(rule, fix !== undefined && fix !== raw ? fix : undefined);
  if (raw === '') return reject(`${noun} is required (lower-case letters, digits and dashes)`);
  if (raw.length > MAX_NAME_LENGTH) return withFix(`${noun} must be at most ${MAX_NAME_LENGTH} characters`);
  if (/[A-Z]/.test(raw) && NAME.test(raw.toLowerCase())) return withFix(`${noun} must be lower case`);
  if (/[^a-z0-9-]/.test(raw)) return withFix(`${noun} may contain only lower-case letters, digits and dashes`);
  return withFix(`${noun} must start and end with a letter or digit (dashes only inside)`);
}

/** A valid name derived from a rejected one (lower case, accents stripped, other runs → "-"), if any. */
export function sanitiseName(raw: string): string | undefined {
  const s = raw
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+/, '')
    .slice(0, MAX_NAME_LENGTH)
    .replace(/-+$/, '');
  return NAME.test(s) && !DIGITS.test(s) ? s : undefined;
}

/** Zod schema for a name of the given kind. */
export function nameSchema(what: string) {
  return schemaFromCheck((raw) => checkName(raw, what), `${withArticle(what)} name must be a string`);
}

/**
 * Checks a reference to an existing cluster/variant/app: all digits is its numeric id (kept as
 * written), anything else must be a valid name.
 */
export function checkNameOrId(raw: string, what: string): CheckResult {
  if (DIGITS.test(raw)) {
    return raw.length <= 15 && Number(raw) >= 1 ? accept(raw) : reject(`${withArticle(what)} id is a whole number from 1 to ${Number.MAX_SAFE_INTEGER}`);
  }
  return checkName(raw, what);
}

/** Zod schema for a name-or-id reference of the given kind. */
export function nameOrIdSchema(what: string) {
  return schemaFromCheck((raw) => checkNameOrId(raw, what), `${withArticle(what)} name or id must be a string`);
}

export const clusterNameSchema = nameSchema('cluster');
export const variantNameSchema = nameSchema('variant');
export const appNameSchema = nameSchema('app');
/** A cluster, variant or app named by its name or its numeric id. */
export const clusterRefSchema = nameOrIdSchema('cluster');
export const variantRefSchema = nameOrIdSchema('variant');
export const appRefSchema = nameOrIdSchema('app');
