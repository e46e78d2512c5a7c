// `local start --foreground` through the shipped entry (bin/ownstack, or the binary via
// OWNSTACK_E2E_BINARY; test/binary/late-loading.test.ts). The npm CLI runs this in-process control
// plane from a second file, dist/ownstack-server.cjs, required only by this command; that file
// loads the AWS SDK only when an aws_alb edge is used. Both steps are taken here: a cluster with the
// aws_alb edge is verified against a fake ELBv2 API on loopback (test/fakes/alb-server.ts), which
// refuses the key the server was started with, so the SDK's signed request is seen and nothing is saved.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbFake, type AlbFake } from '../fakes/alb-server.js';
import { assertBuilt, cleanEnv, cleanupHome, e2eHome, okJson, ownstack, ownstackCommand, serverInfo, waitGone } from '../helpers/e2e.js';

const ARN = 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web-proxies/73e2d6bc24d8a067';
const WRONG_KEY = 'AKIAOWNSTACKWRONGKEY';

let home: string;
let fake: AlbFake;
beforeAll(async () => {
  assertBuilt();
  home = e2eHome('foreground');
  fake = await startAlbFake({ accessKeyId: 'AKIAOWNSTACKE2ETEST1', targetGroups: [{ arn: ARN, name: 'web-proxies', targetType: 'ip', port: 27700 }] });
});
afterAll(async () => {
  await cleanupHome(home);
  await fake?.close();
});

describe('local start --foreground', { timeout: 120_000 }, () => {
  it('serves the API in-process and loads the AWS SDK when an aws_alb edge is verified', async () => {
    const { file, args } = ownstackCommand(['local', 'start', '--foreground']);
    const env = cleanEnv(home, {
      AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: fake.endpoint,
      AWS_ACCESS_KEY_ID: WRONG_KEY,
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYOWNSTACKE2E',
      AWS_CONFIG_FILE: '/nonexistent/ownstack-e2e',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/ownstack-e2e',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const child = execa(file, args, { env, extendEnv: false, reject: false });
    const deadline = Date.now() + 20_000;
    while (serverInfo(home)?.pid !== child.pid && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    expect(serverInfo(home)?.pid, 'the foreground server wrote server.json').toBe(child.pid);

    const r = await ownstack(home, ['cluster', 'create', 'web', '--edge=aws_alb', `--alb-target-group-arn=${ARN}`, '--hostname=www.example.com']);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain('the aws_alb edge refused the settings: AWS DescribeTargetGroups failed: InvalidClientTokenId');
    expect(fake.requests.map((q) => `${q.action} ${q.accessKeyId}`)).toEqual([`DescribeTargetGroups ${WRONG_KEY}`]);
    expect(await okJson(home, ['cluster', 'list'])).toEqual([]);

    expect((await okJson<{ was_running: boolean; pid: number }>(home, ['local', 'stop'])).pid).toBe(child.pid);
    const done = await child;
    expect(done.exitCode, String(done.stderr)).toBe(0);
    expect(await waitGone(child.pid!)).toBe(true);
  });
});
