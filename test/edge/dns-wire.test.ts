// The exact DNS UPDATE bytes the rfc2136 provider sends, checked against a capturing UDP server on
// 127.0.0.1 and an independent TSIG computation (RFC 8945 §4.3).
import { createHmac } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMessage, decodeName, encodeName } from '../../src/edge/dns-wire.js';
import { createRfc2136Provider, EdgeError } from '../../src/edge/index.js';
import { bytesToIp, canonicalIp } from '../../src/edge/records.js';

const SECRET = Buffer.alloc(32, 0x5a).toString('base64');
const KEY = { name: 'ownstack-update.', secret: SECRET, algorithm: 'hmac-sha256' };
const NOW = 1_800_000_000_000;

const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
const name = (n: string): Buffer => {
  const parts = n.replace(/\.$/, '').split('.').flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
  return Buffer.concat([...parts, Buffer.from([0])]);
};

/** Splits a signed request into the bytes before TSIG (ARCOUNT restored) and the TSIG fields. */
function splitTsig(wire: Buffer) {
  const msg = decodeMessage(wire);
  const start = msg.additionalOffsets.at(-1)!;
  const tsig = msg.additional.at(-1)!;
  const unsigned = Buffer.from(wire.subarray(0, start));
  unsigned.writeUInt16BE(msg.additional.length - 1, 10);
  const { name: alg, next } = decodeName(tsig.rdata, 0);
  const r = tsig.rdata;
  const macLen = r.readUInt16BE(next + 8);
  return {
    msg,
    unsigned,
    tsig,
    alg,
    time: r.readUIntBE(next, 6),
    fudge: r.readUInt16BE(next + 6),
    mac: r.subarray(next + 10, next + 10 + macLen),
    originalId: r.readUInt16BE(next + 10 + macLen),
  };
}

function tsigVars(time: number): Buffer {
  const t = Buffer.alloc(6);
  t.writeUIntBE(time, 0, 6);
  return Buffer.concat([name(KEY.name), u16(255), Buffer.alloc(4), name('hmac-sha256'), t, u16(300), u16(0), u16(0)]);
}

/** A signed NOERROR answer to `request`, computed here (not with src/edge/dns-wire.ts). */
function signedAnswer(request: Buffer, tamper = false): Buffer {
  const { msg, mac: requestMac, time } = splitTsig(request);
  const header = Buffer.concat([u16(msg.id), u16(0x8000 | (5 << 11)), u16(1), u16(0), u16(0), u16(0)]);
  const body = Buffer.concat([header, name('example.test'), u16(6), u16(1)]);
  const mac = createHmac('sha256', Buffer.from(SECRET, 'base64')).update(u16(requestMac.length)).update(requestMac).update(body).update(tsigVars(time)).digest();
  if (tamper) mac[0]! ^= 0xff;
  const t = Buffer.alloc(6);
  t.writeUIntBE(time, 0, 6);
  const rdata = Buffer.concat([name('hmac-sha256'), t, u16(300), u16(mac.length), mac, u16(msg.id), u16(0), u16(0)]);
  const tsigRr = Buffer.concat([name(KEY.name), u16(250), u16(255), Buffer.alloc(4), u16(rdata.length), rdata]);
  const out = Buffer.concat([body, tsigRr]);
  out.writeUInt16BE(1, 10);
  return out;
}

let socket: Socket | undefined;
afterEach(() => {
  socket?.close();
  socket = undefined;
});

