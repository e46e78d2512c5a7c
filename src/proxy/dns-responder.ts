// The DNS responder a proxy's Caddy asks for its upstreams (`dynamic srv`, see caddyfile.ts):
// SRV answers per hostname, and A/AAAA answers for the names those SRV records point at.
// Authoritative for the `ownstack` names only; every other A/AAAA question (an app address
// given as a host name) is answered from the system resolver. UDP on loopback, one question
// per message, answers sized for the client's EDNS buffer (Go's resolver offers 1,232 bytes).
// SRV targets are never compressed (Go refuses them), so one answer holds about 28 records; a
// longer weighted list is scaled down to fit (fitTargets).
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { decodeName } from '../edge/dns-wire.js';

/** `<hostname>.<ROUTE_SUFFIX>`: the SRV name Caddy looks up for a request's Host. */
export const ROUTE_SUFFIX = 'rt.ownstack';
/** `u<id>.<BRIDGE_SUFFIX>`: the SRV name of an app upstream reached through a Host-rewriting bridge. */
export const BRIDGE_SUFFIX = 'br.ownstack';
/** `<ip with dashes>.<IP_SUFFIX>`: the names SRV targets use for IP addresses (an IP is not a valid SRV target). */
export const IP_SUFFIX = 'ip.ownstack';

const TYPE = { A: 1, AAAA: 28, SRV: 33, OPT: 41 } as const;
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;
/** Without EDNS a UDP answer must fit in 512 bytes. */
const CLASSIC_UDP = 512;
/** The most we ever send, whatever the client offers. */
const MAX_UDP = 1_232;

/** Where one SRV record points: an IP address or a host name, and a port. */
export interface SrvTarget {
  host: string;
  port: number;
}

/**
 * The answer to a SRV question: targets, repeated for weight (Caddy picks at random among them), or
 * null for "no such name".
 */
export type SrvLookup = (name: string) => SrvTarget[] | null;

/** The name a SRV record uses for `host`: IPs become `<dashed>.<IP_SUFFIX>`, host names stay. */
export function targetName(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(bare);
  if (family === 4) return `${bare.replaceAll('.', '-')}.${IP_SUFFIX}`;
  if (family === 6) return `${expandIpv6(bare).join('-')}.${IP_SUFFIX}`;
  return host.replace(/\.$/, '').toLowerCase();
}

/** The IP a `<dashed>.<IP_SUFFIX>` name stands for, or null. */
export function ipOfTargetName(name: string): string | null {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (!n.endsWith(`.${IP_SUFFIX}`)) return null;
  const label = n.slice(0, -(IP_SUFFIX.length + 1));
  if (label.includes('.')) return null;
  const v4 = label.split('-');
  if (v4.length === 4 && v4.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return v4.join('.');
  if (v4.length === 8 && v4.every((p) => /^[0-9a-f]{1,4}$/.test(p))) return v4.join(':');
  return null;
}

function expandIpv6(ip: string): string[] {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const fix = (groups: string[]) =>
    groups.flatMap((g) => {
      if (!g.includes('.')) return [g];
      const [a, b, c, d] = g.split('.').map(Number);
      return [((a! << 8) | b!).toString(16), ((c! << 8) | d!).toString(16)];
    });
  const hh = fix(h);
  const tt = fix(t);
  const missing = tail === undefined ? 0 : 8 - hh.length - tt.length;
  return [...hh, ...Array.from({ length: missing }, () => '0'), ...tt].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}

interface Query {
  id: number;
  rd: boolean;
  name: string;
  type: number;
  /** The question section exactly as received. */
  question: Buffer;
  /** The client's EDNS UDP payload size, or null without EDNS. */
  udpSize: number | null;
}

/** Parses one DNS query; null when it is not one we can answer (garbage is dropped, as servers do). */
export function parseQuery(msg: Buffer): Query | { id: number; formerr: true } | null {
  if (msg.length < 12) return null;
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) return null; // a response, not a query
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  const ar = msg.readUInt16BE(10);
  if (qd !== 1 || an !== 0 || ns !== 0 || ((flags >> 11) & 0xf) !== 0) return { id, formerr: true };
  try {
    const { name, next } = decodeName(msg, 12);
    if (next + 4 > msg.length) return { id, formerr: true };
    const type = msg.readUInt16BE(next);
    const question = msg.subarray(12, next + 4);
    let udpSize: number | null = null;
    // An OPT record in the additional section carries the EDNS buffer size.
    let off = next + 4;
    for (let i = 0; i < ar && off < msg.length; i++) {
      const rr = decodeName(msg, off);
      off = rr.next;
      if (off + 10 > msg.length) break;
      const rrType = msg.readUInt16BE(off);
      const rrClass = msg.readUInt16BE(off + 2);
      const rdlen = msg.readUInt16BE(off + 8);
      if (rrType === TYPE.OPT) udpSize = Math.max(CLASSIC_UDP, rrClass);
      off += 10 + rdlen;
    }
    return { id, rd: (flags & 0x0100) !== 0, name: name.toLowerCase(), type, question: Buffer.from(question), udpSize };
  } catch {
    return { id, formerr: true };
  }
}

