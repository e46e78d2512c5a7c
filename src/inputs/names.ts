// Names of clusters, variants and local apps: DNS-label style, because they end up in file paths
// (clusters/<name>/), env values and sometimes DNS, where anything looser would need escaping.
import { type CheckResult, accept, reject, schemaFromCheck, withArticle } from './check-result.js';

export const MAX_NAME_LENGTH = 63;
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Checks a cluster/variant/app name (`what` names the kind in the rule text). */
export function checkName(raw: string, what: string): CheckResult {
  const noun = `${withArticle(what)} name`;
  if (NAME.test(raw)) return accept(raw);
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
    .replace(/^-+/, '')
    .slice(0, MAX_NAME_LENGTH)
    .replace(/-+$/, '');
  return NAME.test(s) ? s : undefined;
}

/** Zod schema for a name of the given kind. */
export function nameSchema(what: string) {
  return schemaFromCheck((raw) => checkName(raw, what), `${withArticle(what)} name must be a string`);
}

export const clusterNameSchema = nameSchema('cluster');
export const variantNameSchema = nameSchema('variant');
export const appNameSchema = nameSchema('app');
