// The cluster document schema (cluster export / apply): defaults, the rules it shares with the
// single commands, the document's own rules, and how a refusal names the path inside the file.
import { describe, expect, it } from 'vitest';
import { clusterApplyRequest, clusterDocument, documentIssueDetails, documentIssuesInOrder, documentPath, membersOf, upstreamKey } from '../../src/api/cluster-document.js';

const minimal = { name: 'web', hostnames: [], variants: [], upstreams: [] };

/** The first refusal of a document, as the CLI shows it (path inside the file). */
function refusal(doc: unknown) {
  const r = clusterDocument.safeParse(doc);
  if (r.success) throw new Error('expected a refusal');
  return documentIssueDetails(r.error.issues[0]!, doc);
}

describe('clusterDocument', () => {
  it("settings left out take cluster create's defaults; list items take the single commands' defaults", () => {
    const d = clusterDocument.parse({ ...minimal, hostnames: ['API.Example.COM.'], variants: [{ name: 'blue' }], upstreams: [{ variant: 'blue', url: 'HTTPS://X.Example.NET' }] });
    expect(d).toEqual({
      name: 'web',
      edge: 'dns_rr',
      edge_allow_private_addresses: false,
      edge_config: {},
      proxy_count: 1,
      proxy_app: null,
      health: { path: '/', interval: '5s', timeout: '2s' },
      hostnames: ['api.example.com'],
      variants: [{ name: 'blue', weight: 0, status: 'active', description: '' }],
      upstreams: [{ variant: 'blue', hostname: null, url: 'https://x.example.net', weight: 100, status: 'active', host_header: null }],
    });
  });

  it('hostnames, variants and upstreams must be listed (a missing list would remove everything)', () => {
    for (const key of ['hostnames', 'variants', 'upstreams'] as const) {
      const { [key]: _, ...doc } = minimal;
      expect(refusal(doc)).toMatchObject({ field: key, rule: 'a value is required' });
    }
  });

  it.each([
    ['variants[1].weight', { ...minimal, variants: [{ name: 'a' }, { name: 'b', weight: 2000 }] }, { value: '2000', rule: 'a weight must be a whole number from 0 to 1000', hint: '1000' }],
    ['upstreams[0].url', { ...minimal, variants: [{ name: 'a' }], upstreams: [{ variant: 'a', url: 'https://x.example.net/' }] }, { rule: expect.stringContaining('no path'), hint: 'https://x.example.net' }],
    ['upstreams[0].url', { ...minimal, variants: [{ name: 'a' }], upstreams: [{ variant: 'a' }] }, { rule: 'give exactly one of url or app' }],
    ['hostnames[0]', { ...minimal, hostnames: ['https://a.example.com'] }, { value: 'https://a.example.com', hint: 'a.example.com' }],
    ['health.timeout', { ...minimal, health: { interval: '1s', timeout: '1s' } }, { rule: expect.stringContaining('shorter than the interval') }],
    ['edge_config.cloudflare_zone_id', { ...minimal, edge: 'cloudflare', edge_config: {} }, { rule: expect.stringContaining('zone id') }],
    ['edge_config.alb_region', { ...minimal, edge: 'dns_rr', edge_config: { alb_region: 'eu-west-1' } }, { rule: expect.stringContaining('aws_alb') }],
    ['variants[1].name', { ...minimal, variants: [{ name: 'a' }, { name: 'a' }] }, { rule: 'variant a is listed twice (variants[0])' }],
    ['hostnames[1]', { ...minimal, hostnames: ['a-b.example.com', 'a.b.example.com'] }, { rule: expect.stringContaining('both map to the env var CLUSTER_UPSTREAMS_A_B_EXAMPLE_COM') }],
    ['upstreams[0].variant', { ...minimal, variants: [{ name: 'a' }, { name: 'b' }], upstreams: [{ variant: 'c', app: 'x' }] }, { value: 'c', rule: "must be one of the file's variants (a, b)" }],
    ['upstreams[0].hostname', { ...minimal, variants: [{ name: 'a' }], upstreams: [{ variant: 'a', app: 'x', hostname: 'z.example.com' }] }, { rule: expect.stringContaining("file's hostnames") }],
    ['upstreams[1]', { ...minimal, variants: [{ name: 'a' }], upstreams: [{ variant: 'a', app: 'x' }, { variant: 'a', app: 'x', weight: 5 }] }, { rule: expect.stringContaining('the same upstream as upstreams[0]') }],
  ])('%s: the path in the file, the value and the rule', (field, doc, expected) => {
    expect(refusal(doc)).toMatchObject({ code: 'invalid', field, ...expected });
  });

  it('an unknown field at any level: its path, the fields that exist and a did-you-mean', () => {
    expect(refusal({ ...minimal, variants: [{ name: 'a', wieght: 5 }] })).toEqual({
      code: 'invalid',
      message: 'unknown field variants[0].wieght — did you mean weight?',
      field: 'variants[0].wieght',
      rule: 'not a field of a variant (fields: name, weight, status, description)',
      hint: 'weight',
    });
    expect(refusal({ ...minimal, hostname: [] })).toMatchObject({ field: 'hostname', hint: 'hostnames' });
    expect(refusal({ ...minimal, health: { intervall: '1s' } })).toMatchObject({ field: 'health.intervall', hint: 'interval' });
    expect(refusal({ ...minimal, edge_config: { token: 'x' } })).toMatchObject({ field: 'edge_config.token', rule: expect.stringContaining('cloudflare_api_token') });
  });

  it('secrets may be left out (apply keeps the stored ones); given ones are checked and never shown', () => {
    expect(clusterDocument.safeParse({ ...minimal, edge: 'cloudflare', edge_config: { cloudflare_zone_id: '0123456789abcdef0123456789abcdef' } }).success).toBe(true);
    const bad = refusal({ ...minimal, edge: 'cloudflare', edge_config: { cloudflare_zone_id: '0123456789abcdef0123456789abcdef', cloudflare_api_token: 'short secret' } });
    expect(bad).toMatchObject({ field: 'edge_config.cloudflare_api_token', value: '(hidden)' });
    expect(JSON.stringify(bad)).not.toContain('short secret');
  });

  it('members: optional; when given they must follow from the upstreams', () => {
    const doc = {
      ...minimal,
      variants: [{ name: 'a' }, { name: 'b' }],
      upstreams: [
        { variant: 'a', app: 'x', status: 'draining' },
        { variant: 'b', app: 'x' },
        { variant: 'a', app: 'y', status: 'draining' },
        { variant: 'a', url: 'https://u.example.net' },
      ],
    };
    const derived = [
      { app: 'x', variants: ['a', 'b'], status: 'active' },
      { app: 'y', variants: ['a'], status: 'draining' },
    ];
    expect(membersOf(clusterDocument.parse(doc).upstreams)).toEqual(derived);
    expect(clusterDocument.safeParse({ ...doc, members: derived }).success).toBe(true);
    expect(clusterDocument.safeParse({ ...doc, members: [...derived].reverse() }).success).toBe(true);
    expect(refusal({ ...doc, members: [derived[0], { ...derived[1], status: 'active' }] })).toMatchObject({ field: 'members[1].status' });
    expect(refusal({ ...doc, members: [{ ...derived[0], variants: ['a'] }, derived[1]] })).toMatchObject({ field: 'members[0].variants' });
    expect(refusal({ ...doc, members: [...derived, { app: 'z', variants: ['a'], status: 'active' }] })).toMatchObject({ field: 'members[2].app' });
    expect(refusal({ ...doc, members: [derived[0]] })).toMatchObject({ field: 'members', rule: expect.stringContaining('app y has upstreams but is not listed') });
  });
});

