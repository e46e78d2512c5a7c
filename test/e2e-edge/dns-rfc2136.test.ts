// Edge dns_rr with the rfc2136 provider end to end: the built CLI, its local control
// plane and two real Caddy replicas (127.0.0.2, 127.0.0.3) against a real authoritative Knot DNS
// on a loopback port (test/fakes/knot.ts), updated with TSIG-signed RFC 2136 messages. Querying
// knotd must return exactly the healthy proxy addresses: after create, after a proxy dies (the
// proxy → edge loop, OWNSTACK_EDGE_INTERVAL), never an empty set when every proxy is dead (the
// last healthy one stays, and status says so), both again once they are restarted, and nothing
// after destroy. A key the server's ACL refuses is exit 2 at create with nothing saved.
// Needs knotd (Debian package `knot`) and caddy; OWNSTACK_SKIP_KNOT=1 skips.
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryAddresses } from '../fakes/dns-query.js';
import { findKnotd, startKnot, type KnotServer } from '../fakes/knot.js';
import { assertBuilt, cleanupHome, e2eHome } from '../helpers/e2e.js';
import { caddyInstalled } from '../proxy-runtime/helpers.js';
import { cli, expectSecretNowhere, json, must, proxyLines, serverLog, session, waitFor, type Session } from './harness.js';

const PORT = 30000;
const HOSTS = ['api.example.test', 'app.example.test'];
const P2 = '127.0.0.2';
const P3 = '127.0.0.3';
const why = process.env['OWNSTACK_SKIP_KNOT'] === '1' ? 'OWNSTACK_SKIP_KNOT=1' : !findKnotd() ? 'knotd is not installed' : !caddyInstalled() ? 'caddy is not installed' : null;
if (why) console.warn(`skipping the dns_rr/rfc2136 edge e2e: ${why}`);

let knot: KnotServer;
let s: Session;
let keyFile: string;
let otherKeyFile: string;

/** What knotd answers for each hostname (A records, sorted). */
async function served(): Promise<string[][]> {
  return Promise.all(HOSTS.map(async (h) => (await queryAddresses(knot.port, h, 'A')).addresses));
}
const servesExactly = async (...ips: string[]): Promise<boolean> => JSON.stringify(await served()) === JSON.stringify(HOSTS.map(() => ips));

function createArgs(keyName: string, secretFile: string): string[] {
  return [
    'cluster', 'create', 'web', '--edge=dns_rr', '--dns-provider=rfc2136', `--dns-server=${knot.server}`, `--dns-zone=${knot.zone}`,
    `--dns-tsig-name=${keyName}`, `--dns-tsig-secret-file=${secretFile}`, '--proxy-count=2', ...HOSTS.map((h) => `--hostname=${h}`),
    '--health-interval=1s', '--health-timeout=500ms',
  ];
}

async function proxyPid(address: string): Promise<number> {
  const st = await json(s, ['cluster', 'status', 'web']);
  const p = st.proxies.find((x: any) => x.address === address);
  expect(p?.pid, `pid of the proxy on ${address}`).toBeGreaterThan(0);
  return p.pid as number;
}

