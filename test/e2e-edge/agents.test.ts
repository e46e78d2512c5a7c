// The edge publishes what proxy agents register, end to end: the built CLI, its local control
// plane, and `ownstack proxy agent` processes (real Caddy) that listen on 127.0.15.x but register
// public addresses (198.51.100.x / 203.0.113.x, where nothing listens: the edge's health decision
// comes from the agents' reports, never from dialling those). The Cloudflare and ELBv2 stand-ins on
// 127.0.0.1 receive exactly the registered addresses; the cluster's own local replica on 127.0.0.2
// is refused (no --edge-allow-private-addresses) and named in status and the log. An `instance`
// target group gets instance ids: one from --instance-id, one read from an IMDSv2 stand-in, and an
// agent with neither is not registered (status says why). An agent killed with its Caddy leaves
// the edge within one edge-loop period (OWNSTACK_PROXY_HEARTBEAT_TIMEOUT < OWNSTACK_EDGE_INTERVAL).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbFake, type AlbFake } from '../fakes/alb-server.js';
import { startCloudflareFake, type CloudflareFake } from '../fakes/cloudflare-server.js';
import { startImdsFake, type ImdsFake } from '../fakes/imds-server.js';
import { assertBuilt, cleanEnv, cleanupHome, e2eHome, ownstackCommand, pidAlive, serverInfo } from '../helpers/e2e.js';
import { caddyInstalled } from '../proxy-runtime/helpers.js';
import { cli, json, must, serverLog, session, waitFor, type Session } from './harness.js';

const ZONE_ID = randomBytes(16).toString('hex');
const ZONE = 'example.com';
const TOKEN = `cfTok_${randomBytes(20).toString('hex')}`;
const ARN_IP = 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/api-proxies/0123456789abcdef';
const ARN_INSTANCE = 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/shop-proxies/fedcba9876543210';
const KEY_ID = 'AKIAOWNSTACKAGENTS01';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYOWNSTACKAGT';
/** The local replicas' ports (OWNSTACK_PROXY_PORT_BASE) and the agents' listen port. */
const PORT = 36500;
const AGENT_PORT = 28480;
const HEARTBEAT_TIMEOUT_MS = 5_000;
const EDGE_INTERVAL_MS = 10_000;
const INSTANCE_FROM_FLAG = 'i-0123456789abcdef0';
const INSTANCE_FROM_IMDS = 'i-0fedcba9876543210';
const caddy = caddyInstalled();
if (!caddy) console.warn('skipping the proxy agents edge e2e: caddy is not installed');

let cf: CloudflareFake;
let alb: AlbFake;
let imds: ImdsFake;
let s: Session;
const agents = new Map<string, ResultPromise>();

const published = () => cf.records.map((r) => `${r.name} ${r.content}`).sort();
const targets = (arn: string) => [...(alb.targets.get(arn)?.values() ?? [])].filter((t) => t.state !== 'draining').map((t) => `${t.id}:${t.port}`).sort();

