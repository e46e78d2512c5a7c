import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DRAIN_NOTE } from '../../src/edge/aws-alb.js';
import { createEdgeDriver, EdgeError, TEST_EDGE_ENDPOINTS_ENV, type EdgeDriver } from '../../src/edge/index.js';
import { startAlbFake, type AlbFake, type AlbFakeOptions } from '../fakes/alb-server.js';

const ARN = 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/ownstack-api/73e2d6bc24d8a067';
const ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const HOSTS = ['api.example.test', 'app.example.test'];
const TWO = [
  { address: '10.0.1.10', port: 8443 },
  { address: '10.0.1.11', port: 8443 },
];
const HEALTH = `DescribeTargetHealth TargetGroupArn=${ARN}`;

let fake: AlbFake;
let logs: string[];

async function start(extra: Partial<AlbFakeOptions> = {}): Promise<void> {
  fake = await startAlbFake({ accessKeyId: ACCESS_KEY, targetGroups: [{ arn: ARN, name: 'ownstack-api', targetType: 'ip', port: 8443 }], ...extra });
}

// The reconciler knows the group's target type once it asked (targetType: null here: ask).
function driver(opts: { accessKeyId?: string; arn?: string; maxAttempts?: number; targetType?: 'ip' | 'instance' | null } = {}): EdgeDriver {
  const targetType = opts.targetType === undefined ? 'ip' : opts.targetType;
  return createEdgeDriver(
    { name: 'api', edge: 'aws_alb', edge_config: { alb_target_group_arn: opts.arn ?? ARN, aws_endpoint: fake.endpoint } },
    {
      // The stand-in ALB API on loopback is reachable only through the test-only override.
      env: { [TEST_EDGE_ENDPOINTS_ENV]: '1' },
      aws: { credentials: { accessKeyId: opts.accessKeyId ?? ACCESS_KEY, secretAccessKey: SECRET_KEY }, maxAttempts: opts.maxAttempts ?? 3, ...(targetType ? { targetType } : {}) },
      logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    },
  );
}

async function caught(p: Promise<unknown>): Promise<EdgeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EdgeError);
  return err as EdgeError;
}

beforeEach(async () => {
  logs = [];
  await start();
});
afterEach(async () => {
  await fake.close();
  expect(logs.join('\n')).not.toContain(SECRET_KEY);
});