describe.skipIf(why !== null)('edge dns_rr / rfc2136 (built CLI, real Caddy replicas, real knotd on loopback)', () => {
  beforeAll(async () => {
    assertBuilt();
    knot = await startKnot();
    s = session(e2eHome('edge-dns'), {
      OWNSTACK_PROXY_PORT_BASE: String(PORT),
      OWNSTACK_EDGE_INTERVAL: '500ms',
      // A killed replica stays down long enough for the assertions, then comes back.
      OWNSTACK_PROXY_RESTART_DELAY: '15s',
    });
    keyFile = join(s.home, 'tsig.secret');
    otherKeyFile = join(s.home, 'tsig-readonly.secret');
    writeFileSync(keyFile, `${knot.tsig.secret}\n`);
    writeFileSync(otherKeyFile, `${knot.otherKey.secret}\n`);
    chmodSync(keyFile, 0o600);
    chmodSync(otherKeyFile, 0o600);
    await must(s, ['local', 'start']);
  }, 60_000);

  afterAll(async () => {
    if (s) await cleanupHome(s.home);
    await knot?.stop();
  }, 60_000);

  it('a key the server does not allow to update the zone: exit 2, nothing saved, nothing published', async () => {
    const r = await cli(s, createArgs(knot.otherKey.name, otherKeyFile));
    expect(r.exitCode, r.stderr).toBe(2);
    // Knot answers BADKEY for a key no ACL of the zone mentions (other servers: REFUSED).
    expect(r.stderr).toContain(`the dns_rr edge refused the settings: DNS server ${knot.server}`);
    expect(r.stderr).toMatch(/REFUSED|BADKEY/);
    expect(await json(s, ['cluster', 'list'])).toEqual([]);
    expect(await served()).toEqual([[], []]);
    await expectSecretNowhere(s, knot.otherKey.secret);
  });

  it('create: knotd serves exactly both proxy addresses for every hostname', async () => {
    const c = await json(s, createArgs(knot.tsig.name, keyFile));
    expect(c.edge_config).toEqual({ dns_provider: 'rfc2136', dns_server: knot.server, dns_zone: knot.zone });
    // Under load a replica may need a moment before its first health check passes.
    let st: any;
    await waitFor(
      'both replicas running and healthy, both addresses in knotd',
      async () => {
        st = await json(s, ['cluster', 'status', 'web']);
        const up = st.proxies.map((p: any) => `${p.address}:${p.port} ${p.state} ${p.healthz}`).join(', ') === `${P2}:${PORT} running ok, ${P3}:${PORT} running ok`;
        return up && (await servesExactly(P2, P3));
      },
      20_000,
      { detail: async () => `${await proxyLines(s, 'web')}\nknotd: ${JSON.stringify(await served())}` },
    );
    expect(st.edge.records).toEqual(HOSTS.flatMap((h) => [P2, P3].map((value) => ({ hostname: h, type: 'A', value }))));
    expect(st.edge.note).toContain(`TSIG-signed RFC 2136 updates of zone ${knot.zone} on ${knot.server}`);
    expect(st.edge.error).toBeNull();
    expect(st.edge.reconciled_at).not.toBeNull();
    // The zone file provider is not involved.
    expect(existsSync(join(s.home, 'local', 'clusters', 'web', 'dns.zone'))).toBe(false);
    await expectSecretNowhere(s, knot.tsig.secret, 'web');
  }, 60_000);

  it('a proxy dies: the proxy → edge loop leaves exactly the healthy address in knotd', async () => {
    process.kill(await proxyPid(P3), 'SIGKILL');
    await waitFor('only 127.0.0.2 in knotd', () => servesExactly(P2), 10_000);
    const st = await json(s, ['cluster', 'status', 'web']);
    expect(st.edge.records.map((r: any) => `${r.hostname} ${r.value}`)).toEqual(HOSTS.map((h) => `${h} ${P2}`));
    expect(st.warnings.join('\n')).toContain(`proxy ${P3}:${PORT} is out of the dns_rr edge`);
    await waitFor('the loop to log the change', () => serverLog(s).includes(`edge loop: cluster web (dns_rr) now publishes ${P2}:${PORT}; dropped ${P3}:${PORT} (healthz failing)`), 5_000);
  }, 30_000);

  it('every proxy dies: the edge keeps the last healthy one (never an empty set) and says so', async () => {
    process.kill(await proxyPid(P2), 'SIGKILL');
    await waitFor('127.0.0.2 seen failing', async () => (await json(s, ['cluster', 'status', 'web'])).proxies.every((p: any) => p.healthz === 'failing'), 10_000);
    // The loop has seen no healthy proxy once it logs so; the edge still publishes the last one.
    await waitFor('the loop to log it', () => serverLog(s).includes('no proxy is healthy: keeping the 1 last published (127.0.0.2) instead of publishing none'), 10_000);
    const st = await json(s, ['cluster', 'status', 'web']);
    expect(st.warnings.join('\n')).toContain(`no proxy is healthy: the dns_rr edge keeps the last published ${P2}:${PORT} instead of publishing none`);
    expect(await served()).toEqual(HOSTS.map(() => [P2]));
  }, 30_000);

  it('the replicas restart: both addresses are back in knotd', async () => {
    await waitFor('both proxies back in knotd', () => servesExactly(P2, P3), 40_000);
    const st = await json(s, ['cluster', 'status', 'web']);
    expect(st.warnings.filter((w: string) => w.includes('edge'))).toEqual([]);
  }, 60_000);

  it('cluster update: a key the server refuses is not saved (exit 2); the proxy count moves the records in knotd', async () => {
    const before = (await json(s, ['cluster', 'show', 'web'])).cluster;
    const refused = await cli(s, ['cluster', 'update', 'web', `--dns-tsig-name=${knot.otherKey.name}`, `--dns-tsig-secret-file=${otherKeyFile}`]);
    expect(refused.exitCode, refused.stderr).toBe(2);
    expect(refused.stderr).toContain('the dns_rr edge refused the settings');
    expect((await json(s, ['cluster', 'show', 'web'])).cluster).toEqual(before);
    await expectSecretNowhere(s, knot.otherKey.secret);

    const shrink = await cli(s, ['cluster', 'update', 'web', '--proxy-count=1']);
    expect(shrink.exitCode, shrink.stderr).toBe(0);
    // The removed proxy leaves the zone before the command returns.
    expect(await servesExactly(P2)).toBe(true);
    const grow = await cli(s, ['cluster', 'update', 'web', '--proxy-count=2']);
    expect(grow.exitCode, grow.stderr).toBe(0);
    await waitFor('the new proxy in knotd', () => servesExactly(P2, P3), 15_000);
  }, 60_000);

  it('destroy removes every record; the TSIG secret never shows anywhere', async () => {
    await must(s, ['cluster', 'destroy', 'web', '--yes']);
    expect(await served()).toEqual([[], []]);
    expect(await json(s, ['cluster', 'list'])).toEqual([]);
    await expectSecretNowhere(s, knot.tsig.secret);
  }, 30_000);
});