describe('naming and identity', () => {
  it('documentPath: brackets for list items', () => {
    expect(documentPath(['variants', 1, 'weight'])).toBe('variants[1].weight');
    expect(documentPath(['document', 'upstreams', 12])).toBe('document.upstreams[12]');
    expect(documentPath([])).toBe('');
  });

  it('an apply request names paths from the document down', () => {
    const raw = { document: { ...minimal, variants: [{ name: 'a', weight: -1 }] } };
    const r = clusterApplyRequest.safeParse(raw);
    expect(r.success).toBe(false);
    expect(documentIssueDetails(r.error!.issues[0]!, raw, ['document'])).toMatchObject({ field: 'document.variants[0].weight', value: '-1' });
  });

  it('upstreamKey: variant, hostname (or every one) and target; weight, status and Host are not part of it', () => {
    const k = upstreamKey({ variant: 'a', hostname: null, app: 'x' });
    expect(upstreamKey({ variant: 'a', hostname: null, app: 'x', url: null })).toBe(k);
    expect(upstreamKey({ variant: 'a', hostname: 'h.example.com', app: 'x' })).not.toBe(k);
    expect(upstreamKey({ variant: 'b', hostname: null, app: 'x' })).not.toBe(k);
    expect(upstreamKey({ variant: 'a', hostname: null, url: 'x' })).not.toBe(k);
  });
});

describe('documentIssuesInOrder', () => {
  it('an unknown field comes first: the typo is the cause of the "missing" field', () => {
    const doc = { ...minimal, variants: [{ nmae: 'b' }] };
    const r = clusterDocument.safeParse(doc);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.code).not.toBe('unrecognized_keys');
    const [first] = documentIssuesInOrder(r.error!.issues);
    expect(documentIssueDetails(first!, doc)).toMatchObject({ field: 'variants[0].nmae', hint: 'name' });
  });
});