/** A name in wire form, uncompressed: Go's resolver refuses compressed SRV targets (RFC 2782). */
function wireName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l !== '');
  return Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), Buffer.from(l, 'ascii')]), Buffer.from([0])]);
}

type Answer = { type: typeof TYPE.SRV; target: SrvTarget } | { type: typeof TYPE.A | typeof TYPE.AAAA; ip: string };

/** Encodes a response to `q` with `answers` (in order); `ttl` seconds. */
export function encodeResponse(q: Query, rcode: number, answers: Answer[], ttl = 1): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  // QR, AA, RD copied, RA off.
  header.writeUInt16BE(0x8400 | (q.rd ? 0x0100 : 0) | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const parts: Buffer[] = [header, q.question];
  for (const a of answers) {
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0); // owner: the question's name
    fixed.writeUInt16BE(a.type, 2);
    fixed.writeUInt16BE(1, 4); // IN
    fixed.writeUInt32BE(ttl, 6);
    let rdata: Buffer;
    if (a.type === TYPE.SRV) {
      const head = Buffer.alloc(6);
      head.writeUInt16BE(0, 0); // priority
      head.writeUInt16BE(1, 2); // weight (Caddy picks among all answers itself)
      head.writeUInt16BE(a.target.port, 4);
      rdata = Buffer.concat([head, wireName(targetName(a.target.host))]);
    } else if (a.type === TYPE.A) {
      rdata = Buffer.from(a.ip.split('.').map(Number));
    } else {
      rdata = Buffer.from(expandIpv6(a.ip).flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
    }
    fixed.writeUInt16BE(rdata.length, 10);
    parts.push(fixed, rdata);
  }
  return Buffer.concat(parts);
}

/**
 * Fits a weighted target list into `maxBytes`: the whole list when it fits; else the list scaled
 * down (fewer repetitions, shares kept as closely as whole numbers allow); else, when even one
 * record per distinct target is too much, a random sample of the targets weighted by their share
 * (each lookup draws anew, so over time every target gets its share).
 */
