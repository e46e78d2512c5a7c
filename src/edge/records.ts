// Hostname/address normalisation and the record diff every driver uses.
import { isIP } from 'node:net';
import { EdgeError, type EdgeRecord } from './types.js';

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** Lower-case, strip a trailing dot, drop duplicates (keeping order); rejects what is not a hostname. Linear. */
export function normalizeHostnames(hostnames: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of hostnames) {
    const h = raw.trim().toLowerCase().replace(/\.$/, '');
    if (h.length === 0 || h.length > 253 || !h.split('.').every((l) => LABEL.test(l))) {
      throw new EdgeError(`"${raw}" is not a valid hostname`, 'invalid', 'use a DNS name such as api.example.com');
    }
    out.add(h);
  }
  return [...out];
}

/** IPv4/IPv6 → 4 or 16 bytes; undefined when it is not an IP address. */
export function ipToBytes(address: string): Buffer | undefined {
  const family = isIP(address);
  if (family === 4) return Buffer.from(address.split('.').map((p) => Number(p)));
  if (family !== 6) return undefined;
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const b = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const buf = Buffer.alloc(16);
  groups.forEach((g, i) => buf.writeUInt16BE(parseInt(g, 16), i * 2));
  return buf;
}

/** Bytes (4 or 16) → the canonical text form (RFC 5952 for IPv6). */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // Longest run (length >= 2) of zero groups becomes '::'.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** The canonical form of an IP address, or undefined when it is not one. */
export function canonicalIp(address: string): string | undefined {
  const bytes = ipToBytes(address.trim());
  return bytes ? bytesToIp(bytes) : undefined;
}

/** A/AAAA record for one hostname and one proxy address; throws when the address is not an IP. */
export function addressRecord(hostname: string, address: string): EdgeRecord {
  const ip = canonicalIp(address);
  if (!ip) {
    throw new EdgeError(`proxy address "${address}" is not an IP address`, 'invalid', 'DNS edges publish A/AAAA records: give proxies IP addresses');
  }
  return { hostname, type: ip.includes(':') ? 'AAAA' : 'A', value: ip };
}

/** Publishing zero proxies would take every hostname down: that is remove(), not publish(). */
export function requireProxies(proxies: readonly { address: string }[]): void {
  if (proxies.length === 0) {
    throw new EdgeError('refusing to publish an empty proxy set', 'invalid', 'keep the last healthy set (chooseHealthyProxies) or call remove() to take the edge down');
  }
}

export const recordKey = (r: EdgeRecord): string => `${r.hostname}\u0000${r.type}\u0000${r.value}`;

/** What to add and remove so that `current` becomes `desired` (order of `desired`/`current` kept). */
export function diffRecords(desired: readonly EdgeRecord[], current: readonly EdgeRecord[]): {
  add: EdgeRecord[];
  remove: EdgeRecord[];
  unchanged: number;
} {
  const want = new Map(desired.map((r) => [recordKey(r), r]));
  const have = new Map(current.map((r) => [recordKey(r), r]));
  const add = [...want].filter(([k]) => !have.has(k)).map(([, r]) => r);
  const remove = [...have].filter(([k]) => !want.has(k)).map(([, r]) => r);
  return { add, remove, unchanged: want.size - add.length };
}

/** diffRecords a slice at a time, with the event loop let in between (same result). */
export async function diffRecordsSliced(desired: readonly EdgeRecord[], current: readonly EdgeRecord[]): Promise<ReturnType<typeof diffRecords>> {
  const want = new Map<string, EdgeRecord>();
  const have = new Map<string, EdgeRecord>();
  for (const [list, into] of [[desired, want], [current, have]] as const) {
    for (let i = 0; i < list.length; i++) {
      into.set(recordKey(list[i]!), list[i]!);
      if (i % RECORDS_PER_SLICE === RECORDS_PER_SLICE - 1) await yieldToLoop();
    }
  }
  await yieldToLoop();
  const add: EdgeRecord[] = [];
  for (const [k, r] of want) if (!have.has(k)) add.push(r);
  await yieldToLoop();
  const remove: EdgeRecord[] = [];
  for (const [k, r] of have) if (!want.has(k)) remove.push(r);
  return { add, remove, unchanged: want.size - add.length };
}

/** Stable order: hostname, then type, then address (numeric for IPv4/IPv6). */
export function compareRecords(a: EdgeRecord, b: EdgeRecord): number {
  if (a.hostname !== b.hostname) return a.hostname < b.hostname ? -1 : 1;
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  const ab = ipToBytes(a.value);
  const bb = ipToBytes(b.value);
  if (ab && bb) return Buffer.compare(ab, bb);
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/**
 * The records in compareRecords order, in O(n log n) without parsing addresses per comparison:
 * grouped by hostname, the hostnames sorted, then each group by type and address bytes.
 */
export function sortRecords(records: readonly EdgeRecord[]): EdgeRecord[] {
  const addressKey = new Map<string, string>();
  const keyOf = (r: EdgeRecord): string => {
    let k = addressKey.get(r.value);
    if (k === undefined) {
      const bytes = ipToBytes(r.value);
      // Addresses sort by their bytes; anything else after them, as text.
      k = bytes ? `0${bytes.toString('hex')}` : `1${r.value}`;
      addressKey.set(r.value, k);
    }
    return `${r.type}\u0000${k}`;
  };
  const groups = new Map<string, EdgeRecord[]>();
  for (const r of records) {
    const g = groups.get(r.hostname);
    if (g) g.push(r);
    else groups.set(r.hostname, [r]);
  }
  const out: EdgeRecord[] = [];
  for (const hostname of [...groups.keys()].sort()) {
    const g = groups.get(hostname)!.map((r) => ({ r, k: keyOf(r) }));
    g.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    for (const x of g) out.push(x.r);
  }
  return out;
}

/** Lets timers and other requests run in the middle of a long computation. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Records the edge works on at a time before letting the event loop run. */
export const RECORDS_PER_SLICE = 2_000;
