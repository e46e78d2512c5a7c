// Starts a real Knot DNS (knotd) on 127.0.0.1:<random port> with a throw-away config: zone
// example.test, a TSIG key allowed to update it, a second key that is not, storage in a temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freeTcpUdpPort } from '../helpers/net.js';
import { queryAddresses } from './dns-query.js';

export interface KnotServer {
  port: number;
  /** `127.0.0.1:<port>`, the dns_server setting. */
  server: string;
  zone: string;
  /** Key allowed to update the zone. */
  tsig: { name: string; secret: string; algorithm: 'hmac-sha256' };
  /** A valid key the ACL does not allow to update. */
  otherKey: { name: string; secret: string; algorithm: 'hmac-sha256' };
  /** Everything knotd printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Path of knotd, or undefined when Knot DNS is not installed (Debian package `knot`). */
export function findKnotd(): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, 'knotd');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

const ZONE_FILE = (zone: string): string => `$ORIGIN ${zone}.
$TTL 60
@   SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 604800 60
@   NS  ns.${zone}.
ns  A   127.0.0.1
`;

export async function startKnot(opts: { zone?: string } = {}): Promise<KnotServer> {
  const knotd = findKnotd();
  if (!knotd) throw new Error('knotd not found: install Knot DNS (Debian package `knot`) or set OWNSTACK_SKIP_KNOT=1');
  const zone = opts.zone ?? 'example.test';
  const dir = await mkdtemp(join(tmpdir(), 'ownstack-knot-'));
  const tsig = { name: 'ownstack-update.', secret: randomBytes(32).toString('base64'), algorithm: 'hmac-sha256' as const };
  const otherKey = { name: 'ownstack-readonly.', secret: randomBytes(32).toString('base64'), algorithm: 'hmac-sha256' as const };
  await mkdir(join(dir, 'run'));
  await mkdir(join(dir, 'db'));
  await mkdir(join(dir, 'zones'));
  await writeFile(join(dir, 'zones', `${zone}.zone`), ZONE_FILE(zone));

  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeTcpUdpPort();
    const conf = join(dir, 'knot.conf');
    await writeFile(
      conf,
      `server:
    rundir: "${join(dir, 'run')}"
    listen: 127.0.0.1@${port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: info
database:
    storage: "${join(dir, 'db')}"
key:
  - id: ${tsig.name}
    algorithm: ${tsig.algorithm}
    secret: ${tsig.secret}
  - id: ${otherKey.name}
    algorithm: ${otherKey.algorithm}
    secret: ${otherKey.secret}
acl:
  - id: ownstack-update
    key: ${tsig.name}
    action: update
template:
  - id: default
    storage: "${join(dir, 'zones')}"
    file: "%s.zone"
zone:
  - domain: ${zone}
    acl: ownstack-update
`,
    );
    let output = '';
    const child: ChildProcess = spawn(knotd, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    let exited = false;
    const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

    const stop = async (): Promise<void> => {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    };

    // Ready when it answers the zone's SOA (bounded: 50 × 100 ms).
    for (let i = 0; i < 50 && !exited; i++) {
      try {
        const soa = await queryAddresses(port, zone, 'SOA', 200);
        if (soa.rcode === 0 && soa.addresses.length === 1) {
          return { port, server: `127.0.0.1:${port}`, zone, tsig, otherKey, output: () => output, stop };
        }
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    lastError = new Error(`knotd did not come up on 127.0.0.1:${port}:\n${output}`);
    if (!exited) {
      child.kill('SIGKILL');
      await exit;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError ?? new Error('knotd did not start');
}
