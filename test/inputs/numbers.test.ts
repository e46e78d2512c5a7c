import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { idSchema, portSchema, proxyCountSchema, weightSchema } from '../../src/inputs/numbers.js';

type Issue = z.core.$ZodIssue & { params?: { fix?: string } };
function firstIssue(schema: z.ZodType, raw: unknown): Issue {
  const r = schema.safeParse(raw);
  if (r.success) throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
  return r.error.issues[0] as Issue;
}

describe('weightSchema: integer 0..1000 from a number or decimal string', () => {
  it.each([
    [0, 0],
    [1, 1],
    [100, 100],
    [1000, 1000],
    ['0', 0],
    ['1000', 1000],
    ['100', 100],
    ['007', 7],
    [-0, 0],
    ['-0', 0],
  ])('accepts %j as %d', (raw, value) => {
    expect(weightSchema.parse(raw)).toBe(value);
  });
  it.each([
    [-1, '0'],
    ['-1', '0'],
    [1001, '1000'],
    ['1001', '1000'],
    ['99999999999999999999', '1000'],
  ])('rejects out-of-range %j with clamped fix %s', (raw, fix) => {
    const issue = firstIssue(weightSchema, raw);
    expect(issue.message).toBe('a weight must be a whole number from 0 to 1000');
    expect(issue.params?.fix).toBe(fix);
  });
  it.each([
    [1.5, undefined],
    ['1.5', undefined],
    ['abc', undefined],
    ['0x10', '16'],
    ['1e2', '100'],
    ['+5', '5'],
    [' 5', '5'],
    ['1.0', '1'],
    ['5 0', undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
  ])('rejects non-decimal/non-integer %j (fix %s)', (raw, fix) => {
    const issue = firstIssue(weightSchema, raw);
    expect(issue.message).toMatch(/whole number from 0 to 1000/);
    expect(issue.params?.fix).toBe(fix);
  });
  it('rejects the empty string as missing', () => {
    expect(firstIssue(weightSchema, '').message).toBe('a weight is required (a whole number from 0 to 1000)');
  });
  it.each([null, undefined, true, {}, [1]])('rejects a non-number/non-string %j', (raw) => {
    expect(firstIssue(weightSchema, raw).message).toMatch(/whole number from 0 to 1000/);
  });
});

describe('proxyCountSchema: integer 0..64', () => {
  it.each([
    [1, true],
    [2, true],
    [64, true],
    ['64', true],
    [0, true],
    ['0', true],
    [-1, false],
    [65, false],
    ['65', false],
    [1.5, false],
  ])('%j → ok=%s', (raw, ok) => {
    expect(proxyCountSchema.safeParse(raw).success).toBe(ok);
  });
  it('names the rule and clamps', () => {
    const issue = firstIssue(proxyCountSchema, '65');
    expect(issue.message).toBe('a proxy count must be a whole number from 0 to 64');
    expect(issue.params?.fix).toBe('64');
  });
});

describe('idSchema: positive integer', () => {
  it.each([
    [1, true],
    ['1', true],
    ['42', true],
    [Number.MAX_SAFE_INTEGER, true],
    [Number.MAX_SAFE_INTEGER + 1, false],
    [0, false],
    ['0', false],
    [-1, false],
    ['1.0', false],
    ['abc', false],
    ['', false],
  ])('%j → ok=%s', (raw, ok) => {
    expect(idSchema.safeParse(raw).success).toBe(ok);
  });
  it('outputs a number', () => {
    expect(idSchema.parse('42')).toBe(42);
  });
});

describe('portSchema: 1..65535', () => {
  it.each([
    [0, false],
    [1, true],
    [65535, true],
    [65536, false],
    ['0', false],
    ['1', true],
    ['65535', true],
    ['65536', false],
    ['8080', true],
    ['http', false],
  ])('%j → ok=%s', (raw, ok) => {
    expect(portSchema.safeParse(raw).success).toBe(ok);
  });
});
