// What a user's command sees and how much of its output is held: deploy commands and proxy app
// commands get an explicit environment (never the control plane's credentials or state paths),
// and a line without a newline is cut, however long it gets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { commandEnv } from '../../src/command-env.js';
import type { DeployEvent } from '../../src/api/schemas.js';
import type { AgentConfig } from '../../src/api/agent.js';
import { createExec, LineSplitter, MAX_LINE_BYTES } from '../../src/control-plane/service/deploy-exec.js';
import { createDeployRunner } from '../../src/control-plane/service/deploy-runner.js';
import { proxyCommandEnv } from '../../src/agent/command-engine.js';
import { AgentState } from '../../src/agent/state.js';
import { systemClock } from '../../src/clock.js';
import { removeHome, startTestServer } from '../control-plane/helpers.js';

/** What a control plane's environment typically holds besides PATH and HOME. */
const SECRETS = {
  CLOUDFLARE_API_TOKEN: 'cf-token-value-0123456789abcdef0123456789',
  OWNSTACK_CLOUDFLARE_API_TOKEN: 'cf-token-value-2',
  OWNSTACK_DNS_TSIG_SECRET: 'dHNpZy1zZWNyZXQtdmFsdWU=',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-access-key-value',
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEVALUE',
  OWNSTACK_HOME: '/var/lib/ownstack',
  OWNSTACK_API_TOKEN: 'api-token-value',
  DATABASE_URL: 'postgres://user:password@db/app',
};
const CONTROL_PLANE_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ...SECRETS };

