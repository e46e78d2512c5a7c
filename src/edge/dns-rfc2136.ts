// dns_rr provider for a real authoritative server: RFC 2136 DNS UPDATE, TSIG-signed (RFC 8945),
// over UDP with TCP fallback on truncation (and TCP straight away for messages over 512 bytes).
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import { resolveEdgeDeps, type EdgeDeps } from './deps.js';
import type { DnsChanges, DnsProvider } from './dns-rr.js';
import {
  OPCODE,
  RCODE_NAMES,
  RRCLASS,
  RRTYPE,
  decodeMessage,
  encodeMessage,
  signMessage,
  tsigHash,
  verifyResponse,
  type DecodedMessage,
  type ResourceRecord,
  type TsigKey,
  NOT_SIGNED,
} from './dns-wire.js';
import { bytesToIp, ipToBytes, normalizeHostnames } from './records.js';
import { EdgeError, type EdgeErrorKind, type EdgeRecord } from './types.js';

export interface Rfc2136Config {
  /** `host:port` (port defaults to 53; IPv6 as `[addr]:port`). */
  server: string;
  zone: string;
  tsig: { name: string; secret: string; algorithm?: string };
  ttl?: number;
  /** Per-attempt timeout (default 3 s). */
  timeoutMs?: number;
  /** UDP attempts per message (default 3). */
  attempts?: number;
}

const UDP_LIMIT = 512;
const MAX_STRAY_PACKETS = 16;

/** Splits `host:port` / `[v6]:port` / `host`; port defaults to 53. */
export function parseServer(server: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(server) ?? /^([^:]+)(?::(\d+))?$/.exec(server);
  const host = m?.[1];
  const port = m?.[2] === undefined ? 53 : Number(m[2]);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    if (isIP(server) === 6) return { host: server, port: 53 };
    throw new EdgeError(`dns_server "${server}" is not host:port`, 'invalid', 'e.g. dns_server=ns1.example.com:53 or 127.0.0.1:5353');
  }
  return { host, port };
}

