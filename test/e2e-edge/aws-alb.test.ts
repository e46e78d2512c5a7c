// Edge aws_alb end to end: the built CLI, its local control plane and two real Caddy
// replicas (127.0.0.2, 127.0.0.3) against a fake ELBv2 Query API on 127.0.0.1
// (test/fakes/alb-server.ts). The AWS SDK in the control plane finds the fake through its own
// standard setting AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 and signs with static credentials
// from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (the usual credential chain; shared config files
// and the instance metadata service are switched off so nothing leaves the machine).
// Asserts the exact actions: create (verify, RegisterTargets), no write when nothing changed,
// a killed proxy deregistered by the proxy → edge loop (draining shown in status from
// DescribeTargetHealth), destroy deregisters the rest; refused credentials at create: exit 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbFake, type AlbFake } from '../fakes/alb-server.js';
import { assertBuilt, cleanupHome, e2eHome, pidAlive } from '../helpers/e2e.js';
import { caddyInstalled } from '../proxy-runtime/helpers.js';
import { cli, expectSecretNowhere, json, must, proxyLines, serverLog, session, sleep, waitFor, type Session } from './harness.js';

const ARN = 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web-proxies/73e2d6bc24d8a067';
const PORT = 27600;
const T2 = `127.0.0.2:${PORT}`;
const T3 = `127.0.0.3:${PORT}`;
const KEY_ID = 'AKIAOWNSTACKE2ETEST1';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYOWNSTACKE2E';
const caddy = caddyInstalled();
if (!caddy) console.warn('skipping the aws_alb edge e2e: caddy is not installed');

let fake: AlbFake;
let s: Session;

const awsEnv = (keyId: string) => ({
  AWS_ACCESS_KEY_ID: keyId,
  AWS_SECRET_ACCESS_KEY: SECRET,
  AWS_CONFIG_FILE: '/nonexistent/ownstack-e2e',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/ownstack-e2e',
  AWS_EC2_METADATA_DISABLED: 'true',
});
const targets = () => [...(fake.targets.get(ARN)?.values() ?? [])].map((t) => `${t.id}:${t.port} ${t.state}`).sort();
const register = (...ts: string[]) =>
  `RegisterTargets TargetGroupArn=${ARN} ${ts.map((t, i) => `Targets.member.${i + 1}.Id=${t.split(':')[0]} Targets.member.${i + 1}.Port=${t.split(':')[1]}`).join(' ')}`;
const deregister = (...ts: string[]) => register(...ts).replace('RegisterTargets', 'DeregisterTargets');
const DESCRIBE_GROUP = `DescribeTargetGroups TargetGroupArns.member.1=${ARN}`;
const DESCRIBE_HEALTH = `DescribeTargetHealth TargetGroupArn=${ARN}`;

