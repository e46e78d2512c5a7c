import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { appNameSchema, checkName, checkNameOrId, clusterNameSchema, nameSchema, sanitiseName, variantNameSchema } from '../../src/inputs/names.js';

const n63 = 'a'.repeat(63);
const n64 = 'a'.repeat(64);

describe('checkName: accepted', () => {
  it.each(['api', 'blue', 'green', 'heroku', 'havenhelix', 'my-app', 'a', '9lives', 'a-b-c', 'v2', '1a', 'a1', n63])('accepts %s', (raw) => {
    expect(checkName(raw, 'cluster')).toEqual({ ok: true, value: raw });
  });
});

describe('checkName: 1–63 characters', () => {
  it.each([
    ['a', true],
    [n63, true],
    [n64, false],
    ['', false],
  ])('%s → ok=%s', (raw, ok) => {
    expect(checkName(raw, 'cluster').ok).toBe(ok);
  });
  it('suggests the name cut to 63 characters', () => {
    expect(checkName(n64, 'cluster')).toEqual({ ok: false, rule: 'a cluster name must be at most 63 characters', fix: n63 });
  });
  it('requires a value', () => {
    expect(checkName('', 'variant')).toEqual({ ok: false, rule: 'a variant name is required (lower-case letters, digits and dashes)' });
  });
});

describe('checkName: lower case, digits, inner dashes; fix when obvious', () => {
  it.each([
    ['Blue', /lower case/, 'blue'],
    ['API', /lower case/, 'api'],
    ['my_app', /only lower-case letters, digits and dashes/, 'my-app'],
    ['my app', /only lower-case letters, digits and dashes/, 'my-app'],
    ['my.app', /only lower-case letters, digits and dashes/, 'my-app'],
    ['My_App', /only lower-case letters, digits and dashes/, 'my-app'],
    ['Bücher', /only lower-case letters, digits and dashes/, 'bucher'],
    ['-blue', /start and end with a letter or digit/, 'blue'],
    ['blue-', /start and end with a letter or digit/, 'blue'],
    ['-', /start and end with a letter or digit/, undefined],
    ['___', /only lower-case letters/, undefined],
    ['{evil}', /only lower-case letters/, 'evil'],
    ['日本', /only lower-case letters/, undefined],
  ])('rejects %s', (raw, rule, fix) => {
    const r = checkName(raw, 'cluster');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.rule).toMatch(rule);
    expect(r.fix).toBe(fix);
  });
});

describe('checkName: never all digits (digits mean an id), never two dashes in a row', () => {
  it.each([
    ['1', 'cluster', /must not be all digits/, 'cluster-1'],
    ['007', 'variant', /must not be all digits/, 'variant-007'],
    ['42', 'app', /must not be all digits/, 'app-42'],
    ['a--b', 'cluster', /two dashes in a row/, 'a-b'],
    ['a---b-c', 'cluster', /two dashes in a row/, 'a-b-c'],
  ])('rejects %s (%s)', (raw, what, rule, fix) => {
    const r = checkName(raw, what);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.rule).toMatch(rule);
    expect(r.fix).toBe(fix);
  });
  it('references take digits as an id and anything else as a name', () => {
    expect(checkNameOrId('1', 'cluster')).toEqual({ ok: true, value: '1' });
    expect(checkNameOrId('api', 'cluster')).toEqual({ ok: true, value: 'api' });
    expect(checkNameOrId('a--b', 'cluster').ok).toBe(false);
    expect(checkNameOrId('0', 'cluster').ok).toBe(false);
    expect(checkNameOrId('1'.repeat(16), 'cluster').ok).toBe(false);
  });
});

describe('name schemas', () => {
  it('name the kind in the rule (with the right article)', () => {
    expect(clusterNameSchema.safeParse('Blue').error?.issues[0]?.message).toBe('a cluster name must be lower case');
    expect(variantNameSchema.safeParse('Blue').error?.issues[0]?.message).toBe('a variant name must be lower case');
    expect(appNameSchema.safeParse('Blue').error?.issues[0]?.message).toBe('an app name must be lower case');
  });
  it('output the accepted name', () => {
    expect(nameSchema('thing').parse('x1')).toBe('x1');
  });
});

describe('names: properties', () => {
  it('a sanitised suggestion is always an accepted name', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (raw) => {
        const fix = sanitiseName(raw);
        if (fix !== undefined) expect(checkName(fix, 'app')).toEqual({ ok: true, value: fix });
        const r = checkName(raw, 'app');
        if (r.ok) {
          expect(r.value).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
          expect(r.value).not.toMatch(/^\d+$|--/);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