/** The RFC 2136 DnsProvider. */
export function createRfc2136Provider(config: Rfc2136Config, deps: EdgeDeps = {}): DnsProvider {
  const d = resolveEdgeDeps(deps, [config.tsig.secret]);
  const { host, port } = parseServer(config.server);
  const zone = config.zone.toLowerCase().replace(/\.$/, '');
  const ttl = config.ttl ?? 60;
  const timeoutMs = config.timeoutMs ?? 3000;
  const attempts = config.attempts ?? 3;
  const algorithm = (config.tsig.algorithm ?? 'hmac-sha256').toLowerCase();
  try {
    tsigHash(algorithm);
  } catch (err) {
    throw new EdgeError((err as Error).message, 'invalid', 'set dns_tsig_algorithm to the algorithm of the key on the server');
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(config.tsig.secret.trim())) {
    throw new EdgeError('dns_tsig_secret is not base64', 'invalid', 'copy the secret exactly as the server shows it (e.g. `keymgr -t name hmac-sha256`)');
  }
  const key: TsigKey = { name: config.tsig.name, algorithm, secret: Buffer.from(config.tsig.secret.trim(), 'base64') };
  const where = `${host}:${port}`;

  function fail(message: string, kind: EdgeErrorKind, hint?: string): EdgeError {
    return new EdgeError(d.redact(message), kind, hint);
  }

  function rcodeError(rcode: number, action: string, problem?: string): EdgeError {
    const name = RCODE_NAMES[rcode] ?? `RCODE ${rcode}`;
    const suffix = problem ? ` (${problem})` : '';
    switch (rcode) {
      case 5:
        return fail(`DNS server ${where} refused the ${action} for zone ${zone}: ${name}${suffix}`, 'auth', `allow updates to ${zone} with key ${key.name} in the server's ACL (Knot: acl action update; BIND: update-policy)`);
      case 9:
        // With a TSIG error (BADSIG, BADKEY, BADTIME) the key was refused; an answer without any
        // TSIG record means the server is not authoritative for the zone.
        if (problem?.startsWith('server TSIG error')) {
          return fail(`DNS server ${where} rejected the key for the ${action} on zone ${zone}: ${name}${suffix}`, 'auth', 'check dns_tsig_name, dns_tsig_secret and dns_tsig_algorithm, and that the server ACL lets this key update dns_zone');
        }
        return fail(`DNS server ${where} is not authoritative for zone ${zone}: ${name}`, 'invalid', 'check dns_zone and dns_server (the primary server of the zone)');
      case 10:
      case 3:
      case 8:
        return fail(`DNS server ${where} does not serve zone ${zone}: ${name}${suffix}`, 'invalid', 'check dns_zone and that every cluster hostname is inside it');
      case 4:
        return fail(`DNS server ${where} does not accept dynamic updates: ${name}${suffix}`, 'invalid', 'enable RFC 2136 updates for the zone on the server');
      case 2:
        return fail(`DNS server ${where} failed the ${action}: ${name}${suffix}`, 'unavailable', 'try again later; the next reconcile retries');
      default:
        return fail(`DNS server ${where} answered the ${action} with ${name}${suffix}`, 'failed');
    }
  }

  async function resolveHost(): Promise<{ address: string; family: 4 | 6 }> {
    const family = isIP(host);
    if (family) return { address: host, family: family as 4 | 6 };
    try {
      const r = await lookup(host);
      return { address: r.address, family: r.family === 6 ? 6 : 4 };
    } catch (err) {
      throw fail(`cannot resolve DNS server ${host}: ${(err as Error).message}`, 'unavailable');
    }
  }

  function udpExchange(address: string, family: 4 | 6, wire: Buffer, id: number): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
      let stray = 0;
      const done = (err: Error | undefined, value?: Buffer): void => {
        clearTimeout(timer);
        socket.close();
        if (err) reject(err);
        else resolve(value);
      };
      const timer = setTimeout(() => done(undefined, undefined), timeoutMs);
      socket.on('error', (err) => done(err));
      socket.on('message', (msg) => {
        if (msg.length >= 2 && msg.readUInt16BE(0) === id) return done(undefined, msg);
        if (++stray > MAX_STRAY_PACKETS) done(new Error('too many unrelated packets'));
      });
      socket.connect(port, address, () => socket.send(wire, (err) => err && done(err)));
    });
  }

  function tcpExchange(address: string, wire: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: address, port });
      const chunks: Buffer[] = [];
      let length = 0;
      const done = (err: Error | undefined, value?: Buffer): void => {
        socket.destroy();
        if (err) reject(err);
        else resolve(value!);
      };
      socket.setTimeout(timeoutMs, () => done(new Error(`no answer over TCP within ${timeoutMs} ms`)));
      socket.on('error', (err) => done(err));
      socket.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(wire.length);
        socket.write(Buffer.concat([len, wire]));
      });
      socket.on('data', (chunk) => {
        chunks.push(chunk);
        length += chunk.length;
        if (length < 2) return;
        const all = Buffer.concat(chunks);
        const size = all.readUInt16BE(0);
        if (all.length >= size + 2) done(undefined, all.subarray(2, size + 2));
      });
      socket.on('end', () => done(new Error('connection closed before a full answer')));
    });
  }

  /** Sends one signed message (fresh ID and signature per attempt) and returns the verified answer. */
  async function exchange(action: string, build: (id: number) => Buffer, okRcodes: readonly number[] = [0]): Promise<DecodedMessage> {
    const { address, family } = await resolveHost();
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const id = randomInt(0, 0x10000);
      const { wire, mac } = signMessage(build(id), key, Math.floor(d.now() / 1000));
      let answer: Buffer | undefined;
      try {
        answer = wire.length > UDP_LIMIT ? await tcpExchange(address, wire) : await udpExchange(address, family, wire, id);
        if (answer && answer.length >= 3 && (answer[2]! & 0x02) !== 0) {
          d.log.debug(`dns: ${action} answer truncated over UDP; retrying over TCP`);
          answer = await tcpExchange(address, wire);
        }
      } catch (err) {
        lastError = err as Error;
        // A refused connection will not get better by retrying within the same call.
        if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') break;
        continue;
      }
      if (!answer) {
        lastError = new Error(`no answer within ${timeoutMs} ms`);
        d.log.warn(`dns: ${action} to ${where}: no answer (attempt ${attempt}/${attempts})`);
        continue;
      }
      let msg: DecodedMessage;
      try {
        msg = decodeMessage(answer);
      } catch (err) {
        throw fail(`DNS server ${where} sent a malformed answer to the ${action}: ${(err as Error).message}`, 'failed');
      }
      if (msg.id !== id || !msg.qr) throw fail(`DNS server ${where} sent an unrelated answer to the ${action}`, 'failed');
      const check = verifyResponse(answer, msg, mac, key, Math.floor(d.now() / 1000));
      // Error answers are often unsigned (the server may not know the key): report the RCODE and
      // any TSIG error, not the missing signature.
      if (!okRcodes.includes(msg.rcode)) throw rcodeError(msg.rcode, action, check.ok || check.problem === NOT_SIGNED ? undefined : check.problem);
      if (!check.ok) throw fail(`DNS server ${where}: ${action} answer failed TSIG verification: ${check.problem}`, 'auth', 'check dns_tsig_name, dns_tsig_secret and dns_tsig_algorithm');
      return msg;
    }
    throw fail(`DNS server ${where} did not answer the ${action}: ${lastError?.message ?? 'no answer'}`, 'unavailable', `check dns_server (${config.server}) and that it listens on UDP and TCP`);
  }

  function updateMessage(id: number, prereqs: ResourceRecord[], updates: ResourceRecord[]): Buffer {
    return encodeMessage({
      id,
      qr: false,
      opcode: OPCODE.UPDATE,
      rcode: 0,
      questions: [{ name: zone, type: RRTYPE.SOA, class: RRCLASS.IN }],
      answers: prereqs,
      authority: updates,
      additional: [],
    });
  }

  function checkInZone(hostnames: string[]): void {
    const outside = hostnames.filter((h) => h !== zone && !h.endsWith(`.${zone}`));
    if (outside.length > 0) throw fail(`hostname ${outside.join(', ')} is not in DNS zone ${zone}`, 'invalid', 'set dns_zone to a zone that contains every cluster hostname');
  }

  const rr = (r: EdgeRecord, rrclass: number, rrttl: number): ResourceRecord => {
    const rdata = ipToBytes(r.value);
    if (!rdata || (r.type !== 'A' && r.type !== 'AAAA')) throw fail(`cannot publish ${r.type} ${r.value} over DNS UPDATE`, 'invalid');
    return { name: r.hostname, type: r.type === 'A' ? RRTYPE.A : RRTYPE.AAAA, class: rrclass, ttl: rrttl, rdata };
  };

  return {
    name: 'rfc2136',
    async verify() {
      // A signed UPDATE whose only content is the prerequisite "the zone's SOA exists": proves the
      // key, the ACL and the zone without changing anything.
      await exchange('UPDATE check', (id) => updateMessage(id, [{ name: zone, type: RRTYPE.SOA, class: RRCLASS.ANY, ttl: 0, rdata: Buffer.alloc(0) }], []));
    },
    async apply(changes: DnsChanges) {
      const all = [...changes.add, ...changes.remove];
      checkInZone([...new Set(all.map((r) => r.hostname))]);
      if (all.length === 0) return { writes: 0 };
      // One message: the server applies the whole change atomically.
      const updates = [...changes.add.map((r) => rr(r, RRCLASS.IN, ttl)), ...changes.remove.map((r) => rr(r, RRCLASS.NONE, 0))];
      await exchange('UPDATE', (id) => updateMessage(id, [], updates));
      return { writes: 1 };
    },
    async read(hostnames: string[]) {
      const hosts = normalizeHostnames(hostnames);
      checkInZone(hosts);
      const out: EdgeRecord[] = [];
      for (const hostname of hosts) {
        for (const [type, qtype] of [['A', RRTYPE.A], ['AAAA', RRTYPE.AAAA]] as const) {
          const msg = await exchange(`${type} query for ${hostname}`, (id) =>
            encodeMessage({ id, qr: false, opcode: OPCODE.QUERY, rcode: 0, questions: [{ name: hostname, type: qtype, class: RRCLASS.IN }], answers: [], authority: [], additional: [] }),
            [0, 3], // NXDOMAIN: no records at that name
          );
          for (const a of msg.answers) {
            if (a.name === hostname && a.type === qtype && a.class === RRCLASS.IN) out.push({ hostname, type, value: bytesToIp(a.rdata) });
          }
        }
      }
      return out;
    },
  };
}
