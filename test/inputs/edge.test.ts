import { describe, expect, it } from 'vitest';
import {
  albTargetGroupArnSchema,
  awsRegionSchema,
  checkAlbTargetGroupArn,
  checkCloudflareToken,
  cloudflareTokenSchema,
  cloudflareZoneIdSchema,
  edgeModeSchema,
  edgeSettingsSchema,
  regionFromArn,
} from '../../src/inputs/edge.js';

const zone = '0123456789abcdef0123456789abcdef';
const token = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-Ab'; // 40 chars, the Cloudflare shape
const arn = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/my-proxies/0123456789abcdef';

type Issue = { path: PropertyKey[]; message: string; params?: { fix?: string } };
function issues(raw: unknown): Issue[] {
  const r = edgeSettingsSchema.safeParse(raw);
  return r.success ? [] : (r.error.issues as Issue[]);
}

describe('edgeModeSchema', () => {
  it.each(['dns_rr', 'cloudflare', 'aws_alb', 'none'])('accepts %s', (mode) => {
    expect(edgeModeSchema.parse(mode)).toBe(mode);
  });
  it.each(['DNS_RR', 'aws-alb', 'alb', '', 'route53'])('rejects %s, listing the modes', (mode) => {
    expect(edgeModeSchema.safeParse(mode).error?.issues[0]?.message).toBe('edge must be one of dns_rr, cloudflare, aws_alb, none');
  });
});

describe('cloudflareZoneIdSchema: 32 hex, lower-cased', () => {
  it.each([
    [zone, zone],
    [zone.toUpperCase(), zone],
    ['ABCDEF0123456789abcdef0123456789', 'abcdef0123456789abcdef0123456789'],
  ])('accepts %s', (raw, value) => {
    expect(cloudflareZoneIdSchema.parse(raw)).toBe(value);
  });
  it.each([zone.slice(1), `${zone}0`, `${zone.slice(1)}g`, '', 'zone', `${zone.slice(0, 16)}-${zone.slice(17)}`])('rejects %s', (raw) => {
    expect(cloudflareZoneIdSchema.safeParse(raw).error?.issues[0]?.message).toMatch(/32 hexadecimal characters/);
  });
  it('suggests the trimmed id', () => {
    const issue = cloudflareZoneIdSchema.safeParse(` ${zone.toUpperCase()}\n`).error?.issues[0] as Issue;
    expect(issue.params?.fix).toBe(zone);
  });
});

describe('cloudflareTokenSchema: 20–200 of [A-Za-z0-9_-], never echoed', () => {
  it.each([
    ['20 chars', 'a'.repeat(20), true],
    ['19 chars', 'a'.repeat(19), false],
    ['40 chars', token, true],
    ['200 chars', 'A'.repeat(200), true],
    ['201 chars', 'A'.repeat(201), false],
    ['a dot', `${'a'.repeat(30)}.x`, false],
    ['a space', `${'a'.repeat(30)} x`, false],
    ['a brace', `${'a'.repeat(30)}{x}`, false],
    ['surrounding whitespace', ` ${token}`, false],
    ['empty', '', false],
  ])('%s → ok=%s', (_label, raw, ok) => {
    const r = cloudflareTokenSchema.safeParse(raw);
    expect(r.success).toBe(ok);
    if (!r.success) {
      const issue = r.error.issues[0] as Issue;
      if (raw.trim() !== '') expect(issue.message).not.toContain(raw.trim());
      expect(issue.params?.fix).toBeUndefined();
    }
  });
  it('check result never contains the token', () => {
    const secret = 'SeCrEt_'.repeat(40);
    expect(JSON.stringify(checkCloudflareToken(secret))).not.toContain('SeCrEt_');
  });
});