/** A UDP server on 127.0.0.1 that records requests and answers each with `reply(request)`. */
async function capture(reply: (req: Buffer) => Buffer | undefined): Promise<{ port: number; seen: Buffer[] }> {
  const seen: Buffer[] = [];
  const s = createSocket('udp4');
  socket = s;
  s.on('message', (msg, rinfo) => {
    seen.push(msg);
    const answer = reply(msg);
    if (answer) s.send(answer, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return { port: s.address().port, seen };
}

const provider = (port: number) => createRfc2136Provider({ server: `127.0.0.1:${port}`, zone: 'example.test', tsig: KEY, timeoutMs: 300, attempts: 2 }, { now: () => NOW });

describe('rfc2136 wire format', () => {
  it('sends one UPDATE: zone SOA/IN, adds class IN TTL 60, deletes class NONE TTL 0, TSIG hmac-sha256 over the message', async () => {
    const server = await capture((req) => signedAnswer(req));
    const result = await provider(server.port).apply({
      add: [
        { hostname: 'api.example.test', type: 'A', value: '192.0.2.10' },
        { hostname: 'api.example.test', type: 'AAAA', value: '2001:db8::10' },
      ],
      remove: [{ hostname: 'api.example.test', type: 'A', value: '192.0.2.11' }],
    });
    expect(result).toEqual({ writes: 1 });
    expect(server.seen).toHaveLength(1);
    const { msg, unsigned, tsig, alg, time, fudge, mac, originalId } = splitTsig(server.seen[0]!);
    expect(unsigned.readUInt16BE(2)).toBe(5 << 11); // QR=0, opcode UPDATE, no flags
    expect(msg.questions).toEqual([{ name: 'example.test', type: 6, class: 1 }]);
    expect(msg.answers).toEqual([]); // no prerequisites
    expect(msg.authority.map((r) => [r.name, r.type, r.class, r.ttl, r.type === 1 || r.type === 28 ? bytesToIp(r.rdata) : ''])).toEqual([
      ['api.example.test', 1, 1, 60, '192.0.2.10'],
      ['api.example.test', 28, 1, 60, '2001:db8::10'],
      ['api.example.test', 1, 254, 0, '192.0.2.11'],
    ]);
    expect([tsig.name, tsig.type, tsig.class, tsig.ttl]).toEqual(['ownstack-update', 250, 255, 0]);
    expect([alg, time, fudge, originalId]).toEqual(['hmac-sha256', NOW / 1000, 300, msg.id]);
    const expected = createHmac('sha256', Buffer.from(SECRET, 'base64')).update(unsigned).update(tsigVars(time)).digest();
    expect(mac.equals(expected)).toBe(true);
  });

  it('verify sends the prerequisite "SOA RRset exists" (class ANY) and no update', async () => {
    const server = await capture((req) => signedAnswer(req));
    await provider(server.port).verify();
    const { msg } = splitTsig(server.seen[0]!);
    expect(msg.answers.map((r) => [r.name, r.type, r.class, r.ttl, r.rdata.length])).toEqual([['example.test', 6, 255, 0, 0]]);
    expect(msg.authority).toEqual([]);
  });

  it('rejects an answer whose TSIG does not verify', async () => {
    const server = await capture((req) => signedAnswer(req, true));
    const err = await provider(server.port).verify().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgeError);
    expect((err as EdgeError).kind).toBe('auth');
    expect((err as EdgeError).message).toContain('response TSIG signature does not verify');
  });

  it('rejects an unsigned NOERROR answer', async () => {
    const server = await capture((req) => {
      const out = Buffer.from(req.subarray(0, 12 + name('example.test').length + 4));
      out.writeUInt16BE(0x8000 | (5 << 11), 2);
      out.writeUInt16BE(0, 6);
      out.writeUInt16BE(0, 8);
      out.writeUInt16BE(0, 10);
      return out;
    });
    const err = (await provider(server.port).verify().catch((e: unknown) => e)) as EdgeError;
    expect(err.kind).toBe('auth');
    expect(err.message).toContain('not TSIG-signed');
  });

  it('maps REFUSED to an auth error naming the key', async () => {
    const server = await capture((req) => {
      const out = Buffer.from(req.subarray(0, 12 + name('example.test').length + 4));
      out.writeUInt16BE(0x8000 | (5 << 11) | 5, 2);
      out.writeUInt16BE(0, 6);
      out.writeUInt16BE(0, 8);
      out.writeUInt16BE(0, 10);
      return out;
    });
    const err = (await provider(server.port).verify().catch((e: unknown) => e)) as EdgeError;
    expect(err.kind).toBe('auth');
    expect(err.message).toBe(`DNS server 127.0.0.1:${server.port} refused the UPDATE check for zone example.test: REFUSED`);
    expect(err.hint).toContain('ownstack-update.');
    expect(`${err.message}${err.hint}`).not.toContain(SECRET);
  });

  it('retries a lost datagram a bounded number of times, then is unavailable', async () => {
    const server = await capture(() => undefined);
    const err = (await provider(server.port).verify().catch((e: unknown) => e)) as EdgeError;
    expect(err.kind).toBe('unavailable');
    expect(server.seen).toHaveLength(2);
    // each attempt carries its own TSIG, whose original ID is that attempt's message ID
    for (const wire of server.seen) {
      const { msg, originalId } = splitTsig(wire);
      expect(originalId).toBe(msg.id);
    }
  });

  it('refuses a secret that is not base64 and an unknown algorithm, without echoing the secret', () => {
    expect(() => createRfc2136Provider({ server: '127.0.0.1:53', zone: 'example.test', tsig: { ...KEY, secret: 'not base64!!' } })).toThrow(EdgeError);
    try {
      createRfc2136Provider({ server: '127.0.0.1:53', zone: 'example.test', tsig: { ...KEY, secret: 'not base64!!' } });
    } catch (err) {
      expect((err as Error).message).not.toContain('not base64!!');
    }
    expect(() => createRfc2136Provider({ server: '127.0.0.1:53', zone: 'example.test', tsig: { ...KEY, algorithm: 'hmac-md5' } })).toThrow(/unsupported TSIG algorithm/);
  });

  it('encodes names and canonicalises addresses', () => {
    expect(encodeName('API.Example.test.')).toEqual(name('api.example.test'));
    expect(() => encodeName(`${'a'.repeat(64)}.test`)).toThrow();
    expect(canonicalIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalIp('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    expect(canonicalIp('::ffff:192.0.2.1')).toBe('::ffff:c000:201');
    expect(canonicalIp('10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIp('proxy-1')).toBeUndefined();
  });
});
