import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UsageError } from '../../src/errors.js';
import {
  checkDuration,
  checkHealthPath,
  durationSchema,
  formatDuration,
  healthPathSchema,
  healthSettingsSchema,
  parseDuration,
} from '../../src/inputs/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['1ms', 1],
    ['5s', 5000],
    ['05s', 5000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['0s', 0],
    ['90s', 90_000],
  ])('%s → %d ms', (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });
  it.each(['', '5', '5S', '1.5s', '1m30s', '5 s', 's', '-1s', '5d', '5us'])('throws a UsageError naming the rule for %j', (s) => {
    expect(() => parseDuration(s)).toThrow(UsageError);
    expect(() => parseDuration(s)).toThrow(/whole number followed by ms, s, m or h/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [1, '1ms'],
    [500, '500ms'],
    [1500, '1500ms'],
    [5000, '5s'],
    [90_000, '90s'],
    [60_000, '1m'],
    [3_600_000, '1h'],
    [5_400_000, '90m'],
  ])('%d → %s', (ms, s) => {
    expect(formatDuration(ms)).toBe(s);
  });
  it.each([-1, 1.5, Number.NaN])('throws for %d', (ms) => {
    expect(() => formatDuration(ms)).toThrow(RangeError);
  });
  it('round-trips with parseDuration', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10 * 3_600_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});

describe('checkDuration: grammar (whole number + ms|s|m|h), user unit kept', () => {
  it.each([
    ['500ms', '500ms'],
    ['5s', '5s'],
    ['05s', '5s'],
    ['0005ms', '5ms'],
    ['1m', '1m'],
    ['60s', '60s'],
    ['1h', '1h'],
    ['1ms', '1ms'],
  ])('accepts %s as %s', (raw, value) => {
    expect(checkDuration(raw)).toEqual({ ok: true, value });
  });
  it.each([
    ['5', '5s'],
    ['1.5s', '1500ms'],
    ['1m30s', '90s'],
    ['5 s', '5s'],
    ['5S', '5s'],
    ['2000us', '2ms'],
    ['5M', undefined],
    ['abc', undefined],
    ['s', undefined],
    ['-1s', undefined],
    ['1d', '1h'],
    ['0.0001s', undefined],
  ])('rejects %s (fix %s)', (raw, fix) => {
    const r = checkDuration(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.rule).toMatch(/whole number followed by ms, s, m or h|at most 1h/);
    expect(r.fix).toBe(fix);
  });
  it('rejects the empty string as missing', () => {
    const r = checkDuration('');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.rule).toMatch(/required/);
  });
});

describe('checkDuration: 1ms ≤ d ≤ 1h', () => {
  it.each([
    ['0ms', false],
    ['0s', false],
    ['1ms', true],
    ['3600000ms', true],
    ['3600001ms', false],
    ['3600s', true],
    ['3601s', false],
    ['60m', true],
    ['61m', false],
    ['1h', true],
    ['2h', false],
  ])('%s → ok=%s', (raw, ok) => {
    const r = checkDuration(raw);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.fix).toBe(raw.startsWith('0') ? '1ms' : '1h');
  });
});

describe('durationSchema', () => {
  it('outputs the canonical spelling', () => {
    expect(durationSchema.parse('05s')).toBe('5s');
  });
  it('carries the rule and fix', () => {
    const issue = durationSchema.safeParse('1.5s').error?.issues[0] as { message: string; params?: { fix?: string } };
    expect(issue.message).toMatch(/whole number/);
    expect(issue.params?.fix).toBe('1500ms');
  });
});