describe('awsRegionSchema', () => {
  it.each([
    ['us-east-1', 'us-east-1'],
    ['eu-central-1', 'eu-central-1'],
    ['us-gov-west-1', 'us-gov-west-1'],
    ['cn-north-1', 'cn-north-1'],
    ['ap-southeast-2', 'ap-southeast-2'],
    ['il-central-1', 'il-central-1'],
    ['US-EAST-1', 'us-east-1'],
  ])('accepts %s as %s', (raw, value) => {
    expect(awsRegionSchema.parse(raw)).toBe(value);
  });
  it.each([
    ['us-east', undefined],
    ['useast1', undefined],
    ['us-middle-1', undefined],
    ['eu-central-', undefined],
    ['', undefined],
    [' us-east-1', 'us-east-1'],
  ])('rejects %j (fix %s)', (raw, fix) => {
    const issue = awsRegionSchema.safeParse(raw).error?.issues[0] as Issue;
    expect(issue.message).toMatch(/AWS region looks like/);
    expect(issue.params?.fix).toBe(fix);
  });
});

describe('albTargetGroupArnSchema and regionFromArn', () => {
  const name32 = 'a'.repeat(32);
  it.each([
    [arn, 'eu-west-1'],
    ['arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:targetgroup/tg/0123456789abcdef', 'cn-north-1'],
    ['arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:targetgroup/tg/0123456789abcdef', 'us-gov-west-1'],
    [`arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name32}/0123456789abcdef`, 'us-east-1'],
    ['arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/A/0123456789abcdef', 'us-east-1'],
  ])('accepts %s (region %s)', (raw, region) => {
    expect(albTargetGroupArnSchema.parse(raw)).toBe(raw);
    expect(regionFromArn(raw)).toBe(region);
  });
  it.each([
    ['name 33 chars', `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name32}a/0123456789abcdef`, /target group ARN looks like/],
    ['empty name', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup//0123456789abcdef', /target group ARN looks like/],
    ['11-digit account', 'arn:aws:elasticloadbalancing:us-east-1:12345678901:targetgroup/tg/0123456789abcdef', /target group ARN looks like/],
    ['13-digit account', 'arn:aws:elasticloadbalancing:us-east-1:1234567890123:targetgroup/tg/0123456789abcdef', /target group ARN looks like/],
    ['15-hex id', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcde', /target group ARN looks like/],
    ['17-hex id', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef0', /target group ARN looks like/],
    ['upper-case hex', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789ABCDEF', /target group ARN looks like/],
    ['load balancer ARN', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/lb/0123456789abcdef', /target group ARN looks like/],
    ['other service', 'arn:aws:ec2:us-east-1:123456789012:targetgroup/tg/0123456789abcdef', /target group ARN looks like/],
    ['other partition', 'arn:aws-iso:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef', /target group ARN looks like/],
    ['underscore in name', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t_g/0123456789abcdef', /target group ARN looks like/],
    ['leading dash in name', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/-tg/0123456789abcdef', /start or end with "-"/],
    ['bad region', 'arn:aws:elasticloadbalancing:mars-1:123456789012:targetgroup/tg/0123456789abcdef', /not an AWS region/],
    ['cn region in aws partition', 'arn:aws:elasticloadbalancing:cn-north-1:123456789012:targetgroup/tg/0123456789abcdef', /needs arn:aws-cn/],
    ['aws region in cn partition', 'arn:aws-cn:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef', /needs arn:aws$/],
  ])('rejects %s', (_label, raw, rule) => {
    expect(albTargetGroupArnSchema.safeParse(raw).error?.issues[0]?.message).toMatch(rule);
    expect(regionFromArn(raw)).toBeNull();
  });
  it('suggests the trimmed ARN', () => {
    expect(checkAlbTargetGroupArn(` ${arn} `)).toMatchObject({ ok: false, fix: arn });
  });
});

describe('edgeSettingsSchema', () => {
  it('defaults to dns_rr', () => {
    expect(edgeSettingsSchema.parse({})).toEqual({ edge: 'dns_rr' });
  });
  it.each([
    [{ edge: 'none' }],
    [{ edge: 'dns_rr' }],
    [{ edge: 'cloudflare', cloudflare_api_token: token, cloudflare_zone_id: zone }],
    [{ edge: 'aws_alb', alb_target_group_arn: arn, alb_region: 'eu-west-1' }],
  ])('accepts %j', (raw) => {
    expect(edgeSettingsSchema.safeParse(raw).success).toBe(true);
  });
  it('normalises nested values', () => {
    expect(edgeSettingsSchema.parse({ edge: 'cloudflare', cloudflare_api_token: token, cloudflare_zone_id: zone.toUpperCase() })).toEqual({
      edge: 'cloudflare',
      cloudflare_api_token: token,
      cloudflare_zone_id: zone,
    });
  });
  it('cloudflare needs the token', () => {
    expect(issues({ edge: 'cloudflare', cloudflare_zone_id: zone })).toEqual([
      expect.objectContaining({ path: ['cloudflare_api_token'], message: expect.stringMatching(/edge cloudflare needs an API token/) }),
    ]);
  });
  it('cloudflare needs the zone id', () => {
    expect(issues({ edge: 'cloudflare', cloudflare_api_token: token })).toEqual([
      expect.objectContaining({ path: ['cloudflare_zone_id'], message: expect.stringMatching(/edge cloudflare needs the zone id/) }),
    ]);
  });
  it('cloudflare with neither reports both', () => {
    expect(issues({ edge: 'cloudflare' }).map((i) => i.path[0])).toEqual(['cloudflare_api_token', 'cloudflare_zone_id']);
  });
  it('aws_alb needs the ARN', () => {
    expect(issues({ edge: 'aws_alb', alb_region: 'eu-west-1' }).map((i) => i.path[0])).toEqual(['alb_target_group_arn']);
  });
  it('aws_alb needs the region, and the fix is the ARN region', () => {
    const [issue] = issues({ edge: 'aws_alb', alb_target_group_arn: arn });
    expect(issue?.path).toEqual(['alb_region']);
    expect(issue?.params?.fix).toBe('eu-west-1');
  });
  it.each([
    ['eu-west-1', true],
    ['EU-WEST-1', true],
    ['eu-west-2', false],
    ['us-east-1', false],
  ])('aws_alb region %s vs ARN region eu-west-1 → ok=%s', (region, ok) => {
    const found = issues({ edge: 'aws_alb', alb_target_group_arn: arn, alb_region: region });
    expect(found.length === 0).toBe(ok);
    if (!ok) {
      expect(found[0]).toMatchObject({ path: ['alb_region'], message: "alb_region must be the target group ARN's region (eu-west-1)", params: { fix: 'eu-west-1' } });
    }
  });
  it.each([
    ['dns_rr', 'cloudflare_zone_id', zone, 'cloudflare'],
    ['dns_rr', 'cloudflare_api_token', token, 'cloudflare'],
    ['none', 'alb_target_group_arn', arn, 'aws_alb'],
    ['none', 'alb_region', 'eu-west-1', 'aws_alb'],
  ])('edge %s rejects %s (it belongs to %s)', (edge, field, value, mode) => {
    const found = issues({ edge, [field]: value });
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toEqual([field]);
    expect(found[0]?.message).toBe(`${field} applies only to edge ${mode}, but edge is ${edge}; remove it or use edge ${mode}`);
  });
  it('cloudflare with ALB settings rejects the ALB settings', () => {
    const found = issues({ edge: 'cloudflare', cloudflare_api_token: token, cloudflare_zone_id: zone, alb_region: 'eu-west-1' });
    expect(found.map((i) => i.path[0])).toEqual(['alb_region']);
  });
  it('a bad field is reported at its own path', () => {
    const found = issues({ edge: 'cloudflare', cloudflare_api_token: 'short', cloudflare_zone_id: zone });
    expect(found.map((i) => i.path[0])).toEqual(['cloudflare_api_token']);
    expect(JSON.stringify(found)).not.toContain('short');
  });
});