/** `ownstack proxy agent` for a cluster, on its own loopback address and state folder, with its own agent token. */
async function startAgent(cluster: string, name: string, listen: string, publicAddress: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<void> {
  const tokenFile = join(s.home, `${name}.token`);
  await must(s, ['token', 'create', name, `--cluster=${cluster}`, `--output-file=${tokenFile}`]);
  const { file, args } = ownstackCommand([
    'proxy',
    'agent',
    '--cluster',
    cluster,
    '--server',
    serverInfo(s.home)!.url,
    '--token-file',
    tokenFile,
    '--listen',
    `${listen}:${AGENT_PORT}`,
    '--public-address',
    publicAddress,
    '--name',
    name,
    '--state-dir',
    join(s.home, 'agents', name),
    '--heartbeat',
    '1s',
    ...extra,
  ]);
  agents.set(name, execa(file, args, { env: cleanEnv(s.home, { AWS_EC2_METADATA_DISABLED: 'true', ...env }), extendEnv: false, reject: false, stdin: 'ignore' }));
}

const proxyOf = async (cluster: string, name: string) => ((await json(s, ['cluster', 'status', cluster])).proxies as any[]).find((p) => p.name === name);

describe.skipIf(!caddy)('the edge publishes the agents’ registered public addresses (built CLI, proxy agents, stand-in providers)', () => {
  beforeAll(async () => {
    assertBuilt();
    cf = await startCloudflareFake({ token: TOKEN, zoneId: ZONE_ID, zoneName: ZONE });
    alb = await startAlbFake({
      accessKeyId: KEY_ID,
      targetGroups: [
        { arn: ARN_IP, name: 'api-proxies', targetType: 'ip', port: AGENT_PORT },
        { arn: ARN_INSTANCE, name: 'shop-proxies', targetType: 'instance', port: AGENT_PORT },
      ],
    });
    imds = await startImdsFake(INSTANCE_FROM_IMDS);
    s = session(e2eHome('edge-agents'), {
      OWNSTACK_CLOUDFLARE_API_URL: cf.baseUrl,
      AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: alb.endpoint,
      AWS_ACCESS_KEY_ID: KEY_ID,
      AWS_SECRET_ACCESS_KEY: SECRET,
      AWS_CONFIG_FILE: '/nonexistent/ownstack-e2e',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/ownstack-e2e',
      AWS_EC2_METADATA_DISABLED: 'true',
      OWNSTACK_PROXY_PORT_BASE: String(PORT),
      OWNSTACK_EDGE_INTERVAL: `${EDGE_INTERVAL_MS / 1000}s`,
      OWNSTACK_PROXY_HEARTBEAT_TIMEOUT: `${HEARTBEAT_TIMEOUT_MS / 1000}s`,
    });
    await must(s, ['local', 'start']);
  }, 60_000);

  afterAll(async () => {
    for (const a of agents.values()) a.kill('SIGTERM');
    await Promise.all([...agents.values()].map((a) => a.catch(() => undefined)));
    if (s) await cleanupHome(s.home);
    await cf?.close();
    await alb?.close();
    await imds?.close();
  }, 60_000);

  it('cloudflare: the proxied A records hold the agents’ public addresses, never the loopback ones; the local replica is refused by name', async () => {
    await must(s, ['cluster', 'create', 'web', '--edge=cloudflare', `--cloudflare-zone-id=${ZONE_ID}`, '--cloudflare-token-stdin', '--proxy-count=1', `--hostname=www.${ZONE}`, `--hostname=api.${ZONE}`], {
      input: TOKEN,
    });
    // Nothing is publishable yet (the only proxy is the local replica on 127.0.0.2): nothing is sent.
    expect(cf.records).toEqual([]);
    expect((await json(s, ['cluster', 'status', 'web'])).warnings).toContain(
      'no proxy can be published by the cloudflare edge (each is refused, see above): it keeps nothing (no proxy was ever published) instead of publishing none',
    );

    await startAgent('web', 'edge-a', '127.0.15.1', '198.51.100.10');
    await startAgent('web', 'edge-b', '127.0.15.2', '203.0.113.20');
    await waitFor('the agents’ records', () => published().length === 4, 30_000, { detail: () => `${published().join('\n')}\n${serverLog(s).split('\n').slice(-10).join('\n')}` });
    expect(published()).toEqual([`api.${ZONE} 198.51.100.10`, `api.${ZONE} 203.0.113.20`, `www.${ZONE} 198.51.100.10`, `www.${ZONE} 203.0.113.20`]);
    expect(cf.records.every((r) => r.proxied)).toBe(true);

    const st = await json(s, ['cluster', 'status', 'web']);
    const byName = Object.fromEntries(st.proxies.map((p: any) => [p.name, p]));
    expect(byName['proxy-0']).toMatchObject({ address: '127.0.0.2', edge: 'refused' });
    expect(byName['proxy-0'].edge_reason).toContain('its public address 127.0.0.2 is in 127.0.0.0/8 (loopback): the cloudflare edge publishes public addresses only');
    expect(byName['proxy-0'].edge_reason).toContain('allow private addresses with ownstack cluster update web --edge-allow-private-addresses');
    for (const [name, listen, address] of [
      ['edge-a', '127.0.15.1', '198.51.100.10'],
      ['edge-b', '127.0.15.2', '203.0.113.20'],
    ] as const) {
      expect(byName[name]).toMatchObject({
        address,
        port: AGENT_PORT,
        listen: `${listen}:${AGENT_PORT}`,
        state: 'running',
        healthz: 'ok',
        generation_applied: st.generation,
        lagging: false,
        edge: 'published',
        edge_reason: null,
      });
      expect(byName[name].host).toEqual(expect.any(String));
      expect(byName[name].agent_version).toMatch(/^\d+\.\d+\.\d+/);
      expect(Date.now() - Date.parse(byName[name].last_seen)).toBeLessThan(HEARTBEAT_TIMEOUT_MS);
    }
    expect(st.warnings).toContain(`proxy proxy-0 (127.0.0.2:${PORT}) is not published by the cloudflare edge: ${byName['proxy-0'].edge_reason}`);
    await waitFor('the refusal in the log', () => serverLog(s).includes(`edge loop: edge of cluster web: proxy proxy-0 (127.0.0.2:${PORT}) is not published by the cloudflare edge: its public address 127.0.0.2 is in 127.0.0.0/8 (loopback)`), 15_000);
    expect(serverLog(s)).toContain('--edge-allow-private-addresses');

    // The table: every proxy with its host, public address, agent version, generation, heartbeat and health.
    const table = await must(s, ['cluster', 'status', 'web']);
    expect(table.stdout).toMatch(/198\.51\.100\.10:28480  running  healthz ok  generation \d+  pid \d+  edge-a on \S+  agent \S+  seen \d+s ago  edge published/);
    expect(table.stdout).toContain('refused');
  }, 90_000);

  it('an agent killed with its Caddy (kill -9) leaves the records within one edge-loop period; the other stays', async () => {
    const victim = await proxyOf('web', 'edge-b');
    const agentPid = agents.get('edge-b')!.pid!;
    expect(victim.pid).toBeGreaterThan(0);
    const killedAt = Date.now();
    process.kill(agentPid, 'SIGKILL');
    process.kill(victim.pid, 'SIGKILL');
    await waitFor('203.0.113.20 leaves the records', () => !published().some((r) => r.endsWith('203.0.113.20')), EDGE_INTERVAL_MS + 5_000);
    const ms = Date.now() - killedAt;
    console.log(`agents edge: a killed agent left the cloudflare records after ${ms} ms (heartbeat timeout ${HEARTBEAT_TIMEOUT_MS} ms, edge loop period ${EDGE_INTERVAL_MS} ms)`);
    expect(ms).toBeLessThan(EDGE_INTERVAL_MS);
    expect(pidAlive(agentPid)).toBe(false);
    expect(published()).toEqual([`api.${ZONE} 198.51.100.10`, `www.${ZONE} 198.51.100.10`]);
    const gone = await proxyOf('web', 'edge-b');
    expect(gone).toMatchObject({ state: 'lost', healthz: 'failing', edge: 'out', edge_reason: expect.stringContaining('its agent stopped reporting') });
    expect(await proxyOf('web', 'edge-a')).toMatchObject({ state: 'running', edge: 'published' });
  }, 60_000);

  it('aws_alb, ip target group: the stand-in receives the registered public address on the agent’s port', async () => {
    await must(s, ['cluster', 'create', 'api', '--edge=aws_alb', `--alb-target-group-arn=${ARN_IP}`, '--proxy-count=1', '--hostname=api.example.net']);
    await startAgent('api', 'edge-c', '127.0.15.3', '203.0.113.21');
    await waitFor('the agent registered', () => targets(ARN_IP).length > 0, 30_000, { detail: () => serverLog(s).split('\n').slice(-10).join('\n') });
    expect(targets(ARN_IP)).toEqual([`203.0.113.21:${AGENT_PORT}`]);
    const registers = alb.requests.filter((r) => r.action === 'RegisterTargets');
    expect(registers.flatMap((r) => Object.entries(r.params).filter(([k]) => k.endsWith('.Id')).map(([, v]) => v))).toEqual(['203.0.113.21']);
    expect((await proxyOf('api', 'proxy-0')).edge).toBe('refused');
  }, 60_000);

  it('aws_alb, instance target group: instance ids from --instance-id and from the instance metadata; an agent with neither is not registered and status says why', async () => {
    await must(s, ['cluster', 'create', 'shop', '--edge=aws_alb', `--alb-target-group-arn=${ARN_INSTANCE}`, '--proxy-count=1', '--hostname=shop.example.net']);
    await startAgent('shop', 'edge-d', '127.0.15.4', '10.0.1.4', ['--instance-id', INSTANCE_FROM_FLAG]);
    await startAgent('shop', 'edge-e', '127.0.15.5', '10.0.1.5', [], { AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint });
    await startAgent('shop', 'edge-f', '127.0.15.6', '10.0.1.6');
    await waitFor('both instances registered', () => targets(ARN_INSTANCE).length === 2, 30_000, { detail: () => `${targets(ARN_INSTANCE).join(' ')}\n${serverLog(s).split('\n').slice(-10).join('\n')}` });
    expect(targets(ARN_INSTANCE)).toEqual([`${INSTANCE_FROM_FLAG}:${AGENT_PORT}`, `${INSTANCE_FROM_IMDS}:${AGENT_PORT}`]);
    expect(imds.requests).toEqual(['PUT /latest/api/token', 'GET /latest/meta-data/instance-id']);
    await waitFor('edge-f reports', async () => (await proxyOf('shop', 'edge-f'))?.state === 'running', 20_000);
    const f = await proxyOf('shop', 'edge-f');
    expect(f).toMatchObject({ instance_id: null, edge: 'refused' });
    expect(f.edge_reason).toBe(
      'the target group registers EC2 instances and this proxy has no instance id: start its agent with --instance-id, or on the EC2 instance itself (the agent reads the id from the instance metadata)',
    );
    expect(await proxyOf('shop', 'edge-e')).toMatchObject({ instance_id: INSTANCE_FROM_IMDS, edge: 'published' });
    // The local replica has no instance id either: refused for the same reason, not for its address.
    expect((await proxyOf('shop', 'proxy-0')).edge_reason).toContain('no instance id');
    const r = await cli(s, ['cluster', 'status', 'shop']);
    expect(r.stdout).toContain('edge-f');
  }, 90_000);
});
