import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkHostname, hostnameSchema } from '../../src/inputs/hostname.js';

const l63 = 'a'.repeat(63);
const l64 = 'a'.repeat(64);
const host253 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
const host254 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`;

function rejected(raw: string) {
  const r = checkHostname(raw);
  if (r.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected, got ${r.value}`);
  return r;
}

describe('checkHostname: accepted and normalised', () => {
  it.each([
    ['myhavenbot.com', 'myhavenbot.com'],
    ['app.myhavenbot.com', 'app.myhavenbot.com'],
    ['API.Example.com.', 'api.example.com'],
    ['api.example.com.', 'api.example.com'],
    ['app.localhost', 'app.localhost'],
    ['*.example.com', '*.example.com'],
    ['*.Example.COM', '*.example.com'],
    ['*.app.localhost', '*.app.localhost'],
    ['ǘ.com', 'xn--3ja.com'],
    ['пример.рф', 'xn--e1afmkfd.xn--p1ai'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['*.bücher.example', '*.xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['ＡＰＰ．example.com', 'app.example.com'],
    ['1password.com', '1password.com'],
    ['a-b.c-d.example', 'a-b.c-d.example'],
    ['a--b.example', 'a--b.example'],
    ['a.b', 'a.b'],
  ])('accepts %s as %s', (raw, value) => {
    expect(checkHostname(raw)).toEqual({ ok: true, value });
  });
});

describe('checkHostname: label length 1–63', () => {
  it.each([
    [`${l63}.com`, true],
    [`${l64}.com`, false],
    [`x.${l63}`, true],
    [`x.${l64}`, false],
    ['a.com', true],
  ])('%s → ok=%s', (raw, ok) => {
    const r = checkHostname(raw);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.rule).toMatch(/1 to 63 characters/);
  });
});

describe('checkHostname: total length ≤ 253', () => {
  it.each([
    [host253, true],
    [`${host253}.`, true],
    [host254, false],
    [`*.${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(59)}`, true],
    [`*.${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}`, false],
  ])('%#: ok=%s', (raw, ok) => {
    const r = checkHostname(raw);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.rule).toMatch(/at most 253 characters/);
  });
});

describe('checkHostname: labels are letters, digits and inner dashes', () => {
  it.each([
    ['-api.example.com', /start and end with a letter or digit/],
    ['api-.example.com', /start and end with a letter or digit/],
    ['api.-example.com', /start and end with a letter or digit/],
    ['my_app.example.com', /underscores/],
    ['api.example.123', /all-digit label/],
    ['xn--zz.example.com', /punycode/],
    ['a%b.example.com', /only letters, digits, dashes and dots/],
    ['a!b.example.com', /only letters, digits, dashes and dots/],
  ])('rejects %s', (raw, rule) => {
    expect(rejected(raw).rule).toMatch(rule);
  });
});

describe('checkHostname: at least one dot (a single label, localhost included, is refused)', () => {
  it.each([
    ['localhost', false],
    ['LOCALHOST', false],
    ['*.localhost', false],
    ['api', false],
    ['intranet', false],
    ['com', false],
    ['*.com', false],
    ['a.b', true],
  ])('%s → ok=%s', (raw, ok) => {
    const r = checkHostname(raw);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.rule).toMatch(/at least one dot/);
  });
});

describe('checkHostname: wildcard only as the whole first label', () => {
  it.each(['api.*.example.com', '*api.example.com', 'a*.example.com', '**.example.com', '*', '*.*.example.com', 'example.*'])(
    'rejects %s',
    (raw) => {
      expect(rejected(raw).rule).toMatch(/wildcard/);
    },
  );
  it('accepts *.example.com', () => {
    expect(checkHostname('*.example.com').ok).toBe(true);
  });
});

describe('checkHostname: empty labels and dots', () => {
  it.each([
    ['api..example.com', 'api.example.com'],
    ['.api.example.com', 'api.example.com'],
    ['api.example.com..', 'api.example.com'],
  ])('rejects %s with fix %s', (raw, fix) => {
    const r = rejected(raw);
    expect(r.rule).toMatch(/empty labels/);
    expect(r.fix).toBe(fix);
  });
  it.each(['.', '..'])('rejects %s without a fix', (raw) => {
    expect(rejected(raw).fix).toBeUndefined();
  });
});

describe('checkHostname: not an IP address', () => {
  it.each(['10.0.0.1', '127.0.0.1', '255.255.255.255', '::1', '2001:db8::1', '[2001:db8::1]', '[::1]:443', '10.0.0.1:80', '10.0.0.1.'])(
    'rejects %s',
    (raw) => {
      expect(rejected(raw).rule).toMatch(/not an IP address/);
    },
  );
  it.each(['256.1.1.1', '1.2.3', '01.2.3.4'])('rejects numeric non-address %s', (raw) => {
    expect(rejected(raw).rule).toMatch(/all-digit label/);
  });
});

