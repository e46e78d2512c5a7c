// Which proxies an edge may publish. A hosted provider (Cloudflare, an ALB) sends the internet's
// traffic to what it holds, so a loopback or private-use address there is almost always a
// mistake (a proxy that registered its listen address, a local replica): it is refused unless the
// cluster allows private addresses. dns_rr writes what is registered (private DNS is legitimate).
// An ALB `instance` target group registers EC2 instance ids, so a proxy needs one there.
import { ipToBytes } from './records.js';
import type { EdgeMode } from './types.js';

/** The cluster setting (and CLI flag) that lets cloudflare and aws_alb publish private addresses. */
export const ALLOW_PRIVATE_FLAG = '--edge-allow-private-addresses';

interface Range {
  cidr: string;
  what: string;
  bytes: Buffer;
  bits: number;
}

const range = (cidr: string, what: string): Range => {
  const [address, bits] = cidr.split('/') as [string, string];
  return { cidr, what, bytes: ipToBytes(address)!, bits: Number(bits) };
};

const V4 = [
  range('127.0.0.0/8', 'loopback'),
  range('10.0.0.0/8', 'private-use'),
  range('172.16.0.0/12', 'private-use'),
  range('192.168.0.0/16', 'private-use'),
  range('169.254.0.0/16', 'link-local'),
  range('100.64.0.0/10', 'shared (carrier-grade NAT)'),
  range('0.0.0.0/8', 'unspecified'),
];
const V6 = [range('::1/128', 'loopback'), range('fc00::/7', 'unique local'), range('fe80::/10', 'link-local'), range('::/128', 'unspecified')];

function inRange(bytes: Buffer, r: Range): boolean {
  if (bytes.length !== r.bytes.length) return false;
  const full = Math.floor(r.bits / 8);
  if (bytes.subarray(0, full).compare(r.bytes.subarray(0, full)) !== 0) return false;
  const rest = r.bits % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[full]! & mask) === (r.bytes[full]! & mask);
}

/** The loopback / private-use range an IP address is in (`10.0.0.0/8 (private-use)`), or null for a public one. */
export function privateRange(address: string): string | null {
  let bytes = ipToBytes(address.trim());
  if (!bytes) return null;
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address.
  if (bytes.length === 16 && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) bytes = bytes.subarray(12);
  for (const r of bytes.length === 4 ? V4 : V6) if (inRange(bytes, r)) return `${r.cidr} (${r.what})`;
  return null;
}

/** A proxy the edge leaves out, and why (a sentence naming the rule and the fix). */
export interface RefusedProxy {
  name: string;
  address: string;
  port: number;
  reason: string;
}

export interface AdmissionInput {
  /** The cluster's name, for the command in the fix. */
  cluster?: string;
  mode: EdgeMode;
  allowPrivate: boolean;
  /** aws_alb: the target group's target type (null: not known yet, treated as ip). */
  albTargetType?: 'ip' | 'instance' | null;
}

/** A proxy as admission sees it: where it is, its name (for messages), its EC2 instance id. */
export interface AdmissionProxy {
  name: string;
  address: string;
  port: number;
  instanceId: string | null;
}

/**
 * Splits a cluster's proxies into what its edge may publish and what it refuses (with why).
 */
export function admitProxies<P extends AdmissionProxy>(proxies: readonly P[], input: AdmissionInput): { admitted: P[]; refused: RefusedProxy[] } {
  const admitted: P[] = [];
  const refused: RefusedProxy[] = [];
  for (const p of proxies) {
    const reason = refusal(p, input);
    if (reason === null) admitted.push(p);
    else refused.push({ name: p.name, address: p.address, port: p.port, reason });
  }
  return { admitted, refused };
}

function refusal(p: AdmissionProxy, input: AdmissionInput): string | null {
  if (input.mode === 'none') return null;
  if (input.mode === 'aws_alb' && input.albTargetType === 'instance') {
    // The target is the instance: its address does not matter, its id does.
    if (p.instanceId) return null;
    return 'the target group registers EC2 instances and this proxy has no instance id: start its agent with --instance-id, or on the EC2 instance itself (the agent reads the id from the instance metadata)';
  }
  if (!ipToBytes(p.address.trim())) return `its public address "${p.address}" is not an IP address: give its agent --public-address with the IP the edge should send traffic to`;
  if (input.mode === 'dns_rr' || input.allowPrivate) return null;
  const scope = privateRange(p.address);
  if (scope === null) return null;
  return (
    `its public address ${p.address} is in ${scope}: the ${input.mode} edge publishes public addresses only ` +
    `(start its agent with --public-address set to the address the internet reaches it on, or allow private addresses with ownstack cluster update ${input.cluster ?? '<cluster>'} ${ALLOW_PRIVATE_FLAG})`
  );
}
