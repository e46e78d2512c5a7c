// Edge mode `dns_rr`: multi-A (and AAAA) records, one per hostname × proxy, through a DnsProvider.
import { resolveEdgeDeps, type EdgeDeps } from './deps.js';
import { addressRecord, diffRecordsSliced, normalizeHostnames, RECORDS_PER_SLICE, requireProxies, yieldToLoop } from './records.js';
import type { EdgeDriver, EdgeProxy, EdgePublishResult, EdgeRecord } from './types.js';

export interface DnsChanges {
  add: EdgeRecord[];
  remove: EdgeRecord[];
}

/** Where dns_rr records live: a zone file on disk, or a DNS server taking RFC 2136 updates. */
export interface DnsProvider {
  readonly name: string;
  /** Check settings/credentials once; throws EdgeError. */
  verify(): Promise<void>;
  /** Apply add/remove as one change where the provider allows; returns the write requests sent. */
  apply(changes: DnsChanges): Promise<{ writes: number }>;
  /** The A/AAAA records the provider holds for these hostnames. */
  read(hostnames: string[]): Promise<EdgeRecord[]>;
}

/** The dns_rr edge driver: desired = every hostname → every proxy address; applies only the diff. */
export function createDnsRrDriver(config: { provider: DnsProvider }, deps: EdgeDeps = {}): EdgeDriver {
  const { provider } = config;
  const d = resolveEdgeDeps(deps, []);

  async function converge(hosts: string[], desired: EdgeRecord[]): Promise<EdgePublishResult> {
    if (hosts.length === 0) return { added: [], removed: [], unchanged: 0, writes: 0 };
    const wanted = new Set(hosts);
    const current = (await provider.read(hosts)).filter((r) => wanted.has(r.hostname));
    const { add, remove, unchanged } = await diffRecordsSliced(desired, current);
    if (add.length === 0 && remove.length === 0) return { added: [], removed: [], unchanged, writes: 0 };
    const { writes } = await provider.apply({ add, remove });
    d.log.info(`dns_rr (${provider.name}): +${add.length} -${remove.length} records`);
    return { added: add, removed: remove, unchanged, writes };
  }

  return {
    mode: 'dns_rr',
    verify: () => provider.verify(),
    async publish(hostnames: string[], proxies: EdgeProxy[]) {
      const hosts = normalizeHostnames(hostnames);
      requireProxies(proxies);
      // Each address is checked once; then one record per hostname × address, built in slices.
      const addresses = [...new Map(proxies.map((p) => [p.address, addressRecord('', p.address)])).values()];
      const desired: EdgeRecord[] = [];
      for (let i = 0; i < hosts.length; i++) {
        for (const a of addresses) desired.push({ hostname: hosts[i]!, type: a.type, value: a.value });
        if (desired.length % RECORDS_PER_SLICE < addresses.length) await yieldToLoop();
      }
      return converge(hosts, desired);
    },
    async read(hostnames: string[]) {
      const hosts = normalizeHostnames(hostnames);
      if (hosts.length === 0) return [];
      const wanted = new Set(hosts);
      return (await provider.read(hosts)).filter((r) => wanted.has(r.hostname));
    },
    async remove(hostnames: string[]) {
      return converge(normalizeHostnames(hostnames), []);
    },
  };
}
