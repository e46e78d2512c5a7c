// DNS wire format (RFC 1035), the UPDATE message (RFC 2136) and TSIG signing (RFC 8945).
// Only what the dns_rr edge needs: A/AAAA/SOA records, no name compression on output.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const RRTYPE = { A: 1, NS: 2, SOA: 6, AAAA: 28, TSIG: 250, ANY: 255 } as const;
export const RRCLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
export const OPCODE = { QUERY: 0, UPDATE: 5 } as const;
export const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED',
  6: 'YXDOMAIN', 7: 'YXRRSET', 8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE',
};
export const TSIG_ERROR_NAMES: Record<number, string> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' };

export class DnsWireError extends Error {}

export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdata: Buffer;
}

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface DnsMessage {
  id: number;
  qr: boolean;
  opcode: number;
  aa?: boolean;
  tc?: boolean;
  rd?: boolean;
  ra?: boolean;
  rcode: number;
  /** Question section; the Zone section of an UPDATE. */
  questions: Question[];
  /** Answer section; the Prerequisite section of an UPDATE. */
  answers: ResourceRecord[];
  /** Authority section; the Update section of an UPDATE. */
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

/** A name in uncompressed, lower-case wire form (also the canonical form TSIG needs). */
export function encodeName(name: string): Buffer {
  const trimmed = name.replace(/\.$/, '').toLowerCase();
  const parts: Buffer[] = [];
  let total = 1;
  if (trimmed.length > 0) {
    for (const label of trimmed.split('.')) {
      const bytes = Buffer.from(label, 'ascii');
      if (bytes.length === 0 || bytes.length > 63) throw new DnsWireError(`invalid DNS name "${name}"`);
      parts.push(Buffer.from([bytes.length]), bytes);
      total += bytes.length + 1;
    }
  }
  if (total > 255) throw new DnsWireError(`DNS name too long: "${name}"`);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const u48 = (n: number): Buffer => {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
};

export function encodeRecord(rr: ResourceRecord): Buffer {
  return Buffer.concat([encodeName(rr.name), u16(rr.type), u16(rr.class), u32(rr.ttl), u16(rr.rdata.length), rr.rdata]);
}

export function encodeMessage(msg: DnsMessage): Buffer {
  const flags =
    (msg.qr ? 0x8000 : 0) |
    ((msg.opcode & 0xf) << 11) |
    (msg.aa ? 0x0400 : 0) |
    (msg.tc ? 0x0200 : 0) |
    (msg.rd ? 0x0100 : 0) |
    (msg.ra ? 0x0080 : 0) |
    (msg.rcode & 0xf);
  return Buffer.concat([
    u16(msg.id),
    u16(flags),
    u16(msg.questions.length),
    u16(msg.answers.length),
    u16(msg.authority.length),
    u16(msg.additional.length),
    ...msg.questions.map((q) => Buffer.concat([encodeName(q.name), u16(q.type), u16(q.class)])),
    ...msg.answers.map(encodeRecord),
    ...msg.authority.map(encodeRecord),
    ...msg.additional.map(encodeRecord),
  ]);
}

/** Reads a possibly compressed name at `offset`; returns it and the offset after it. */
export function decodeName(buf: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  // Bounded: a name has at most 127 labels, and each pointer must go backwards.
  for (let hops = 0; hops < 128; hops++) {
    if (pos >= buf.length) throw new DnsWireError('truncated name');
    const len = buf[pos]!;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { name: labels.join('.'), next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new DnsWireError('truncated name pointer');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= pos) throw new DnsWireError('forward name pointer');
      if (next < 0) next = pos + 2;
      pos = target;
      continue;
    }
    if (len > 63 || pos + 1 + len > buf.length) throw new DnsWireError('bad label');
    labels.push(buf.toString('ascii', pos + 1, pos + 1 + len).toLowerCase());
    pos += 1 + len;
  }
  throw new DnsWireError('name too long');
}

export interface DecodedMessage extends DnsMessage {
  /** Byte offset where each additional record starts (TSIG verification strips the last one). */
  additionalOffsets: number[];
}

export function decodeMessage(buf: Buffer): DecodedMessage {
  if (buf.length < 12) throw new DnsWireError('message shorter than a header');
  const flags = buf.readUInt16BE(2);
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  let pos = 12;
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const { name, next } = decodeName(buf, pos);
    if (next + 4 > buf.length) throw new DnsWireError('truncated question');
    questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    pos = next + 4;
  }
  const readRecords = (count: number, offsets?: number[]): ResourceRecord[] => {
    const out: ResourceRecord[] = [];
    for (let i = 0; i < count; i++) {
      offsets?.push(pos);
      const { name, next } = decodeName(buf, pos);
      if (next + 10 > buf.length) throw new DnsWireError('truncated record');
      const rdlen = buf.readUInt16BE(next + 8);
      if (next + 10 + rdlen > buf.length) throw new DnsWireError('truncated rdata');
      out.push({
        name,
        type: buf.readUInt16BE(next),
        class: buf.readUInt16BE(next + 2),
        ttl: buf.readUInt32BE(next + 4),
        rdata: buf.subarray(next + 10, next + 10 + rdlen),
      });
      pos = next + 10 + rdlen;
    }
    return out;
  };
  const answers = readRecords(counts[1]);
  const authority = readRecords(counts[2]);
  const additionalOffsets: number[] = [];
  const additional = readRecords(counts[3], additionalOffsets);
  return {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    questions,
    answers,
    authority,
    additional,
    additionalOffsets,
  };
}