describe('aws_alb edge: create, proxy failure, destroy', () => {
  it('create: registers the proxies as ip targets in one RegisterTargets call', async () => {
    const result = await driver().publish(HOSTS, TWO);
    expect(fake.lines()).toEqual([
      HEALTH,
      `RegisterTargets TargetGroupArn=${ARN} Targets.member.1.Id=10.0.1.10 Targets.member.1.Port=8443 Targets.member.2.Id=10.0.1.11 Targets.member.2.Port=8443`,
    ]);
    expect(fake.requests.every((r) => r.accessKeyId === ACCESS_KEY)).toBe(true);
    expect(result).toEqual({
      added: [
        { hostname: '*', type: 'target', value: '10.0.1.10:8443' },
        { hostname: '*', type: 'target', value: '10.0.1.11:8443' },
      ],
      removed: [],
      unchanged: 0,
      writes: 1,
    });
    expect(await driver().read(HOSTS)).toEqual(result.added);
  });

  it('a second reconcile with no change sends no write', async () => {
    const d = driver();
    await d.publish(HOSTS, TWO);
    const from = fake.requests.length;
    expect(await d.publish(HOSTS, TWO)).toEqual({ added: [], removed: [], unchanged: 2, writes: 0 });
    expect(fake.lines(from)).toEqual([HEALTH]);
  });

  it('proxy failure: deregisters exactly the proxy that left; it drains for the deregistration delay', async () => {
    const d = driver();
    await d.publish(HOSTS, TWO);
    fake.setState(ARN, '10.0.1.10:8443', 'healthy');
    fake.setState(ARN, '10.0.1.11:8443', 'healthy');
    const from = fake.requests.length;
    const result = await d.publish(HOSTS, [TWO[0]!]);
    expect(fake.lines(from)).toEqual([HEALTH, `DeregisterTargets TargetGroupArn=${ARN} Targets.member.1.Id=10.0.1.11 Targets.member.1.Port=8443`]);
    expect(result).toEqual({ added: [], removed: [{ hostname: '*', type: 'target', value: '10.0.1.11:8443' }], unchanged: 1, writes: 1, notes: [DRAIN_NOTE] });
    expect(await d.health!()).toEqual([
      { target: '10.0.1.10:8443', state: 'healthy' },
      {
        target: '10.0.1.11:8443',
        state: 'draining',
        reason: 'Target.DeregistrationInProgress: Target deregistration is in progress: leaves after the target group deregistration delay',
      },
    ]);
    // While it drains, the same desired set needs no write; a draining target is not "published".
    const again = fake.requests.length;
    expect((await d.publish(HOSTS, [TWO[0]!])).writes).toBe(0);
    expect(fake.lines(again)).toEqual([HEALTH]);
    expect(await d.read(HOSTS)).toEqual([{ hostname: '*', type: 'target', value: '10.0.1.10:8443' }]);
  });

  it('a proxy that comes back while draining is registered again', async () => {
    const d = driver();
    await d.publish(HOSTS, TWO);
    await d.publish(HOSTS, [TWO[0]!]);
    const from = fake.requests.length;
    const result = await d.publish(HOSTS, TWO);
    expect(fake.lines(from)).toEqual([HEALTH, `RegisterTargets TargetGroupArn=${ARN} Targets.member.1.Id=10.0.1.11 Targets.member.1.Port=8443`]);
    expect(result).toMatchObject({ unchanged: 1, writes: 1 });
  });

  it('destroy: deregisters every target in one call', async () => {
    const d = driver();
    await d.publish(HOSTS, TWO);
    const from = fake.requests.length;
    const result = await d.remove(HOSTS);
    expect(fake.lines(from)).toEqual([
      HEALTH,
      `DeregisterTargets TargetGroupArn=${ARN} Targets.member.1.Id=10.0.1.10 Targets.member.1.Port=8443 Targets.member.2.Id=10.0.1.11 Targets.member.2.Port=8443`,
    ]);
    expect(result).toMatchObject({ writes: 1, unchanged: 0, notes: [DRAIN_NOTE] });
    expect(result.removed).toHaveLength(2);
    fake.finishDraining();
    expect(await d.read(HOSTS)).toEqual([]);
    const again = fake.requests.length;
    expect((await d.remove(HOSTS)).writes).toBe(0);
    expect(fake.lines(again)).toEqual([HEALTH]);
  });
});

describe('aws_alb edge: ip and instance target groups', () => {
  const INSTANCES = [
    { address: '198.51.100.10', port: 8443, instanceId: 'i-0123456789abcdef0' },
    { address: '198.51.100.11', port: 8443, instanceId: 'i-0fedcba9876543210' },
  ];
  const GROUP = `DescribeTargetGroups TargetGroupArns.member.1=${ARN}`;
  const instanceGroup = async () => {
    await fake.close();
    await start({ targetGroups: [{ arn: ARN, name: 'ownstack-api', targetType: 'instance', port: 8443 }] });
  };

  it('an instance group registers the proxies’ instance ids on their ports, not their addresses', async () => {
    await instanceGroup();
    const d = driver({ targetType: null });
    expect(await d.targetType!()).toBe('instance');
    const result = await d.publish(HOSTS, INSTANCES);
    // The type is asked once per driver.
    expect(fake.lines()).toEqual([
      GROUP,
      HEALTH,
      `RegisterTargets TargetGroupArn=${ARN} Targets.member.1.Id=i-0123456789abcdef0 Targets.member.1.Port=8443 Targets.member.2.Id=i-0fedcba9876543210 Targets.member.2.Port=8443`,
    ]);
    expect(result.added.map((r) => r.value)).toEqual(['i-0123456789abcdef0:8443', 'i-0fedcba9876543210:8443']);
    const from = fake.requests.length;
    const after = await d.publish(HOSTS, [INSTANCES[0]!]);
    expect(fake.lines(from)).toEqual([HEALTH, `DeregisterTargets TargetGroupArn=${ARN} Targets.member.1.Id=i-0fedcba9876543210 Targets.member.1.Port=8443`]);
    expect(after.removed.map((r) => r.value)).toEqual(['i-0fedcba9876543210:8443']);
  });

  it('an instance group refuses a proxy without an instance id before any write', async () => {
    await instanceGroup();
    const err = await caught(driver({ targetType: 'instance' }).publish(HOSTS, [INSTANCES[0]!, { address: '198.51.100.12', port: 8443 }]));
    expect(err.kind).toBe('invalid');
    expect(err.message).toBe(`proxy 198.51.100.12:8443 has no EC2 instance id, which the instance target group ${ARN} needs`);
    expect(err.hint).toContain('--instance-id');
    expect(fake.lines()).toEqual([]);
  });

  it('an ip group (type asked of the provider) registers the addresses even when the proxies have instance ids', async () => {
    const d = driver({ targetType: null });
    await d.publish(HOSTS, INSTANCES);
    expect(fake.lines()).toEqual([
      GROUP,
      HEALTH,
      `RegisterTargets TargetGroupArn=${ARN} Targets.member.1.Id=198.51.100.10 Targets.member.1.Port=8443 Targets.member.2.Id=198.51.100.11 Targets.member.2.Port=8443`,
    ]);
  });

  it('verify learns the type: the publish after it asks no more', async () => {
    const d = driver({ targetType: null });
    await d.verify();
    await d.publish(HOSTS, TWO);
    expect(fake.lines().filter((l) => l.startsWith('DescribeTargetGroups'))).toHaveLength(1);
  });
});