describe('checkHealthPath', () => {
  const long = `/${'a'.repeat(1023)}`;
  it.each(['/', '/healthz', '/_cluster/healthz', '/status?full=1', '/a/b-c_d.e~f', '/%7Bx%7D', '/a%2fb', "/x?a=1&b=2;c=(3)*+!$@:", '/it%27s', long])('accepts %s', (raw) => {
    expect(checkHealthPath(raw)).toEqual({ ok: true, value: raw });
  });
  it.each([
    ['', /start with \//, '/'],
    ['healthz', /start with \//, '/healthz'],
    ['https://app.example.com/healthz', /path only/, '/healthz'],
    ['http://app.example.com', /path only/, '/'],
    [' /healthz', /whitespace/, '/healthz'],
    ['/healthz\n', /whitespace/, '/healthz'],
    // What Go's url.Parse (Caddy's health_uri) refuses at load: a % that starts no escape.
    ['/h%', /percent-escape of two hex digits/, '/h%25'],
    ['/h%zz', /percent-escape of two hex digits/, '/h%25zz'],
    ['/h%2', /percent-escape of two hex digits/, '/h%252'],
    ['/a%2Fb%', /percent-escape of two hex digits/, '/a%2Fb%25'],
    // What the generated Caddyfile cannot carry (or RFC 3986 does not allow): the fix percent-encodes it.
    ["/it's", /percent-encode/, '/it%27s'],
    ['/a,b', /percent-encode/, '/a%2Cb'],
    ['/health check', /percent-encode/, '/health%20check'],
    ['/a\u0000', /percent-encode/, '/a%00'],
    ['/a\u001b[31m', /percent-encode/, '/a%1B%5B31m'],
    ['/{path}', /percent-encode/, '/%7Bpath%7D'],
    ['/a"b', /percent-encode/, '/a%22b'],
    ['/a`b', /percent-encode/, '/a%60b'],
    ['/a\\b', /percent-encode/, '/a%5Cb'],
    ['/a[1]', /percent-encode/, '/a%5B1%5D'],
    ['/healthz#x', /fragment/, '/healthz'],
    ['/bücher', /percent-encode/, '/b%C3%BCcher'],
    ['/😀', /percent-encode/, '/%F0%9F%98%80'],
    [`${long}a`, /at most 1024/, undefined],
  ])('rejects %j', (raw, rule, fix) => {
    const r = checkHealthPath(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.rule).toMatch(rule);
    expect(r.fix).toBe(fix);
  });
  it('every fix it offers is accepted, and nothing it accepts can break the rendered Caddyfile', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40, unit: 'binary' }), (tail) => {
        const r = checkHealthPath(`/${tail}`);
        if (r.ok) expect(r.value).toMatch(/^\/[A-Za-z0-9\-._~!$&()*+;=:@/?%]*$/);
        else if (r.fix !== undefined) expect(checkHealthPath(r.fix).ok).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
  it('is exposed as healthPathSchema', () => {
    expect(healthPathSchema.parse('/ok')).toBe('/ok');
  });
});

describe('healthSettingsSchema', () => {
  it('defaults to / every 5s with a 2s timeout', () => {
    expect(healthSettingsSchema.parse({})).toEqual({ path: '/', interval: '5s', timeout: '2s' });
  });
  it('normalises each field', () => {
    expect(healthSettingsSchema.parse({ path: '/healthz', interval: '010s', timeout: '0500ms' })).toEqual({
      path: '/healthz',
      interval: '10s',
      timeout: '500ms',
    });
  });
  it.each([
    ['5s', '4999ms', true],
    ['5s', '5s', false],
    ['5s', '5000ms', false],
    ['5s', '6s', false],
    ['1m', '59s', true],
    ['1m', '1m', false],
    ['2ms', '1ms', true],
    ['1ms', '1ms', false],
  ])('interval %s, timeout %s → ok=%s', (interval, timeout, ok) => {
    const r = healthSettingsSchema.safeParse({ interval, timeout });
    expect(r.success).toBe(ok);
    if (!r.success) {
      const issue = r.error.issues[0] as { path: PropertyKey[]; message: string; params?: { fix?: string } };
      expect(issue.path).toEqual(['timeout']);
      expect(issue.message).toBe(`the health timeout must be shorter than the interval (${interval})`);
      expect(issue.params?.fix).toBe(interval === '1ms' ? undefined : formatDuration(Math.floor(parseDuration(interval) / 2)));
    }
  });
  it('timeout shorter than the default interval passes; longer fails', () => {
    expect(healthSettingsSchema.safeParse({ timeout: '4s' }).success).toBe(true);
    expect(healthSettingsSchema.safeParse({ timeout: '5s' }).success).toBe(false);
    expect(healthSettingsSchema.safeParse({ interval: '2s' }).success).toBe(false);
  });
  it('reports a bad field at its own path without the cross-field rule', () => {
    const r = healthSettingsSchema.safeParse({ interval: 'soon' });
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['interval']);
  });
});