// ---- TSIG (RFC 8945) -------------------------------------------------------------------------

export interface TsigKey {
  /** Key name as configured on the server, e.g. `ownstack-update.` */
  name: string;
  /** hmac-sha256 (default), hmac-sha512, hmac-sha384, hmac-sha224, hmac-sha1. */
  algorithm: string;
  secret: Buffer;
}

const TSIG_ALGORITHMS: Record<string, string> = {
  'hmac-sha1': 'sha1',
  'hmac-sha224': 'sha224',
  'hmac-sha256': 'sha256',
  'hmac-sha384': 'sha384',
  'hmac-sha512': 'sha512',
};

export function tsigHash(algorithm: string): string {
  const hash = TSIG_ALGORITHMS[algorithm.toLowerCase().replace(/\.$/, '')];
  if (!hash) throw new DnsWireError(`unsupported TSIG algorithm "${algorithm}" (use ${Object.keys(TSIG_ALGORITHMS).join(', ')})`);
  return hash;
}

const FUDGE = 300;

/** The TSIG variables that follow the message in the MAC input (RFC 8945 §4.3.3). */
function tsigVariables(key: TsigKey, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  return Buffer.concat([
    encodeName(key.name),
    u16(RRCLASS.ANY),
    u32(0),
    encodeName(key.algorithm),
    u48(timeSigned),
    u16(fudge),
    u16(error),
    u16(other.length),
    other,
  ]);
}

/** Appends a TSIG record to an encoded message; returns the signed bytes and the request MAC. */
export function signMessage(message: Buffer, key: TsigKey, timeSigned: number): { wire: Buffer; mac: Buffer } {
  const id = message.readUInt16BE(0);
  const mac = createHmac(tsigHash(key.algorithm), key.secret)
    .update(message)
    .update(tsigVariables(key, timeSigned, FUDGE, 0, Buffer.alloc(0)))
    .digest();
  const rdata = Buffer.concat([encodeName(key.algorithm), u48(timeSigned), u16(FUDGE), u16(mac.length), mac, u16(id), u16(0), u16(0)]);
  const wire = Buffer.concat([message, encodeRecord({ name: key.name, type: RRTYPE.TSIG, class: RRCLASS.ANY, ttl: 0, rdata })]);
  wire.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { wire, mac };
}

export const NOT_SIGNED = 'response is not TSIG-signed';

export interface TsigCheck {
  ok: boolean;
  /** Why it failed: a TSIG error from the server (BADSIG, BADKEY, BADTIME) or a local check. */
  problem?: string;
}

/** Verifies the TSIG on a response to a request whose MAC was `requestMac` (RFC 8945 §5.3). */
export function verifyResponse(wire: Buffer, msg: DecodedMessage, requestMac: Buffer, key: TsigKey, nowSeconds: number): TsigCheck {
  const last = msg.additional.length - 1;
  const rr = msg.additional[last];
  if (!rr || rr.type !== RRTYPE.TSIG) return { ok: false, problem: NOT_SIGNED };
  const { name: alg, next } = decodeName(rr.rdata, 0);
  // rdata names are never compressed in TSIG; decodeName on the rdata slice alone is enough.
  const r = rr.rdata;
  if (next + 10 > r.length) return { ok: false, problem: 'malformed TSIG record' };
  const timeSigned = r.readUIntBE(next, 6);
  const fudge = r.readUInt16BE(next + 6);
  const macLen = r.readUInt16BE(next + 8);
  if (next + 10 + macLen + 6 > r.length) return { ok: false, problem: 'malformed TSIG record' };
  const mac = r.subarray(next + 10, next + 10 + macLen);
  const originalId = r.readUInt16BE(next + 10 + macLen);
  const error = r.readUInt16BE(next + 12 + macLen);
  const otherLen = r.readUInt16BE(next + 14 + macLen);
  const other = r.subarray(next + 16 + macLen, next + 16 + macLen + otherLen);
  if (error !== 0) return { ok: false, problem: `server TSIG error ${TSIG_ERROR_NAMES[error] ?? error}` };
  if (rr.name !== key.name.toLowerCase().replace(/\.$/, '')) return { ok: false, problem: `response signed with another key (${rr.name})` };
  if (alg !== key.algorithm.toLowerCase().replace(/\.$/, '')) return { ok: false, problem: `response signed with another algorithm (${alg})` };
  // The MAC covers the response without its TSIG record, with ARCOUNT decremented and the original ID.
  const stripped = Buffer.from(wire.subarray(0, msg.additionalOffsets[last]));
  stripped.writeUInt16BE(msg.additional.length - 1, 10);
  stripped.writeUInt16BE(originalId, 0);
  const expected = createHmac(tsigHash(key.algorithm), key.secret)
    .update(u16(requestMac.length))
    .update(requestMac)
    .update(stripped)
    .update(tsigVariables(key, timeSigned, fudge, error, other))
    .digest();
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return { ok: false, problem: 'response TSIG signature does not verify' };
  if (Math.abs(nowSeconds - timeSigned) > fudge) return { ok: false, problem: 'response TSIG time is outside the allowed fudge' };
  return { ok: true };
}
