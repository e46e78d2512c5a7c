// Durations and health-check settings. The values go verbatim into Caddy's health_interval /
// health_timeout, so we accept only the single-unit subset both Go and humans read the same way.
import * as z from 'zod';
import { UsageError } from '../errors.js';
import { type CheckResult, accept, addRuleIssue, reject, schemaFromCheck, suggest } from './check-result.js';

export const DURATION_RULE = 'a duration is a whole number followed by ms, s, m or h (e.g. 500ms, 5s, 1m)';
export const MIN_DURATION_MS = 1;
// Longer health intervals/timeouts than an hour mean a dead member stays in rotation for hours.
export const MAX_DURATION_MS = 3_600_000;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof UNIT_MS;
const DURATION = /^(\d+)(ms|s|m|h)$/;

// Units Go's time.ParseDuration (and Caddy, which adds d) knows, used only to build fixes.
const LOOSE_UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds in a duration like `500ms`, `5s`, `1m`, `1h`; throws UsageError naming the rule otherwise. */
export function parseDuration(s: string): number {
  const m = DURATION.exec(s);
  if (m === null) throw new UsageError(`invalid duration ${JSON.stringify(s)}: ${DURATION_RULE}`);
  return Number(m[1]) * UNIT_MS[m[2] as Unit];
}

/** The shortest exact single-unit spelling of a whole number of milliseconds (5000 → `5s`). */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`formatDuration needs a whole number of milliseconds, got ${ms}`);
  if (ms === 0) return '0ms';
  for (const unit of ['h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** Checks a duration and returns it canonical in the user's unit (`05s` → `5s`), between 1ms and 1h. */
export function checkDuration(raw: string): CheckResult {
  if (raw === '') return reject(`a duration is required: ${DURATION_RULE.replace(/^a duration is /, '')}`);
  const m = DURATION.exec(raw);
  if (m === null) {
    const loose = looseMilliseconds(raw);
    const fix = loose !== undefined && Number.isInteger(loose) ? suggest(checkDuration, formatDuration(loose)) : undefined;
    return reject(DURATION_RULE, fix);
  }
  const amount = Number(m[1]);
  const unit = m[2] as Unit;
  const ms = amount * UNIT_MS[unit];
  if (ms < MIN_DURATION_MS) return reject('a duration must be at least 1ms', '1ms');
  if (ms > MAX_DURATION_MS) return reject('a duration must be at most 1h', '1h');
  return accept(`${amount}${unit}`);
}

// Reads Go-style spellings ("1m30s", "1.5s", "2000us", "5 S", bare "5" as seconds) to propose a fix.
function looseMilliseconds(raw: string): number | undefined {
  const s = raw.replace(/\s+/g, '');
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s) * 1000;
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)([a-zµμ]+)/gi)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== s) return undefined;
  let total = 0;
  for (const p of parts) {
    const unit = (p[2] ?? '').toLowerCase();
    // "M" could mean months; only lower-case it when the user wrote a lower-case or unambiguous unit.
    if ((p[2] ?? '') === 'M') return undefined;
    const factor = LOOSE_UNIT_MS[unit];
    if (factor === undefined) return undefined;
    total += Number(p[1]) * factor;
  }
  // Round away float noise from fractional units (1.1s * 1000 = 1100.0000000000002).
  const rounded = Math.round(total * 1e6) / 1e6;
  return rounded;
}

/** Zod schema for a duration string: outputs the canonical spelling. */
export const durationSchema = schemaFromCheck(checkDuration, 'a duration must be a string like 5s');

export const MAX_HEALTH_PATH_LENGTH = 1024;

// What Caddy's health_uri takes (Go's url.Parse: a "%" must start a two-hex-digit escape) and what
// the generated Caddyfile can carry: RFC 3986 path and query characters, minus the two sub-delims
// ' and , that the Caddyfile guard refuses (percent-encoded they mean the same to a server).
const HEALTH_PATH_CHAR = /[A-Za-z0-9\-._~!$&()*+;=:@/?]/;
export const HEALTH_PATH_CHARS_RULE =
  "a health-check path may contain only letters, digits and - . _ ~ / ? : @ ! $ & ( ) * + ; = (percent-encode anything else, e.g. ' as %27, a comma as %2C, a space as %20)";
export const HEALTH_PATH_PERCENT_RULE = 'a health-check path may use % only to start a percent-escape of two hex digits (like %2F); write a literal % as %25';

/** Percent-encodes (UTF-8, upper-case hex) every character a health path may not carry as is; keeps valid escapes. */
export function encodeHealthPath(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; ) {
    const cp = raw.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    i += ch.length;
    if (ch === '%' && /^[0-9A-Fa-f]{2}$/.test(raw.slice(i, i + 2))) out += ch;
    else if (ch !== '%' && HEALTH_PATH_CHAR.test(ch)) out += ch;
    else out += [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}

/** Checks a health-check path (`/healthz`, `/status?full=1`) that Caddy's health_uri will request. */
export function checkHealthPath(raw: string): CheckResult {
  const what = 'a health-check path';
  if (raw === '') return reject(`${what} is required and must start with /`, '/');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    const rest = raw.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
    return reject(`${what} is a path only, without scheme and host`, suggest(checkHealthPath, rest === '' ? '/' : rest));
  }
  if (raw.trim() !== raw) return reject(`${what} must not start or end with whitespace`, suggest(checkHealthPath, raw.trim() || '/'));
  if (!raw.startsWith('/')) return reject(`${what} must start with /`, suggest(checkHealthPath, `/${raw}`));
  if (raw.includes('#')) {
    // A fragment is never sent to the server, so it can only be a mistake.
    return reject(`${what} must not contain a # fragment`, suggest(checkHealthPath, raw.slice(0, raw.indexOf('#')) || '/'));
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) return reject(HEALTH_PATH_PERCENT_RULE, suggest(checkHealthPath, encodeHealthPath(raw)));
  if ([...raw].some((ch) => ch !== '%' && !HEALTH_PATH_CHAR.test(ch))) return reject(HEALTH_PATH_CHARS_RULE, suggest(checkHealthPath, encodeHealthPath(raw)));
  if (raw.length > MAX_HEALTH_PATH_LENGTH) return reject(`${what} must be at most ${MAX_HEALTH_PATH_LENGTH} characters`);
  return accept(raw);
}

/** Zod schema for a health-check path. */
export const healthPathSchema = schemaFromCheck(checkHealthPath, 'a health-check path must be a string');

export const DEFAULT_HEALTH = { path: '/', interval: '5s', timeout: '2s' } as const;

/** Per-cluster member health check: path, interval and timeout (timeout strictly shorter than interval). */
export const healthSettingsSchema = z
  .object({
    path: healthPathSchema.default(DEFAULT_HEALTH.path),
    interval: durationSchema.default(DEFAULT_HEALTH.interval),
    timeout: durationSchema.default(DEFAULT_HEALTH.timeout),
  })
  .superRefine((v, ctx) => {
    const interval = parseDuration(v.interval);
    const timeout = parseDuration(v.timeout);
    // A probe still running when the next one starts would overlap and double-count failures.
    if (timeout >= interval) {
      const half = Math.floor(interval / 2);
      addRuleIssue(
        ctx,
        `the health timeout must be shorter than the interval (${v.interval})`,
        half >= MIN_DURATION_MS ? formatDuration(half) : undefined,
        ['timeout'],
      );
    }
  });

export type HealthSettings = z.output<typeof healthSettingsSchema>;
