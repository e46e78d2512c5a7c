// The dns_rr driver's diff, through a recording in-memory DnsProvider.
import { describe, expect, it } from 'vitest';
import { createDnsRrDriver, EdgeError, type DnsChanges, type DnsProvider, type EdgeRecord } from '../../src/edge/index.js';
import { recordKey } from '../../src/edge/records.js';

function memoryProvider(): DnsProvider & { records: EdgeRecord[]; calls: DnsChanges[]; reads: string[][] } {
  const records: EdgeRecord[] = [];
  const calls: DnsChanges[] = [];
  const reads: string[][] = [];
  return {
    name: 'memory',
    records,
    calls,
    reads,
    verify: async () => undefined,
    async apply(changes) {
      calls.push(structuredClone(changes));
      const drop = new Set(changes.remove.map(recordKey));
      records.splice(0, records.length, ...records.filter((r) => !drop.has(recordKey(r))), ...changes.add);
      return { writes: 1 };
    },
    async read(hostnames) {
      reads.push(hostnames);
      return records.filter((r) => hostnames.includes(r.hostname));
    },
  };
}

const HOSTS = ['api.example.test', 'app.example.test'];
const TWO = [
  { address: '192.0.2.10', port: 443 },
  { address: '192.0.2.11', port: 443 },
];
const A = (hostname: string, value: string): EdgeRecord => ({ hostname, type: 'A', value });

describe('dns_rr driver', () => {
  it('create, no-change reconcile, proxy failure, destroy: applies exactly the difference', async () => {
    const provider = memoryProvider();
    const d = createDnsRrDriver({ provider });

    const created = await d.publish(HOSTS, TWO);
    expect(provider.calls).toEqual([
      { add: [A('api.example.test', '192.0.2.10'), A('api.example.test', '192.0.2.11'), A('app.example.test', '192.0.2.10'), A('app.example.test', '192.0.2.11')], remove: [] },
    ]);
    expect(created).toMatchObject({ unchanged: 0, writes: 1 });

    expect(await d.publish(HOSTS, TWO)).toEqual({ added: [], removed: [], unchanged: 4, writes: 0 });
    expect(provider.calls).toHaveLength(1);

    const failed = await d.publish(HOSTS, [TWO[0]!]);
    expect(provider.calls[1]).toEqual({ add: [], remove: [A('api.example.test', '192.0.2.11'), A('app.example.test', '192.0.2.11')] });
    expect(failed).toMatchObject({ unchanged: 2, writes: 1 });

    const removed = await d.remove(HOSTS);
    expect(provider.calls[2]).toEqual({ add: [], remove: [A('api.example.test', '192.0.2.10'), A('app.example.test', '192.0.2.10')] });
    expect(removed).toMatchObject({ added: [], unchanged: 0, writes: 1 });
    expect(provider.records).toEqual([]);
    expect(provider.calls).toHaveLength(3);
  });

  it('leaves other hostnames alone and normalises hostnames', async () => {
    const provider = memoryProvider();
    provider.records.push(A('www.example.test', '198.51.100.1'));
    const d = createDnsRrDriver({ provider });
    await d.publish(['API.example.test.', 'api.example.test'], [TWO[0]!]);
    expect(provider.reads).toEqual([['api.example.test']]);
    await d.remove(['api.example.test']);
    expect(provider.records).toEqual([A('www.example.test', '198.51.100.1')]);
  });

  it('publishes AAAA for IPv6 proxies, canonicalised, and refuses names that are not addresses', async () => {
    const provider = memoryProvider();
    const d = createDnsRrDriver({ provider });
    await d.publish(['api.example.test'], [{ address: '2001:DB8:0::1', port: 443 }]);
    expect(provider.records).toEqual([{ hostname: 'api.example.test', type: 'AAAA', value: '2001:db8::1' }]);
    await expect(d.publish(['api.example.test'], [{ address: 'proxy-1.internal', port: 443 }])).rejects.toBeInstanceOf(EdgeError);
    await expect(d.publish(['api.example.test'], [])).rejects.toMatchObject({ kind: 'invalid' });
    await expect(d.publish(['bad host'], TWO)).rejects.toMatchObject({ kind: 'invalid' });
    expect(provider.calls).toHaveLength(1);
  });
});