describe('checkHostname: scheme, port, path and user info with fixes', () => {
  it.each([
    ['https://api.example.com', /scheme/, 'api.example.com'],
    ['http://API.example.com/', /scheme/, 'api.example.com'],
    ['https://api.example.com:8443/x', /scheme/, 'api.example.com'],
    ['api.example.com:443', /port/, 'api.example.com'],
    ['api.example.com:', /port/, 'api.example.com'],
    ['api.example.com/', /path/, 'api.example.com'],
    ['api.example.com/login?x=1', /path/, 'api.example.com'],
    ['api.example.com#x', /path/, 'api.example.com'],
    ['user@api.example.com', /user info/, 'api.example.com'],
    [':443', /":"/, undefined],
    ['/api', /path/, undefined],
  ])('rejects %s', (raw, rule, fix) => {
    const r = rejected(raw);
    expect(r.rule).toMatch(rule);
    expect(r.fix).toBe(fix);
  });
});

describe('checkHostname: whitespace and Caddyfile syntax', () => {
  it.each([
    [' api.example.com', 'api.example.com'],
    ['api.example.com\n', 'api.example.com'],
    ['\tAPI.example.com ', 'api.example.com'],
  ])('rejects surrounding whitespace in %j (fix %s)', (raw, fix) => {
    const r = rejected(raw);
    expect(r.rule).toMatch(/whitespace/);
    expect(r.fix).toBe(fix);
  });
  it.each(['api example.com', 'api\texample.com', 'api\u0000.example.com', 'api\u200b.example.com', 'a.com\nimport x'])(
    'rejects inner whitespace/control in %j',
    (raw) => {
      expect(checkHostname(raw).ok).toBe(false);
    },
  );
  it.each(['a{b}.com', '{$HOST}.com', 'a,b.com', 'a;b.com', 'a"b.com', "a'b.com", 'a\\b.com', 'a(b).com'])('rejects %s', (raw) => {
    expect(rejected(raw).rule).toMatch(/Caddyfile/);
  });
  it('rejects the empty string', () => {
    expect(rejected('').rule).toMatch(/required/);
  });
});

describe('hostnameSchema', () => {
  it('outputs the normalised name', () => {
    expect(hostnameSchema.parse('Bücher.Example.')).toBe('xn--bcher-kva.example');
  });
  it('carries the fix in params', () => {
    const r = hostnameSchema.safeParse('https://api.example.com');
    expect((r.error?.issues[0] as { params?: { fix?: string } }).params?.fix).toBe('api.example.com');
  });
});

const hostish = fc.oneof(
  fc.domain(),
  fc.mixedCase(fc.domain()),
  fc.domain().map((d) => `*.${d}`),
  fc.domain().map((d) => `${d}.`),
  fc.constantFrom('bücher.example', 'ＡＰＰ．example.com', 'app.localhost', 'Straße.de', 'пример.рф'),
  fc.string({ unit: fc.constantFrom('a', 'B', 'z', '0', '9', '-', '.', '.', '*', '_', 'ü', ' ', '{', ':', '/', ','), maxLength: 24 }),
);

describe('checkHostname: properties', () => {
  it('(c) accepted hostnames are lower case, ≤ 253, only [a-z0-9.*-], and idempotent', () => {
    fc.assert(
      fc.property(hostish, (raw) => {
        const r = checkHostname(raw);
        if (!r.ok) return;
        expect(r.value).toBe(r.value.toLowerCase());
        expect(r.value.length).toBeLessThanOrEqual(253);
        expect(r.value).toMatch(/^[a-z0-9.*-]+$/);
        expect(checkHostname(r.value)).toEqual({ ok: true, value: r.value });
      }),
      { numRuns: 3000 },
    );
  });
  it('every fix offered is itself accepted', () => {
    fc.assert(
      fc.property(hostish, (raw) => {
        const r = checkHostname(raw);
        if (r.ok || r.fix === undefined) return;
        expect(checkHostname(r.fix)).toEqual({ ok: true, value: r.fix });
      }),
      { numRuns: 2000 },
    );
  });
});

describe('checkHostname: IDNs are letters, marks and digits (IDNA 2008), never symbols or emoji', () => {
  it.each(['😀.com', 'a😀b.example.com', 'xn--ls8h.com', 'xn--e28h.com', '♥.example', 'a★.example.com', '*.😀.com', 'bü€her.example'])('rejects %s', (raw) => {
    expect(rejected(raw).rule).toMatch(/IDNA 2008.*not symbols, emoji or punctuation like U\+[0-9A-F]{4}/);
  });
  it.each([
    ['ǘ.com', 'xn--3ja.com'],
    ['Bücher.Example', 'xn--bcher-kva.example'],
    ['日本語.jp', 'xn--wgv71a119e.jp'],
    ['xn--3ja.com', 'xn--3ja.com'],
  ])('accepts %s as %s', (raw, value) => {
    expect(checkHostname(raw)).toEqual({ ok: true, value });
  });
});
