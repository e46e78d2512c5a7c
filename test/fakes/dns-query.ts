// A minimal DNS client for assertions, written independently of src/edge/dns-wire.ts:
// one UDP question to 127.0.0.1, the answer's addresses (and RCODE) back.
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';

export interface QueryAnswer {
  rcode: number;
  truncated: boolean;
  addresses: string[];
}

const TYPES = { A: 1, AAAA: 28, SOA: 6 } as const;

function question(id: number, name: string, type: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const parts = [Buffer.from([id >> 8, id & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  parts.push(Buffer.from([0, type >> 8, type & 0xff, 0, 1]));
  return Buffer.concat(parts);
}

function skipName(buf: Buffer, pos: number): number {
  for (let i = 0; i < 128; i++) {
    const len = buf[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2;
    pos += len + 1;
  }
  throw new Error('name too long');
}

function formatV6(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // Let the WHATWG URL parser produce the canonical compressed form.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** Asks 127.0.0.1:port for `name`/`type` over UDP (no EDNS, so answers over 512 bytes come back truncated). */
export function queryAddresses(port: number, name: string, type: 'A' | 'AAAA' | 'SOA', timeoutMs = 1000): Promise<QueryAnswer> {
  const id = randomInt(0, 0x10000);
  const qtype = TYPES[type];
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no answer from 127.0.0.1:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
    socket.on('message', (buf) => {
      if (buf.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      socket.close();
      const flags = buf.readUInt16BE(2);
      const ancount = buf.readUInt16BE(6);
      let pos = skipName(buf, 12) + 4;
      const addresses: string[] = [];
      for (let i = 0; i < ancount && pos < buf.length; i++) {
        pos = skipName(buf, pos);
        const type = buf.readUInt16BE(pos);
        const rdlen = buf.readUInt16BE(pos + 8);
        const rdata = buf.subarray(pos + 10, pos + 10 + rdlen);
        if (type === 1 && qtype === 1) addresses.push(Array.from(rdata).join('.'));
        if (type === 28 && qtype === 28) addresses.push(formatV6(rdata));
        if (type === 6 && qtype === 6) addresses.push('SOA');
        pos += 10 + rdlen;
      }
      resolve({ rcode: flags & 0xf, truncated: (flags & 0x0200) !== 0, addresses: addresses.sort() });
    });
    socket.send(question(id, name, qtype), port, '127.0.0.1');
  });
}
