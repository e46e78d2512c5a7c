// Bodies of odd shapes: nesting too deep is a 400 (not a stack overflow answered 500), and integer
// fields accept what the OpenAPI document says — a JSON integer or a string of decimal digits.
import * as z from 'zod';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildOpenApi } from '../../src/api/openapi.js';
import { UsageError } from '../../src/errors.js';
import { parseInput } from '../../src/inputs/parse.js';
import { dumpDb, removeHome, startTestServer, type TestServer } from './helpers.js';
import { rawRequest } from './helpers-raw.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await s.api('POST', '/api/clusters', { name: 'api', hostnames: ['api.example.com'] });
});
afterAll(async () => {
  await s.close();
  removeHome(s.home);
});

const post = (path: string, body: string) =>
  rawRequest(s.cp.url, 'POST', path, { headers: { authorization: `Bearer ${s.cp.token}`, 'content-type': 'application/json' }, body });

describe('nesting', () => {
  test('a 400,000-deep array is a 400 naming the limit, and the server keeps serving', async () => {
    const db = dumpDb(s.home);
    const r = await post('/api/clusters', `${'['.repeat(400_000)}${']'.repeat(400_000)}`);
    expect(r.status, r.text).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid', field: 'body', message: 'the body nests arrays and objects deeper than 16 levels' });
    expect(dumpDb(s.home)).toEqual(db);
    expect((await s.api('GET', '/api/health')).status).toBe(200);
  });

  test('deep nesting inside a field is refused the same way', async () => {
    let v = '1';
    for (let i = 0; i < 20; i++) v = `{"a":${v}}`;
    const r = await post('/api/clusters', `{"name":"x","edge_config":${v}}`);
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('body');
  });

  test('brackets inside strings do not count', async () => {
    const r = await post('/api/clusters/api/variants', JSON.stringify({ name: 'blue', description: '[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{' }));
    expect(r.status, r.text).toBe(201);
  });

  test('a value nested within the limit is named in the error as usual', async () => {
    const r = await post('/api/clusters', JSON.stringify({ name: 'x', hostnames: [[[['a.example.com']]]] }));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ field: 'hostnames.0', value: '[[["a.example.com"]]]' });
  });

  test('the CLI-side parse step reports a value too deep to show instead of overflowing the stack', () => {
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const schema = z.object({ name: z.string() });
    let err: unknown;
    try {
      parseInput(schema, { name: deep }, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toContain('too deeply nested to show');
  });
});

describe('integer fields', () => {
  const weight = (w: unknown) => post('/api/clusters/api/variants', JSON.stringify({ name: `v${Math.random().toString(36).slice(2, 8)}`, weight: w }));

  test.each([5, '5', '0', 1000, '1000'])('weight %j is accepted as the integer it names', async (w) => {
    const r = await weight(w);
    expect(r.status, r.text).toBe(201);
    expect(r.body.result.weight).toBe(Number(w));
  });

  test.each([5.5, '5.0', '1e1', ' 5', '0x5', '+5', '', true, null, [5], 1001, '-1'])('weight %j is refused', async (w) => {
    const r = await weight(w);
    expect(r.status, r.text).toBe(400);
    expect(r.body.error.field).toBe('weight');
  });

  test('the OpenAPI document says exactly that', () => {
    const doc = buildOpenApi() as any;
    const forms = [
      { type: 'integer', minimum: 0, maximum: 1000 },
      { type: 'string', pattern: '^-?[0-9]+$' },
    ];
    expect(doc.components.schemas.VariantAddRequest.properties.weight.anyOf).toEqual(forms);
    expect(doc.components.schemas.MemberWeightRequest.properties.weight.anyOf).toEqual(forms);
    expect(doc.components.schemas.ClusterCreateRequest.properties.proxy_count.anyOf).toEqual([{ type: 'integer', minimum: 0, maximum: 64 }, forms[1]]);
    expect(doc.components.schemas.VariantAddRequest.properties.weight.type).toBeUndefined();
    // Answers carry plain integers.
    expect(doc.components.schemas.Variant.properties.weight.type).toBe('integer');
  });
});
