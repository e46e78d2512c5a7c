import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { envNameForHostname, findEnvNameCollision } from '../../src/inputs/env-name.js';
import { checkHostname } from '../../src/inputs/hostname.js';

describe('envNameForHostname', () => {
  it.each([
    ['myhavenbot.com', 'CLUSTER_UPSTREAMS_MYHAVENBOT_COM'],
    ['app.myhavenbot.com', 'CLUSTER_UPSTREAMS_APP_MYHAVENBOT_COM'],
    ['*.x.com', 'CLUSTER_UPSTREAMS___X_COM'],
    ['a-b.com', 'CLUSTER_UPSTREAMS_A_B_COM'],
    ['a.b.com', 'CLUSTER_UPSTREAMS_A_B_COM'],
    ['xn--bcher-kva.example', 'CLUSTER_UPSTREAMS_XN__BCHER_KVA_EXAMPLE'],
    ['localhost', 'CLUSTER_UPSTREAMS_LOCALHOST'],
    ['1a.com', 'CLUSTER_UPSTREAMS_1A_COM'],
  ])('%s → %s', (host, name) => {
    expect(envNameForHostname(host)).toBe(name);
  });
  it('refuses an empty hostname', () => {
    expect(() => envNameForHostname('')).toThrow(RangeError);
  });
});

describe('findEnvNameCollision', () => {
  it.each([
    [['a.b.com'], 'a-b.com', 'a.b.com'],
    [['a-b.com'], 'a.b.com', 'a-b.com'],
    [['x.com', 'a-b.com'], 'a.b.com', 'a-b.com'],
    [['_.x.com'], '*.x.com', '_.x.com'],
    [['a.b.com'], 'a.b.com', null],
    [['A.B.com'], 'a.b.com', null],
    [['x.com', 'y.com'], 'a.b.com', null],
    [[], 'a.b.com', null],
    [['ab.com'], 'a.b.com', null],
  ])('%j + %s → %s', (existing, candidate, hit) => {
    expect(findEnvNameCollision(existing, candidate)).toBe(hit);
  });
});

const hostChars = fc.string({ unit: fc.constantFrom('a', 'b', '-', '.', '*', '1'), minLength: 1, maxLength: 8 });
const mapped = (h: string) => h.toUpperCase().replace(/[^A-Z0-9]/g, '_');

describe('env names: properties', () => {
  it('(d) the name always matches ^CLUSTER_UPSTREAMS_[A-Z0-9_]+$', () => {
    fc.assert(
      fc.property(fc.oneof(fc.domain(), hostChars, fc.string({ minLength: 1 })), (host) => {
        expect(envNameForHostname(host)).toMatch(/^CLUSTER_UPSTREAMS_[A-Z0-9_]+$/);
      }),
      { numRuns: 2000 },
    );
  });
  it('(d) accepted hostnames map to a valid name', () => {
    fc.assert(
      fc.property(fc.domain(), (raw) => {
        const r = checkHostname(raw);
        if (r.ok) expect(envNameForHostname(r.value)).toMatch(/^CLUSTER_UPSTREAMS_[A-Z0-9_]+$/);
      }),
    );
  });
  it('(d) two different hostnames collide iff their upper-case alnum-mapped forms are equal', () => {
    fc.assert(
      fc.property(hostChars, hostChars, (a, b) => {
        const hit = findEnvNameCollision([a], b);
        const collide = a !== b && mapped(a) === mapped(b);
        expect(hit).toBe(collide ? a : null);
        expect(envNameForHostname(a) === envNameForHostname(b)).toBe(mapped(a) === mapped(b));
      }),
      { numRuns: 3000 },
    );
  });
});
