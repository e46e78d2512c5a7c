import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOpenApi, openApiJson } from '../../src/api/openapi.js';
import { routes } from '../../src/api/routes.js';
import { OPENAPI_PATH, writeOpenApi } from '../../scripts/openapi.js';

type Json = Record<string, any>;
const doc = buildOpenApi() as Json;
const op = (method: string, path: string): Json => doc.paths[path][method];

describe('docs/openapi.json', () => {
  it('is up to date with src/api/routes.ts and the schemas', () => {
    if (process.env.UPDATE_OPENAPI === '1') writeOpenApi();
    const committed = existsSync(OPENAPI_PATH) ? readFileSync(OPENAPI_PATH, 'utf8') : '';
    const fresh = openApiJson();
    if (committed !== fresh) {
      throw new Error(`${OPENAPI_PATH} is stale: regenerate it with \`UPDATE_OPENAPI=1 npx vitest run test/api/openapi.test.ts\` (or \`npm run openapi\`) and commit the result`);
    }
  });

  it('is deterministic', () => {
    expect(openApiJson()).toBe(openApiJson());
  });
});

describe('buildOpenApi', () => {
  it('is an OpenAPI 3.1 document with a bearer security scheme applied globally', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
  });

  it('has one operation per route, named after it', () => {
    const ops = Object.values(doc.paths).flatMap((p: any) => Object.values(p)) as Json[];
    expect(ops.map((o) => o.operationId).sort()).toEqual(Object.keys(routes).sort());
  });

  it('turns :params into {params} and declares them as required path parameters', () => {
    const o = op('delete', '/api/clusters/{cluster}/upstreams/{id}');
    expect(o.parameters.filter((p: Json) => p.in === 'path')).toEqual([
      expect.objectContaining({ name: 'cluster', required: true, schema: { type: 'string' } }),
      expect.objectContaining({ name: 'id', required: true, schema: { type: 'integer', minimum: 1 } }),
    ]);
    for (const path of Object.keys(doc.paths)) expect(path).not.toMatch(/:/);
  });

  it('declares query parameters (dry_run is a boolean)', () => {
    const o = op('delete', '/api/clusters/{cluster}/members/{app}');
    expect(o.parameters).toContainEqual(expect.objectContaining({ name: 'dry_run', in: 'query', required: false, schema: { type: 'boolean', default: false } }));
    expect(op('delete', '/api/clusters/{cluster}').parameters).toContainEqual(expect.objectContaining({ name: 'with_proxy', in: 'query' }));
  });

  it('puts the Idempotency-Key header on every POST and only there', () => {
    const ref = { $ref: '#/components/parameters/IdempotencyKey' };
    for (const [path, item] of Object.entries(doc.paths) as [string, Json][]) {
      for (const [method, o] of Object.entries(item) as [string, Json][]) {
        const has = (o.parameters ?? []).some((p: Json) => p.$ref === ref.$ref);
        expect(has, `${method} ${path}`).toBe(method === 'post');
      }
    }
    expect(doc.components.parameters.IdempotencyKey).toMatchObject({ name: 'Idempotency-Key', in: 'header', required: false });
  });

  it('describes request bodies with the input side of the schemas (defaults optional)', () => {
    const o = op('post', '/api/clusters/{cluster}/upstreams');
    expect(o.requestBody.required).toBe(true);
    const body = doc.components.schemas.UpstreamAddRequest;
    expect(o.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/UpstreamAddRequest' });
    expect(body.required).toEqual(['variant']);
    expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(['variant', 'hostname', 'url', 'app', 'weight', 'host_header', 'dry_run']));
    // The deploy abort body is optional.
    expect(op('post', '/api/clusters/{cluster}/deploys/{id}/abort').requestBody.required).toBe(false);
  });

  it('describes responses with components from the schemas (.meta({ id }))', () => {
    const o = op('post', '/api/clusters/{cluster}/upstreams');
    expect(o.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/UpstreamMutation' });
    expect(doc.components.schemas.UpstreamMutation.properties).toEqual({
      result: { $ref: '#/components/schemas/Upstream' },
      plan: { $ref: '#/components/schemas/Plan' },
    });
    for (const id of ['Cluster', 'Domain', 'Variant', 'Upstream', 'Member', 'Plan', 'ClusterStatus', 'Deploy', 'DeployEvent', 'Error', 'App']) {
      expect(doc.components.schemas[id], id).toBeDefined();
    }
    expect(op('get', '/api/clusters/{cluster}/deploys/{id}/events').responses['200'].content).toHaveProperty('text/event-stream');
  });

  it('has no dangling $ref', () => {
    const text = JSON.stringify(doc);
    for (const m of text.matchAll(/"\$ref":"#\/components\/(schemas|responses|parameters)\/([^"]+)"/g)) {
      expect(doc.components[m[1]!][m[2]!], m[0]).toBeDefined();
    }
    expect(text).not.toContain('#/$defs/');
  });

  it('documents the Error body for 400/401/404/409 where they can happen', () => {
    const o = op('post', '/api/clusters/{cluster}/upstreams');
    expect(Object.keys(o.responses).sort()).toEqual(['200', '201', '400', '401', '404', '409', '422', 'default']);
    expect(o.responses['200'].description).toMatch(/Dry run/);
    for (const name of ['Invalid', 'Unauthorized', 'NotFound', 'Conflict', 'IdempotencyKeyReused', 'Failed']) {
      expect(doc.components.responses[name].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    }
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toContain('not_found');
  });

  it('marks public endpoints as needing no token (and without a 401)', () => {
    const o = op('get', '/api/health');
    expect(o.security).toEqual([]);
    expect(o.responses['401']).toBeUndefined();
    expect(op('get', '/api/clusters').security).toBeUndefined();
    expect(op('get', '/api/clusters').responses['401']).toBeDefined();
  });
});

describe('docs/api.md', () => {
  it('documents every endpoint of src/api/routes.ts (method and path)', () => {
    const doc = readFileSync('docs/api.md', 'utf8');
    const missing = Object.values(routes)
      .map((r) => `| ${r.method} | \`${r.path}\` |`)
      .filter((row) => !doc.includes(row));
    expect(missing, 'add these rows to docs/api.md').toEqual([]);
  });
});