describe('aws_alb edge: verify, errors, throttling, pagination', () => {
  it('verify: DescribeTargetGroups for the configured ARN', async () => {
    await driver().verify();
    expect(fake.lines()).toEqual([`DescribeTargetGroups TargetGroupArns.member.1=${ARN}`]);
  });

  it('verify: follows NextMarker pages', async () => {
    await fake.close();
    await start({ paginateTargetGroups: true });
    await driver().verify();
    expect(fake.lines()).toEqual([`DescribeTargetGroups TargetGroupArns.member.1=${ARN}`, `DescribeTargetGroups TargetGroupArns.member.1=${ARN} Marker=1`]);
  });

  it('verify: refused credentials are an auth error without the secret', async () => {
    const err = await caught(driver({ accessKeyId: 'AKIAWRONGWRONGWRONG1' }).verify());
    expect(err.kind).toBe('auth');
    expect(err.message).toBe('AWS DescribeTargetGroups failed: InvalidClientTokenId (HTTP 403)');
    expect(`${err.message}${err.hint}`).not.toContain(SECRET_KEY);
  });

  it('verify: an unknown target group is invalid and names the settings', async () => {
    const err = await caught(driver({ arn: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/other/0123456789abcdef' }).verify());
    expect(err.kind).toBe('invalid');
    expect(err.message).toBe('AWS DescribeTargetGroups failed: TargetGroupNotFound (HTTP 400)');
    expect(err.hint).toContain('alb_target_group_arn');
  });

  it('verify: a lambda target group is refused', async () => {
    await fake.close();
    fake = await startAlbFake({ accessKeyId: ACCESS_KEY, targetGroups: [{ arn: ARN, name: 'ownstack-api', targetType: 'lambda', port: 80 }] });
    const err = await caught(driver().verify());
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain('target type lambda');
  });

  it('throttling: the SDK retries within maxAttempts', async () => {
    fake.inject({ action: 'RegisterTargets', status: 400, code: 'Throttling', message: 'Rate exceeded' });
    const result = await driver().publish(HOSTS, TWO);
    expect(result.writes).toBe(1);
    expect(fake.requests.map((r) => `${r.action}${r.injected ? ` (${r.injected})` : ''}`)).toEqual([
      'DescribeTargetHealth',
      'RegisterTargets (Throttling)',
      'RegisterTargets',
    ]);
  });

  it('throttling that outlasts maxAttempts is unavailable', async () => {
    fake.inject({ action: 'DescribeTargetHealth', status: 400, code: 'Throttling', message: 'Rate exceeded', times: 10 });
    const err = await caught(driver({ maxAttempts: 2 }).publish(HOSTS, TWO));
    expect(err.kind).toBe('unavailable');
    expect(err.message).toBe('AWS DescribeTargetHealth failed: Throttling (HTTP 400)');
    expect(fake.requests).toHaveLength(2);
  });

  it('a failed deregistration reports the registration that already happened', async () => {
    const d = driver();
    await d.publish(HOSTS, [TWO[0]!]);
    fake.inject({ action: 'DeregisterTargets', status: 400, code: 'InvalidTarget', message: 'The following targets are not in a running state' });
    const err = await caught(d.publish(HOSTS, [TWO[1]!]));
    expect(err.kind).toBe('invalid');
    expect(err.partial).toMatchObject({ writes: 1, added: [{ value: '10.0.1.11:8443' }] });
  });

  it('refuses an empty proxy set', async () => {
    expect((await caught(driver().publish(HOSTS, []))).kind).toBe('invalid');
    expect(fake.requests).toHaveLength(0);
  });
});
