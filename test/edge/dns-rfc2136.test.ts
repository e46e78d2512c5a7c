// dns_rr over RFC 2136 against a real Knot DNS on 127.0.0.1. Needs knotd (Debian package `knot`);
// set OWNSTACK_SKIP_KNOT=1 to skip where it cannot be installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdgeDriver, createRfc2136Provider, EdgeError, type EdgeDriver } from '../../src/edge/index.js';
import { queryAddresses } from '../fakes/dns-query.js';
import { findKnotd, startKnot, type KnotServer } from '../fakes/knot.js';

const skip = process.env['OWNSTACK_SKIP_KNOT'] === '1';
const HOSTS = ['api.example.test', 'app.example.test'];
const TWO = [
  { address: '192.0.2.10', port: 443 },
  { address: '192.0.2.11', port: 443 },
];

async function caught(p: Promise<unknown>): Promise<EdgeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EdgeError);
  return err as EdgeError;
}

describe.skipIf(skip)('dns_rr / rfc2136 against knotd', () => {
  let knot: KnotServer;
  let logs: string[] = [];

  beforeAll(async () => {
    if (!findKnotd()) {
      throw new Error('knotd is not installed: `apt-get install knot` (Debian package knot) — or set OWNSTACK_SKIP_KNOT=1 to skip these tests');
    }
    knot = await startKnot();
  });
  afterAll(async () => {
    await knot?.stop();
    expect(logs.join('\n')).not.toContain(knot?.tsig.secret ?? '\u0000');
  });

  function driver(overrides: Record<string, string> = {}): EdgeDriver {
    return createEdgeDriver(
      {
        name: 'api',
        edge: 'dns_rr',
        edge_config: {
          dns_provider: 'rfc2136',
          dns_server: knot.server,
          dns_zone: knot.zone,
          dns_tsig_name: knot.tsig.name,
          dns_tsig_secret: knot.tsig.secret,
          dns_tsig_algorithm: 'hmac-sha256',
          ...overrides,
        },
      },
      { logger: { debug: (m) => logs.push(m), info: (m) => logs.push(m), warn: (m) => logs.push(m) } },
    );
  }
  const served = async (name: string, type: 'A' | 'AAAA' = 'A'): Promise<string[]> => (await queryAddresses(knot.port, name, type)).addresses;

  it('verify: a signed no-op UPDATE (prerequisite: the zone SOA exists) is accepted', async () => {
    await driver().verify();
  });

  it('verify: a wrong secret is an auth error (BADSIG) that never shows the secret', async () => {
    const wrong = Buffer.alloc(32, 7).toString('base64');
    const err = await caught(driver({ dns_tsig_secret: wrong }).verify());
    expect(err.kind).toBe('auth');
    expect(err.message).toBe(`DNS server ${knot.server} rejected the key for the UPDATE check on zone example.test: NOTAUTH (server TSIG error BADSIG)`);
    expect(`${err.message}${err.hint}`).not.toContain(wrong);
  });

  it('verify: an unknown key name is an auth error (BADKEY)', async () => {
    const err = await caught(driver({ dns_tsig_name: 'nobody.' }).verify());
    expect(err.kind).toBe('auth');
    expect(err.message).toContain('BADKEY');
  });

  it('verify: a valid key that the ACL does not allow is refused', async () => {
    const err = await caught(driver({ dns_tsig_name: knot.otherKey.name, dns_tsig_secret: knot.otherKey.secret }).verify());
    expect(err.kind).toBe('auth');
    // Knot answers BADKEY for a key no ACL of the zone mentions; other servers say REFUSED.
    expect(err.message).toMatch(/REFUSED|BADKEY/);
  });

  it('verify: a zone the server does not serve is refused', async () => {
    const err = await caught(driver({ dns_zone: 'elsewhere.test' }).verify());
    expect(err.kind).toBe('invalid');
    expect(err.message).toBe(`DNS server ${knot.server} is not authoritative for zone elsewhere.test: NOTAUTH`);
  });

  it('create, second reconcile, proxy failure, destroy', async () => {
    const d = driver();
    // create: 2 hostnames × 2 proxies, one UPDATE
    const created = await d.publish(HOSTS, TWO);
    expect(created).toMatchObject({ removed: [], unchanged: 0, writes: 1 });
    expect(created.added).toHaveLength(4);
    for (const h of HOSTS) expect(await served(h)).toEqual(['192.0.2.10', '192.0.2.11']);
    expect((await d.read(HOSTS)).map((r) => `${r.hostname} ${r.value}`).sort()).toEqual([
      'api.example.test 192.0.2.10',
      'api.example.test 192.0.2.11',
      'app.example.test 192.0.2.10',
      'app.example.test 192.0.2.11',
    ]);

    // no change: no UPDATE
    expect(await d.publish(HOSTS, TWO)).toEqual({ added: [], removed: [], unchanged: 4, writes: 0 });

    // proxy failure: exactly its two records go
    const failed = await d.publish(HOSTS, [TWO[0]!]);
    expect(failed).toEqual({
      added: [],
      removed: [
        { hostname: 'api.example.test', type: 'A', value: '192.0.2.11' },
        { hostname: 'app.example.test', type: 'A', value: '192.0.2.11' },
      ],
      unchanged: 2,
      writes: 1,
    });
    for (const h of HOSTS) expect(await served(h)).toEqual(['192.0.2.10']);

    // destroy
    const removed = await d.remove(HOSTS);
    expect(removed).toMatchObject({ added: [], unchanged: 0, writes: 1 });
    expect(removed.removed).toHaveLength(2);
    for (const h of HOSTS) {
      const answer = await queryAddresses(knot.port, h, 'A');
      expect(answer.addresses).toEqual([]);
      expect(answer.rcode).toBe(3); // NXDOMAIN: nothing left at the name
    }
    // the zone itself is untouched
    expect(await served('ns.example.test')).toEqual(['127.0.0.1']);
  });

  it('publishes AAAA records for IPv6 proxies', async () => {
    const d = driver();
    await d.publish(['v6.example.test'], [{ address: '2001:db8:0:0::10', port: 443 }, { address: '192.0.2.20', port: 443 }]);
    expect(await served('v6.example.test', 'AAAA')).toEqual(['2001:db8::10']);
    expect(await served('v6.example.test', 'A')).toEqual(['192.0.2.20']);
    expect((await d.publish(['v6.example.test'], [{ address: '2001:db8::10', port: 443 }, { address: '192.0.2.20', port: 443 }])).writes).toBe(0);
    await d.remove(['v6.example.test']);
    expect(await served('v6.example.test', 'AAAA')).toEqual([]);
  });

  it('large changes go over TCP, and truncated UDP answers are re-asked over TCP', async () => {
    const d = driver();
    const many = Array.from({ length: 60 }, (_, i) => ({ address: `198.51.100.${i + 1}`, port: 443 }));
    const result = await d.publish(['big.example.test'], many);
    expect(result.added).toHaveLength(60);
    const udp = await queryAddresses(knot.port, 'big.example.test', 'A');
    expect(udp.truncated).toBe(true);
    const read = await d.read(['big.example.test']);
    expect(read).toHaveLength(60);
    expect((await d.remove(['big.example.test'])).removed).toHaveLength(60);
  });

  it('refuses hostnames outside the zone before sending anything', async () => {
    const err = await caught(driver().publish(['api.other.test'], TWO));
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain('not in DNS zone example.test');
  });

  it('a server that does not answer is unavailable (bounded retries)', async () => {
    const provider = createRfc2136Provider({ server: '127.0.0.1:9', zone: 'example.test', tsig: knot.tsig, timeoutMs: 200, attempts: 2 });
    const err = await caught(provider.verify());
    expect(err.kind).toBe('unavailable');
  });
});
