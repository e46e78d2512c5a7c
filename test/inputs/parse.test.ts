import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UsageError } from '../../src/errors.js';
import { healthSettingsSchema } from '../../src/inputs/duration.js';
import { edgeSettingsSchema } from '../../src/inputs/edge.js';
import { hostnameSchema } from '../../src/inputs/hostname.js';
import { weightSchema } from '../../src/inputs/numbers.js';
import { flagForPath, issueToDetails, parseInput, secretFieldsOf } from '../../src/inputs/parse.js';
import { upstreamUrlSchema } from '../../src/inputs/upstream-url.js';

function thrown(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('expected a UsageError');
}

const upstreamInput = z.object({ url: upstreamUrlSchema, weight: weightSchema.optional() });

describe('parseInput', () => {
  it('returns the parsed output on success', () => {
    expect(parseInput(upstreamInput, { url: 'HTTPS://App.example.com', weight: '5' }, {})).toEqual({ url: 'https://app.example.com', weight: 5 });
  });

  it('names the flag, the value, the rule and the fix', () => {
    const err = thrown(() => parseInput(upstreamInput, { url: 'https://app.example.com/' }, { url: '--url' }));
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(
      'invalid --url "https://app.example.com/": a URL upstream must be scheme://host[:port] with no path, query or fragment — try --url=https://app.example.com',
    );
    expect(err.details).toEqual({
      code: 'invalid',
      message: err.message,
      field: '--url',
      value: 'https://app.example.com/',
      rule: 'a URL upstream must be scheme://host[:port] with no path, query or fragment',
      hint: 'https://app.example.com',
    });
  });

  it('leaves out the "try" part when there is no fix', () => {
    const err = thrown(() => parseInput(upstreamInput, { url: 'ftp://x.com' }, { url: '--url' }));
    expect(err.message).toBe('invalid --url "ftp://x.com": a URL upstream must use http:// or https:// (Caddy proxies to nothing else here)');
    expect(err.details?.hint).toBeUndefined();
  });

  it('reports only the first issue', () => {
    const err = thrown(() => parseInput(upstreamInput, { url: 'https://a.com/', weight: '-1' }, {}));
    expect(err.details?.field).toBe('--url');
  });

  it('uses --<path> with _ → - for unmapped paths', () => {
    const err = thrown(() => parseInput(edgeSettingsSchema, { edge: 'aws_alb', alb_target_group_arn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg/0123456789abcdef', alb_region: 'us-east-1' }, {}));
    expect(err.details?.field).toBe('--alb-region');
    expect(err.message).toBe(`invalid --alb-region "us-east-1": alb_region must be the target group ARN's region (eu-west-1) — try --alb-region=eu-west-1`);
  });

  it('maps nested paths through the flags table', () => {
    const schema = z.object({ health: healthSettingsSchema });
    const err = thrown(() => parseInput(schema, { health: { interval: '5s', timeout: '5s' } }, { 'health.timeout': '--health-timeout' }));
    expect(err.message).toBe('invalid --health-timeout "5s": the health timeout must be shorter than the interval (5s) — try --health-timeout=2500ms');
  });

  it('falls back to dashes for nested unmapped paths', () => {
    expect(flagForPath('health.timeout', {})).toBe('--health-timeout');
    expect(flagForPath('proxy_count', {})).toBe('--proxy-count');
    expect(flagForPath('', {})).toBe('<value>');
    expect(flagForPath('url', { url: '--to' })).toBe('--to');
  });

  it('shows a positional argument fix without a name= form', () => {
    const err = thrown(() => parseInput(hostnameSchema, 'https://api.example.com', { '': '<hostname>' }));
    expect(err.message).toBe('invalid <hostname> "https://api.example.com": a hostname is just the name, without a scheme like https:// — try api.example.com');
    expect(err.details?.field).toBe('<hostname>');
  });

  it('never echoes a token', () => {
    const secret = 'sEcReT.sEcReT.sEcReT.sEcReT';
    const err = thrown(() =>
      parseInput(edgeSettingsSchema, { edge: 'cloudflare', cloudflare_zone_id: '0123456789abcdef0123456789abcdef', cloudflare_api_token: secret }, { cloudflare_api_token: '--cloudflare-api-token' }),
    );
    expect(err.message).toMatch(/^invalid --cloudflare-api-token \(hidden\): a Cloudflare API token may contain only/);
    expect(err.details?.value).toBe('(hidden)');
    expect(JSON.stringify(err.details)).not.toContain('sEcReT');
    expect(err.message).not.toContain('sEcReT');
  });

  it('hides a token given for the wrong mode too', () => {
    const err = thrown(() => parseInput(edgeSettingsSchema, { edge: 'dns_rr', cloudflare_api_token: 'A'.repeat(40) }, {}));
    expect(err.message).toBe(
      'invalid --cloudflare-api-token (hidden): cloudflare_api_token applies only to edge cloudflare, but edge is dns_rr; remove it or use edge cloudflare',
    );
  });

  it('says "missing" for an absent required value', () => {
    const err = thrown(() => parseInput(edgeSettingsSchema, { edge: 'cloudflare', cloudflare_api_token: 'A'.repeat(40) }, { cloudflare_zone_id: '--zone-id' }));
    expect(err.message).toBe('missing --zone-id: edge cloudflare needs the zone id (cloudflare_zone_id) of the zone the hostnames live in');
    expect(err.details?.value).toBeUndefined();
  });

  it('rewrites zod type messages for a missing field', () => {
    const err = thrown(() => parseInput(upstreamInput, {}, { url: '--url' }));
    expect(err.message).toBe('missing --url: a value is required');
  });

  it('suggests the enum value for a case or dash slip', () => {
    const err = thrown(() => parseInput(edgeSettingsSchema, { edge: 'AWS-ALB' }, { edge: '--edge' }));
    expect(err.message).toBe('invalid --edge "AWS-ALB": edge must be one of dns_rr, cloudflare, aws_alb, none — try --edge=aws_alb');
  });

  it('quotes control characters in values', () => {
    const err = thrown(() => parseInput(hostnameSchema, 'a b\n', { '': '<hostname>' }));
    expect(err.message.startsWith('invalid <hostname> "a b\\n":')).toBe(true);
  });

  it('echoes numbers as written', () => {
    const err = thrown(() => parseInput(z.object({ weight: weightSchema }), { weight: 1001 }, { weight: '--weight' }));
    expect(err.message).toBe('invalid --weight "1001": a weight must be a whole number from 0 to 1000 — try --weight=1000');
  });
});

describe('issueToDetails (server use: JSON field names)', () => {
  it('builds the error body from an issue and the whole raw input', () => {
    const raw = { url: 'https://app.example.com?x=1' };
    const r = upstreamInput.safeParse(raw);
    const issue = r.error?.issues[0];
    if (issue === undefined) throw new Error('expected an issue');
    expect(issueToDetails(issue, 'url', raw, new Set())).toEqual({
      code: 'invalid',
      message: 'invalid url "https://app.example.com?x=1": a URL upstream must be scheme://host[:port] with no path, query or fragment — try https://app.example.com',
      field: 'url',
      value: 'https://app.example.com?x=1',
      rule: 'a URL upstream must be scheme://host[:port] with no path, query or fragment',
      hint: 'https://app.example.com',
    });
  });
  it('hides the fields the schema marks secret', () => {
    const raw = { cloudflare_api_token: 'x' };
    const issue = edgeSettingsSchema.safeParse(raw).error?.issues[0];
    if (issue === undefined) throw new Error('expected an issue');
    const d = issueToDetails(issue, 'cloudflare_api_token', raw, secretFieldsOf(edgeSettingsSchema));
    expect(d.value).toBe('(hidden)');
    expect(d.hint).toBeUndefined();
  });
});