describe.skipIf(!caddy)('edge aws_alb (built CLI, real Caddy replicas, fake ELBv2 on loopback)', () => {
  beforeAll(async () => {
    assertBuilt();
    fake = await startAlbFake({ accessKeyId: KEY_ID, targetGroups: [{ arn: ARN, name: 'web-proxies', targetType: 'ip', port: PORT }] });
    s = session(e2eHome('edge-alb'), {
      AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: fake.endpoint,
      OWNSTACK_PROXY_PORT_BASE: String(PORT),
      OWNSTACK_EDGE_INTERVAL: '500ms',
      // A killed replica stays down long enough for the assertions (it is restarted after this).
      OWNSTACK_PROXY_RESTART_DELAY: '30s',
    });
  }, 60_000);

  afterAll(async () => {
    if (s) await cleanupHome(s.home);
    await fake?.close();
  }, 60_000);

  it('refused credentials at create: exit 2 with the AWS error, nothing saved', async () => {
    // The control plane takes its AWS credentials from its own environment: start it with a bad key.
    await must(s, ['local', 'start'], { env: awsEnv('AKIAOWNSTACKWRONGKEY') });
    const r = await cli(s, ['cluster', 'create', 'web', '--edge=aws_alb', '--edge-allow-private-addresses', `--alb-target-group-arn=${ARN}`, '--proxy-count=2', '--hostname=www.example.com']);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain('the aws_alb edge refused the settings: AWS DescribeTargetGroups failed: InvalidClientTokenId');
    expect(r.stderr).toContain('check the AWS credentials');
    expect(fake.lines()).toEqual([DESCRIBE_GROUP]);
    expect(fake.requests[0]!.accessKeyId).toBe('AKIAOWNSTACKWRONGKEY');
    expect(await json(s, ['cluster', 'list'])).toEqual([]);
    await must(s, ['local', 'stop']);
  }, 60_000);

  it('create: verifies the target group, then registers both proxies as ip targets', async () => {
    await must(s, ['local', 'start'], { env: awsEnv(KEY_ID) });
    const from = fake.requests.length;
    const c = await json(s, ['cluster', 'create', 'web', '--edge=aws_alb', '--edge-allow-private-addresses', `--alb-target-group-arn=${ARN}`, '--proxy-count=2', '--hostname=www.example.com'], { env: awsEnv(KEY_ID) });
    expect(c.edge_config).toEqual({ alb_target_group_arn: ARN, alb_region: 'us-west-2' });
    expect(fake.lines(from)).toEqual([DESCRIBE_GROUP, DESCRIBE_HEALTH, register(T2, T3)]);
    expect(fake.requests.slice(from).every((r) => r.accessKeyId === KEY_ID)).toBe(true);
    expect(targets()).toEqual([`${T2} initial`, `${T3} initial`]);
  }, 60_000);

  it('cluster status shows the targets and their health from DescribeTargetHealth', async () => {
    let st = await json(s, ['cluster', 'status', 'web']);
    expect(st.edge.records).toEqual([
      { hostname: '*', type: 'target', value: T2 },
      { hostname: '*', type: 'target', value: T3 },
    ]);
    expect(st.edge.targets).toEqual([
      { target: T2, state: 'initial', reason: 'Elb.RegistrationInProgress: Target registration is in progress' },
      { target: T3, state: 'initial', reason: expect.any(String) },
    ]);
    expect(st.edge.note).not.toContain('DescribeTargetHealth');
    expect(st.edge.reconciled_at).not.toBeNull();
    fake.setState(ARN, T2, 'healthy');
    fake.setState(ARN, T3, 'unhealthy', 'Target.FailedHealthChecks');
    st = await json(s, ['cluster', 'status', 'web']);
    expect(st.edge.targets).toEqual([
      { target: T2, state: 'healthy', reason: null },
      { target: T3, state: 'unhealthy', reason: 'Target.FailedHealthChecks' },
    ]);
    const tree = await must(s, ['cluster', 'status', 'web']);
    expect(tree.stdout).toMatch(new RegExp(`target health \\(the provider’s view\\)\\n.*${T2.replace(/\./g, '\\.')}  healthy\\n.*${T3.replace(/\./g, '\\.')}  unhealthy  Target\\.FailedHealthChecks`));
    fake.setState(ARN, T3, 'healthy');
  });

  it('nothing changed: the proxy → edge loop ticks and a routing change send no request at all', async () => {
    await waitFor(
      'both replicas running and healthy',
      async () => (await json(s, ['cluster', 'status', 'web'])).proxies.every((p: any) => p.state === 'running' && p.healthz === 'ok'),
      20_000,
      { detail: () => proxyLines(s, 'web') },
    );
    const from = fake.requests.length;
    await must(s, ['cluster', 'variant', 'add', 'web', 'blue', '--weight=100']);
    await sleep(2_000); // four loop ticks
    expect(fake.lines(from)).toEqual([]);
  });

  it('a proxy dies: the loop deregisters only it; status shows it draining for the deregistration delay', async () => {
    const st = await json(s, ['cluster', 'status', 'web']);
    const victim = st.proxies.find((p: any) => p.address === '127.0.0.3');
    expect(victim.pid).toBeGreaterThan(0);
    const from = fake.requests.length;
    process.kill(victim.pid, 'SIGKILL');
    await waitFor('127.0.0.3 deregistered', () => targets().includes(`${T3} draining`), 10_000);
    expect(fake.lines(from)).toEqual([DESCRIBE_HEALTH, deregister(T3)]);
    expect(pidAlive(victim.pid)).toBe(false);

    const after = await json(s, ['cluster', 'status', 'web']);
    expect(after.edge.records).toEqual([{ hostname: '*', type: 'target', value: T2 }]);
    expect(after.edge.targets).toContainEqual({
      target: T3,
      state: 'draining',
      reason: 'Target.DeregistrationInProgress: Target deregistration is in progress: leaves after the target group deregistration delay',
    });
    expect(after.warnings.join('\n')).toContain(`proxy ${T3} is out of the aws_alb edge`);
    await waitFor('the loop to log the change', () => serverLog(s).includes(`edge loop: cluster web (aws_alb) now publishes ${T2}; dropped ${T3} (healthz failing)`), 5_000);
    expect(serverLog(s)).toContain(`aws_alb: deregistered ${T3} (draining)`);
  }, 30_000);

  it('destroy: deregisters the targets still registered (draining ones are already leaving)', async () => {
    const from = fake.requests.length;
    await must(s, ['cluster', 'destroy', 'web', '--yes']);
    expect(fake.lines(from)).toEqual([DESCRIBE_HEALTH, deregister(T2)]);
    expect(targets()).toEqual([`${T2} draining`, `${T3} draining`]);
    fake.finishDraining();
    expect(targets()).toEqual([]);
    expect(await json(s, ['cluster', 'list'])).toEqual([]);
    await expectSecretNowhere(s, SECRET);
  }, 30_000);
});