describe('commandEnv', () => {
  test('passes PATH, HOME, locale and the command context; nothing else', () => {
    const env = commandEnv(CONTROL_PLANE_ENV, { OWNSTACK_APP: 'web' });
    expect(env).toEqual({ PATH: CONTROL_PLANE_ENV.PATH, HOME: tmpdir(), LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', OWNSTACK_APP: 'web' });
  });

  test('OWNSTACK_COMMAND_ENV names more variables to pass, never OWNSTACK_* ones', () => {
    const env = commandEnv({ ...CONTROL_PLANE_ENV, DOKKU_HOST: 'dokku.example.com', OWNSTACK_COMMAND_ENV: 'DOKKU_HOST, OWNSTACK_HOME OWNSTACK_API_TOKEN bad-name' }, {});
    expect(env.DOKKU_HOST).toBe('dokku.example.com');
    expect(env.OWNSTACK_HOME).toBeUndefined();
    expect(env.OWNSTACK_API_TOKEN).toBeUndefined();
  });
});

describe('a deploy command', () => {
  test('runs `env` and sees none of the control plane secrets, only its context', async () => {
    const s = await startTestServer({
      // The real clock: the command's time limit runs on it.
      deployRunner: (deps) => createDeployRunner(deps, { probe: async () => ({ ok: true, status: 200, error: null, ms: 1 }), drainGraceMs: 0, env: CONTROL_PLANE_ENV }),
    });
    try {
      await s.api('POST', '/api/clusters', { name: 'api', edge: 'none' });
      await s.api('POST', '/api/local/apps', { name: 'web', addresses: ['127.0.0.1:4001'], deploy_cmd: 'env | sort' });
      await s.api('POST', '/api/clusters/api/members', { app: 'web' });
      expect((await s.api('POST', '/api/clusters/api/deploys', {})).status).toBe(202);
      const res = await fetch(`${s.cp.url}/api/clusters/api/deploys/1/events`, { headers: { authorization: `Bearer ${s.cp.token}` } });
      const events = (await res.text())
        .split('\n\n')
        .filter((b) => b.includes('data: '))
        .map((b) => JSON.parse(b.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as DeployEvent);
      expect(events.at(-1)).toMatchObject({ type: 'result', state: 'succeeded' });
      const printed = events.filter((e) => e.type === 'log').map((e) => e.message);
      const names = printed.map((l) => l.split('=')[0]!).filter((n) => /^[A-Z_][A-Z0-9_]*$/.test(n));
      for (const name of Object.keys(SECRETS)) expect(names, name).not.toContain(name);
      for (const value of Object.values(SECRETS)) expect(printed.join('\n')).not.toContain(value);
      for (const name of ['PATH', 'HOME', 'OWNSTACK_CLUSTER', 'OWNSTACK_APP', 'OWNSTACK_MEMBER_ADDRESS', 'OWNSTACK_MEMBER_ADDRESSES', 'OWNSTACK_DEPLOY_ID', 'OWNSTACK_DEPLOY_STRATEGY']) {
        expect(names, name).toContain(name);
      }
    } finally {
      await s.close();
      removeHome(s.home);
    }
  });
});

test('a proxy app command gets the proxy contract and none of the secrets', () => {
  const state = new AgentState(join(tmpdir(), 'ownstack-agent-env-test'));
  const config: AgentConfig = {
    schema: 1,
    cluster: 'web',
    cluster_id: 1,
    generation: 3,
    mode: 'command',
    command: 'run-my-proxy',
    input: {
      name: 'web',
      health: { path: '/', interval: '5s', timeout: '2s' },
      domains: [{ hostname: 'a.example.com' }],
      variants: [{ id: 1, name: 'blue', weight: 100, status: 'active' }],
      upstreams: [{ id: 1, variantId: 1, hostname: null, kind: 'app', url: null, app: 'a', addresses: ['127.0.0.1:4001'], weight: 100, status: 'active', hostHeader: null }],
    },
  };
  const env = proxyCommandEnv(config, { name: 'proxy-0', index: 0, listen: { address: '127.0.0.2', port: 18081 }, env: CONTROL_PLANE_ENV, state });
  for (const name of Object.keys(SECRETS)) expect(env[name], name).toBeUndefined();
  expect(env).toMatchObject({ PATH: CONTROL_PLANE_ENV.PATH, CLUSTER_NAME: 'web', CLUSTER_UPSTREAMS: '127.0.0.1:4001', CLUSTER_UPSTREAMS_A_EXAMPLE_COM: '127.0.0.1:4001', CLUSTER_PROXY_PORT: '18081', CLUSTER_PROXY_INDEX: '0' });
});

describe('output lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ownstack-lines-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a 60 MB line without a newline is reported cut, with the size left out', async () => {
    const lines: string[] = [];
    const r = await createExec(systemClock)({
      command: "head -c 60000000 /dev/zero | tr '\\0' a; echo; echo after",
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      timeoutMs: 60_000,
      onLine: (_s, l) => lines.push(l),
    });
    expect(r.exitCode).toBe(0);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${'a'.repeat(MAX_LINE_BYTES)}… (${60_000_000 - MAX_LINE_BYTES} more bytes of this line not kept)`);
    expect(lines[1]).toBe('after');
  }, 60_000);

  test('the splitter holds at most the cap, however the bytes arrive', () => {
    const out: string[] = [];
    const split = new LineSplitter(16, (l) => out.push(l));
    let most = 0;
    for (let i = 0; i < 1_000; i++) {
      split.push(Buffer.alloc(4096, 0x62));
      most = Math.max(most, split.held);
    }
    expect(most).toBe(16);
    split.push(Buffer.from('\nnext'));
    split.end();
    expect(out).toEqual([`${'b'.repeat(16)}… (${4096 * 1000 - 16} more bytes of this line not kept)`, 'next']);
  });

  test('line breaks as readline reads them: \\n, \\r\\n (also across chunks) and a lone \\r', () => {
    const out: string[] = [];
    const split = new LineSplitter(100, (l) => out.push(l));
    for (const part of ['one\r\ntwo\n', 'three\r', '\nfour\rfive', '\n', 'ünï', 'cødé\n', 'last']) split.push(Buffer.from(part));
    split.end();
    expect(out).toEqual(['one', 'two', 'three', 'four', 'five', 'ünïcødé', 'last']);
  });

  test('a cut inside a multi-byte character does not produce a broken one', () => {
    const out: string[] = [];
    const split = new LineSplitter(5, (l) => out.push(l));
    split.push(Buffer.from('ééé\n'));
    expect(out).toEqual(['éé… (1 more bytes of this line not kept)']);
  });
});
