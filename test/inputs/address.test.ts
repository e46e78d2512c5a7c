import { describe, expect, it } from 'vitest';
import { addressSchema, checkAddress } from '../../src/inputs/address.js';

function rejected(raw: string) {
  const r = checkAddress(raw);
  if (r.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected, got ${r.value}`);
  return r;
}

describe('checkAddress: accepted host:port', () => {
  it.each([
    ['10.0.0.5:8080', '10.0.0.5:8080'],
    ['127.0.0.1:1', '127.0.0.1:1'],
    ['127.0.0.1:65535', '127.0.0.1:65535'],
    ['[2001:db8::1]:8443', '[2001:db8::1]:8443'],
    ['[2001:DB8::A]:80', '[2001:db8::a]:80'],
    ['[::1]:3000', '[::1]:3000'],
    ['localhost:3000', 'localhost:3000'],
    ['Web-1.Internal:8080', 'web-1.internal:8080'],
    ['web:5000', 'web:5000'],
    ['bücher.example:80', 'xn--bcher-kva.example:80'],
    ['10.0.0.5:08080', '10.0.0.5:8080'],
  ])('accepts %s as %s', (raw, value) => {
    expect(checkAddress(raw)).toEqual({ ok: true, value });
  });
});

describe('checkAddress: port required, 1..65535', () => {
  it.each([
    ['10.0.0.5', /needs a port/, '10.0.0.5:80'],
    ['[::1]', /needs a port/, '[::1]:80'],
    ['web.internal', /needs a port/, 'web.internal:80'],
    ['10.0.0.5:', /no port/, '10.0.0.5:80'],
    ['10.0.0.5:0', /port must be a number from 1 to 65535/, undefined],
    ['10.0.0.5:65536', /port must be a number from 1 to 65535/, undefined],
    ['10.0.0.5:http', /port must be a number from 1 to 65535/, undefined],
    ['10.0.0.5:-1', /port must be a number from 1 to 65535/, undefined],
  ])('rejects %s (fix %s)', (raw, rule, fix) => {
    const r = rejected(raw);
    expect(r.rule).toMatch(rule);
    expect(r.fix).toBe(fix);
  });
});

describe('checkAddress: no scheme, path, user info or injection', () => {
  it.each([
    ['http://10.0.0.5:8080', /without a scheme/, '10.0.0.5:8080'],
    ['https://web.internal:8443/', /without a scheme/, 'web.internal:8443'],
    ['10.0.0.5:8080/', /no path/, '10.0.0.5:8080'],
    ['10.0.0.5:8080/health?x', /no path/, '10.0.0.5:8080'],
    ['user@10.0.0.5:8080', /user info/, '10.0.0.5:8080'],
    [' 10.0.0.5:8080', /whitespace/, '10.0.0.5:8080'],
    ['10.0.0.5:8080\n', /whitespace/, '10.0.0.5:8080'],
    ['10.0.0.5 :8080', /whitespace/, undefined],
    ['10.0.0.5:80,10.0.0.6:80', /Caddyfile/, undefined],
    ['{$UP}:80', /Caddyfile/, undefined],
    ['2001:db8::1', /in brackets/, undefined],
    ['256.0.0.1:80', /invalid IPv4/, undefined],
    ['a_b:80', /underscores/, undefined],
    ['', /required/, undefined],
    ['/x', /no path/, undefined],
  ])('rejects %j', (raw, rule, fix) => {
    const r = rejected(raw);
    expect(r.rule).toMatch(rule);
    expect(r.fix).toBe(fix);
  });
});

describe('addressSchema', () => {
  it('outputs the normalised address and carries fixes', () => {
    expect(addressSchema.parse('WEB:80')).toBe('web:80');
    const issue = addressSchema.safeParse('10.0.0.5').error?.issues[0] as { params?: { fix?: string } };
    expect(issue.params?.fix).toBe('10.0.0.5:80');
  });
});
