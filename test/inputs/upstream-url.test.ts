import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { URL_SHAPE_RULE, checkUpstreamUrl, upstreamUrlSchema } from '../../src/inputs/upstream-url.js';

const l63 = 'a'.repeat(63);
const host253 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
const host254 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`;

function rejected(raw: string) {
  const r = checkUpstreamUrl(raw);
  if (r.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected, got ${r.value}`);
  return r;
}

describe('checkUpstreamUrl: scheme', () => {
  it.each([
    ['https://app.example.com', 'https://app.example.com'],
    ['http://app.example.com', 'http://app.example.com'],
    ['HTTPS://App.Example.COM', 'https://app.example.com'],
    ['Http://app.example.com:8080', 'http://app.example.com:8080'],
  ])('accepts %s as %s', (raw, value) => {
    expect(checkUpstreamUrl(raw)).toEqual({ ok: true, value });
  });
  it.each([
    ['ftp://app.example.com', undefined],
    ['ws://app.example.com', undefined],
    ['h2c://app.example.com', undefined],
    ['https:/app.example.com', 'https://app.example.com'],
    ['https:app.example.com', 'https://app.example.com'],
    ['app.example.com', 'https://app.example.com'],
    ['app.example.com/x', 'https://app.example.com'],
    ['localhost:3000', 'http://localhost:3000'],
    ['10.0.0.1:8080', 'http://10.0.0.1:8080'],
  ])('rejects %s (fix %s)', (raw, fix) => {
    const r = rejected(raw);
    expect(r.rule).toMatch(/http:\/\/ or https:\/\//);
    expect(r.fix).toBe(fix);
  });
});

describe('checkUpstreamUrl: no path, query or fragment', () => {
  it.each([
    ['https://app.example.com/', 'https://app.example.com'],
    ['https://app.example.com/api', 'https://app.example.com'],
    ['https://app.example.com/api/v1/', 'https://app.example.com'],
    ['https://app.example.com?x=1', 'https://app.example.com'],
    ['https://app.example.com#top', 'https://app.example.com'],
    ['https://app.example.com:8443/', 'https://app.example.com:8443'],
    ['HTTPS://APP.example.com/Path?q#f', 'https://app.example.com'],
    ['https://app.example.com/{bad}', 'https://app.example.com'],
    ['https://app.example.com/a b', 'https://app.example.com'],
    ['https://[2001:db8::1]:8443/', 'https://[2001:db8::1]:8443'],
  ])('rejects %s with fix %s', (raw, fix) => {
    expect(checkUpstreamUrl(raw)).toEqual({ ok: false, rule: URL_SHAPE_RULE, fix });
  });

  it('states the rule in the exact words of the contract', () => {
    expect(rejected('https://app.example.com/').rule).toBe(
      'a URL upstream must be scheme://host[:port] with no path, query or fragment',
    );
  });
});

describe('checkUpstreamUrl: user info', () => {
  it.each([
    ['https://user@app.example.com', 'https://app.example.com'],
    ['https://user:secret@app.example.com:8443', 'https://app.example.com:8443'],
    ['https://@app.example.com', 'https://app.example.com'],
    ['https://user:pw@app.example.com/x', 'https://app.example.com'],
  ])('rejects %s (fix %s)', (raw, fix) => {
    const r = rejected(raw);
    expect(r.rule).toMatch(/user info/);
    expect(r.fix).toBe(fix);
  });
});

describe('checkUpstreamUrl: port', () => {
  it.each([
    ['https://a.example.com:1', 'https://a.example.com:1'],
    ['https://a.example.com:65535', 'https://a.example.com:65535'],
    // The scheme's default port is left out: https://x:443 and https://x are one upstream.
    ['https://a.example.com:443', 'https://a.example.com'],
    ['https://a.example.com:0443', 'https://a.example.com'],
    ['http://a.example.com:80', 'http://a.example.com'],
    ['http://[::1]:80', 'http://[::1]'],
    ['http://a.example.com:8080', 'http://a.example.com:8080'],
    ['http://a.example.com:08080', 'http://a.example.com:8080'],
    ['https://a.example.com', 'https://a.example.com'],
  ])('accepts %s as %s', (raw, value) => {
    expect(checkUpstreamUrl(raw)).toEqual({ ok: true, value });
  });
  it.each([
    'https://a.example.com:0',
    'https://a.example.com:00',
    'https://a.example.com:65536',
    'https://a.example.com:99999',
    'https://a.example.com:123456',
    'https://a.example.com:abc',
    'https://a.example.com:8o8o',
    'https://a.example.com:-1',
    'https://a.example.com:+80',
    'https://a.example.com:0x50',
  ])('rejects %s', (raw) => {
    expect(rejected(raw).rule).toMatch(/port must be a number from 1 to 65535/);
  });
  it('rejects an empty port and suggests dropping the colon', () => {
    expect(rejected('https://a.example.com:').fix).toBe('https://a.example.com');
  });
});

describe('checkUpstreamUrl: scheme/port conflicts Caddy refuses', () => {
  it.each([
    ['https://a.example.com:80', 'https://a.example.com'],
    ['https://a.example.com:080', 'https://a.example.com'],
    ['http://a.example.com:443', 'https://a.example.com'],
    ['https://10.0.0.1:80', 'https://10.0.0.1'],
  ])('rejects %s (fix %s)', (raw, fix) => {
    const r = rejected(raw);
    expect(r.rule).toMatch(/Caddy refuses/);
    expect(r.fix).toBe(fix);
  });
  it.each(['https://a.example.com:443', 'http://a.example.com:80', 'https://a.example.com:81', 'http://a.example.com:444'])(
    'accepts %s',
    (raw) => {
      expect(checkUpstreamUrl(raw).ok).toBe(true);
    },
  );
});

describe('checkUpstreamUrl: host', () => {
  it.each([
    ['https://10.0.0.1', 'https://10.0.0.1'],
    ['http://0.0.0.0:1', 'http://0.0.0.0:1'],
    ['https://255.255.255.255', 'https://255.255.255.255'],
    ['https://[2001:db8::1]:8443', 'https://[2001:db8::1]:8443'],
    ['https://[2001:DB8::1]', 'https://[2001:db8::1]'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
    ['https://[::ffff:10.0.0.1]', 'https://[::ffff:10.0.0.1]'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
    ['https://BÜCHER.example:8443', 'https://xn--bcher-kva.example:8443'],
    ['https://xn--bcher-kva.example', 'https://xn--bcher-kva.example'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['http://web:8080', 'http://web:8080'],
    ['https://myhavenbot.herokuapp.com', 'https://myhavenbot.herokuapp.com'],
    ['https://a1-b2.example.com', 'https://a1-b2.example.com'],
    [`https://${l63}.example.com`, `https://${l63}.example.com`],
    [`https://${host253}`, `https://${host253}`],
  ])('accepts %s as %s', (raw, value) => {
    expect(checkUpstreamUrl(raw)).toEqual({ ok: true, value });
  });
  it.each([
    ['https://', /needs a host/],
    ['https://:8443', /needs a host/],
    [`https://${l63}a.example.com`, /1 to 63 characters/],
    [`https://${host254}`, /at most 253/],
    ['https://a_b.example.com', /underscores/],
    ['https://-a.example.com', /start and end with a letter or digit/],
    ['https://a-.example.com', /start and end with a letter or digit/],
    ['https://256.1.1.1', /invalid IPv4/],
    ['https://01.2.3.4', /invalid IPv4/],
    ['https://1.2.3', /invalid IPv4/],
    ['https://a.123', /all-digit label/],
    ['https://2001:db8::1', /in brackets/],
    ['https://[2001:db8::1', /unclosed/],
    ['https://[zz::1]', /invalid IPv6/],
    ['https://[fe80::1%25eth0]', /invalid IPv6/],
    ['https://[::1]x', /\[ipv6\]:port/],
    ['https://*.example.com', /wildcard/],
    ['https://xn--zz.example.com', /punycode/],
    ['https://a%20b.example.com', /only letters, digits, dashes and dots/],
  ])('rejects %s', (raw, rule) => {
    expect(rejected(raw).rule).toMatch(rule);
  });
  it.each([
    ['https://app.example.com.', 'https://app.example.com'],
    ['https://app.example.com.:8443', 'https://app.example.com:8443'],
    ['https://app..example.com', 'https://app.example.com'],
  ])('rejects %s with fix %s', (raw, fix) => {
    expect(rejected(raw).fix).toBe(fix);
  });
});

describe('checkUpstreamUrl: whitespace, control characters and Caddyfile syntax', () => {
  it.each([
    [' https://app.example.com', 'https://app.example.com'],
    ['https://app.example.com ', 'https://app.example.com'],
    ['https://app.example.com\n', 'https://app.example.com'],
    ['\thttps://app.example.com/', 'https://app.example.com'],
  ])('rejects surrounding whitespace in %j (fix %s)', (raw, fix) => {
    const r = rejected(raw);
    expect(r.rule).toMatch(/whitespace/);
    expect(r.fix).toBe(fix);
  });
  it.each([
    'https://app .example.com',
    'https://app\texample.com',
    'https://app\u0000.example.com',
    'https://app\u200b.example.com',
    'https://app.example.com\r\nimport evil',
  ])('rejects inner whitespace/control in %j', (raw) => {
    expect(checkUpstreamUrl(raw).ok).toBe(false);
  });
  it.each(['https://a{b}.com', 'https://{$HOME}', 'https://a,b.com', 'https://a;b.com', 'https://a"b.com', "https://a'b.com", 'https://a\\b.com'])(
    'rejects Caddyfile syntax in %s',
    (raw) => {
      expect(rejected(raw).rule).toMatch(/Caddyfile/);
    },
  );
  it('rejects the empty string', () => {
    expect(rejected('').rule).toMatch(/required/);
  });
});

describe('upstreamUrlSchema', () => {
  it('outputs the normalised URL', () => {
    expect(upstreamUrlSchema.parse('HTTPS://Bücher.Example:8443')).toBe('https://xn--bcher-kva.example:8443');
  });
  it('fails with the rule as message and the fix in params', () => {
    const r = upstreamUrlSchema.safeParse('https://app.example.com/');
    expect(r.success).toBe(false);
    const issue = r.error?.issues[0];
    expect(issue?.message).toBe(URL_SHAPE_RULE);
    expect(issue?.code).toBe('custom');
    expect((issue as { params?: { fix?: string } }).params?.fix).toBe('https://app.example.com');
  });
  it('rejects a non-string', () => {
    expect(upstreamUrlSchema.safeParse(42).success).toBe(false);
  });
});

// Generators: well-formed parts, mixed with deliberately hostile characters.
const scheme = fc.constantFrom('http', 'https', 'HTTPS', 'Http', 'ftp');
const host = fc.oneof(
  fc.domain(),
  fc.ipV4(),
  fc.ipV6().map((a) => `[${a}]`),
  fc.constantFrom('localhost', 'bücher.example', 'a_b.com', 'a..b', '*.x.com', '-a.com', 'a b.com', 'a{b}.com', 'a,b', 'xn--zz.com'),
);
const port = fc.option(fc.oneof(fc.integer({ min: 0, max: 70000 }).map(String), fc.constantFrom('', '080', 'x', '443', '80')), { nil: undefined });
const tail = fc.oneof(
  fc.constant(''),
  fc.webPath(),
  fc.webQueryParameters().map((q) => `?${q}`),
  fc.webFragments().map((f) => `#${f}`),
);
const structuredUrl = fc
  .tuple(scheme, host, port, tail)
  .map(([s, h, p, t]) => `${s}://${h}${p === undefined ? '' : `:${p}`}${t}`);
const noisyUrl = fc.string({
  unit: fc.constantFrom('h', 't', 'p', 's', ':', '/', '/', 'a', '.', '[', ']', '1', '8', '?', '#', '@', ' ', '{', ',', '\n', 'ü', '-'),
  maxLength: 30,
});
const anyUrl = fc.oneof(structuredUrl, noisyUrl, fc.webUrl(), noisyUrl.map((s) => `https://${s}`));

describe('checkUpstreamUrl: properties', () => {
  it('(a) an accepted URL has only scheme://authority, no ?#@, whitespace, braces or commas, and is idempotent', () => {
    fc.assert(
      fc.property(anyUrl, (raw) => {
        const r = checkUpstreamUrl(raw);
        if (!r.ok) return;
        expect(r.value).toMatch(/^https?:\/\//);
        const authority = r.value.replace(/^https?:\/\//, '');
        expect(authority).not.toMatch(/[/?#@\s{},;"']/);
        expect(authority.length).toBeGreaterThan(0);
        expect(checkUpstreamUrl(r.value)).toEqual({ ok: true, value: r.value });
      }),
      { numRuns: 2000 },
    );
  });

  it('(b) appending a path, query or fragment to an accepted URL is rejected with the accepted value as fix', () => {
    const suffix = fc.oneof(
      fc.constant('/'),
      fc.webPath().filter((p) => p !== ''),
      fc.webQueryParameters().map((q) => `?${q}`),
      fc.webFragments().map((f) => `#${f}`),
      fc.tuple(fc.constantFrom('/', '?', '#'), fc.string()).map(([c, s]) => c + s),
    );
    fc.assert(
      fc.property(structuredUrl, suffix, (raw, extra) => {
        const r = checkUpstreamUrl(raw);
        fc.pre(r.ok);
        if (!r.ok) return;
        const again = checkUpstreamUrl(raw + extra);
        expect(again).toEqual({ ok: false, rule: URL_SHAPE_RULE, fix: r.value });
      }),
      { numRuns: 1000 },
    );
  });
});