export function fitTargets(q: Query, targets: SrvTarget[], maxBytes: number, random: () => number = Math.random): SrvTarget[] {
  const size = (list: SrvTarget[]) => encodeResponse(q, 0, list.map((target) => ({ type: TYPE.SRV, target }))).length;
  if (size(targets) <= maxBytes) return targets;
  const distinct: { target: SrvTarget; count: number }[] = [];
  const index = new Map<string, number>();
  for (const t of targets) {
    const key = `${t.host}\u0000${t.port}`;
    const i = index.get(key);
    if (i === undefined) {
      index.set(key, distinct.length);
      distinct.push({ target: t, count: 1 });
    } else distinct[i]!.count++;
  }
  const expand = (counts: number[]) => distinct.flatMap((d, i) => Array.from({ length: counts[i]! }, () => d.target));
  if (size(distinct.map((d) => d.target)) <= maxBytes) {
    // Largest list of `total` entries (every target at least once) that fits.
    let lo = distinct.length;
    let hi = targets.length - 1;
    let best = distinct.map(() => 1);
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const counts = scaleCounts(distinct.map((d) => d.count), mid);
      if (size(expand(counts)) <= maxBytes) {
        best = counts;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return expand(best);
  }
  // Weighted sampling without replacement until the message is full.
  const pool = [...distinct];
  const chosen: SrvTarget[] = [];
  while (pool.length > 0) {
    const sum = pool.reduce((s, d) => s + d.count, 0);
    let pick = random() * sum;
    let i = 0;
    while (i < pool.length - 1 && pick >= pool[i]!.count) pick -= pool[i++]!.count;
    const next = [...chosen, pool[i]!.target];
    if (size(next) > maxBytes) break;
    chosen.push(pool[i]!.target);
    pool.splice(i, 1);
  }
  return chosen;
}

/** Scales counts to `total` entries, each at least 1, by largest remainder. */
function scaleCounts(counts: number[], total: number): number[] {
  const sum = counts.reduce((s, c) => s + c, 0);
  const raw = counts.map((c) => Math.max(1, (c * total) / sum));
  const out = raw.map(Math.floor);
  let left = total - out.reduce((s, c) => s + c, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    out[i]!++;
    left--;
  }
  return out;
}

export interface DnsResponderOptions {
  /** Loopback address to bind. */
  address: string;
  port: number;
  srv: SrvLookup;
  /** Resolves names outside ours (an app address given as a host name). Default: the system resolver. */
  resolve?: (name: string, family: 4 | 6) => Promise<string[]>;
  /** Called for each query answered with SERVFAIL (e.g. a name the system cannot resolve). */
  onError?: (message: string) => void;
}

export interface DnsResponder {
  address: string;
  port: number;
  close(): Promise<void>;
}

const systemResolve = async (name: string, family: 4 | 6): Promise<string[]> => (await lookup(name, { all: true, family })).map((a) => a.address);

/** The answer for one parsed query (exported for tests; the server sends what this returns). */
export async function answer(q: Query, opts: Pick<DnsResponderOptions, 'srv' | 'resolve'>): Promise<Buffer> {
  const budget = Math.min(MAX_UDP, q.udpSize ?? CLASSIC_UDP);
  if (q.type === TYPE.SRV) {
    const targets = opts.srv(q.name);
    if (targets === null) return encodeResponse(q, RCODE.NXDOMAIN, []);
    return encodeResponse(q, RCODE.NOERROR, fitTargets(q, targets, budget).map((target) => ({ type: TYPE.SRV, target })));
  }
  if (q.type === TYPE.A || q.type === TYPE.AAAA) {
    const family = q.type === TYPE.A ? 4 : 6;
    const ip = ipOfTargetName(q.name);
    if (ip !== null) return encodeResponse(q, RCODE.NOERROR, isIP(ip) === family ? [{ type: q.type, ip }] : []);
    if (q.name.endsWith('.ownstack') || q.name === 'ownstack') return encodeResponse(q, RCODE.NXDOMAIN, []);
    const ips = await (opts.resolve ?? systemResolve)(q.name, family).catch(() => null);
    if (ips === null) return encodeResponse(q, RCODE.SERVFAIL, []);
    return encodeResponse(q, RCODE.NOERROR, ips.slice(0, 16).map((a) => ({ type: q.type as typeof TYPE.A, ip: a })));
  }
  return encodeResponse(q, RCODE.NOERROR, []);
}

/**
 * Starts the responder. The socket is bound with SO_REUSEADDR: on Linux the newest socket on a UDP
 * address receives its datagrams, so a new agent takes over from the one it replaces without a gap.
 */
export async function startDnsResponder(opts: DnsResponderOptions): Promise<DnsResponder> {
  const family = isIP(opts.address) === 6 ? 'udp6' : 'udp4';
  const socket: Socket = createSocket({ type: family, reuseAddr: true });
  socket.on('message', (msg, rinfo) => {
    const q = parseQuery(msg);
    if (q === null) return;
    if ('formerr' in q) {
      const header = Buffer.alloc(12);
      header.writeUInt16BE(q.id, 0);
      header.writeUInt16BE(0x8000 | RCODE.FORMERR, 2);
      socket.send(header, rinfo.port, rinfo.address);
      return;
    }
    answer(q, opts).then(
      (out) => socket.send(out, rinfo.port, rinfo.address),
      (err: Error) => {
        opts.onError?.(`dns: ${q.name}: ${err.message}`);
        socket.send(encodeResponse(q, RCODE.SERVFAIL, []), rinfo.port, rinfo.address);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(opts.port, opts.address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (err) => opts.onError?.(`dns socket: ${err.message}`));
  const bound = socket.address();
  return {
    address: bound.address,
    port: bound.port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
