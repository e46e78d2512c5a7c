// dns_rr provider with zero setup: a BIND zone-file fragment (for $INCLUDE or a local resolver)
// plus a hosts-file style list, rewritten atomically. The zone file is the source of truth.
import { constants } from 'node:fs';
import { access, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import type { DnsChanges, DnsProvider } from './dns-rr.js';
import { canonicalIp, compareRecords, recordKey } from './records.js';
import { EdgeError, type EdgeRecord } from './types.js';

export interface ZonefileConfig {
  clusterName: string;
  /** e.g. $OWNSTACK_HOME/local/clusters/<name>/dns.zone */
  zonePath: string;
  /** e.g. $OWNSTACK_HOME/local/clusters/<name>/dns.hosts */
  hostsPath: string;
  ttl?: number;
}

/** Renders the zone file: header, `$TTL`, one absolute-name record per line, sorted. */
export function renderZonefile(clusterName: string, records: readonly EdgeRecord[], ttl = 60): string {
  const lines = [
    `; ownstack cluster ${clusterName}: dns_rr edge records. Generated: edits are overwritten.`,
    `$TTL ${ttl}`,
    ...[...records].sort(compareRecords).map((r) => `${r.hostname}.\t${ttl}\tIN\t${r.type}\t${r.value}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Renders the hosts-file style list: `address<TAB>hostname`, sorted like the zone file. */
export function renderHostsFile(clusterName: string, records: readonly EdgeRecord[]): string {
  const lines = [
    `# ownstack cluster ${clusterName}: dns_rr edge records. Generated: edits are overwritten.`,
    ...[...records].sort(compareRecords).map((r) => `${r.value}\t${r.hostname}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Parses A/AAAA records back from a zone file written by renderZonefile (tolerates hand edits). */
export function parseZonefile(text: string): EdgeRecord[] {
  const out: EdgeRecord[] = [];
  let origin = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/;.*$/, '').trim();
    if (line === '') continue;
    const tokens = line.split(/\s+/);
    if (tokens[0] === '$ORIGIN' && tokens[1]) {
      origin = tokens[1].toLowerCase().replace(/\.$/, '');
      continue;
    }
    if (tokens[0]!.startsWith('$')) continue;
    // name [ttl] [IN] type value
    const name = tokens[0]!.toLowerCase();
    const rest = tokens.slice(1).filter((t) => !/^\d+$/.test(t) && t.toUpperCase() !== 'IN');
    const type = rest[0]?.toUpperCase();
    const value = rest[1];
    if ((type !== 'A' && type !== 'AAAA') || !value) continue;
    const ip = canonicalIp(value);
    if (!ip) continue;
    const hostname = name.endsWith('.') ? name.slice(0, -1) : name === '@' ? origin : origin ? `${name}.${origin}` : name;
    out.push({ hostname, type, value: ip });
  }
  return out;
}


async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The zone file DnsProvider. */
export function createZonefileProvider(config: ZonefileConfig): DnsProvider {
  const ttl = config.ttl ?? 60;
  // Serialise read-modify-write cycles within this process.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const fsError = (err: unknown, what: string): EdgeError =>
    new EdgeError(`cannot ${what}: ${(err as Error).message}`, 'failed', 'check that the cluster folder exists and is writable');

  async function readAll(): Promise<EdgeRecord[]> {
    try {
      return parseZonefile((await readText(config.zonePath)) ?? '');
    } catch (err) {
      throw fsError(err, `read ${config.zonePath}`);
    }
  }

  return {
    name: 'zonefile',
    async verify() {
      for (const path of [config.zonePath, config.hostsPath]) {
        try {
          await mkdir(dirname(path), { recursive: true });
          await access(dirname(path), constants.W_OK);
        } catch (err) {
          throw fsError(err, `write to ${dirname(path)}`);
        }
      }
    },
    read: (hostnames) => serial(async () => (await readAll()).filter((r) => hostnames.includes(r.hostname))),
    apply: (changes: DnsChanges) =>
      serial(async () => {
        const drop = new Set(changes.remove.map(recordKey));
        const next = new Map<string, EdgeRecord>();
        for (const r of await readAll()) if (!drop.has(recordKey(r))) next.set(recordKey(r), r);
        for (const r of changes.add) next.set(recordKey(r), r);
        const records = [...next.values()];
        let writes = 0;
        const files: [string, string][] = [
          [config.zonePath, renderZonefile(config.clusterName, records, ttl)],
          [config.hostsPath, renderHostsFile(config.clusterName, records)],
        ];
        for (const [path, text] of files) {
          try {
            if ((await readText(path)) === text) continue;
            await writeFileAtomic(path, text, { durable: true });
            writes++;
          } catch (err) {
            throw fsError(err, `write ${path}`);
          }
        }
        return { writes };
      }),
  };
}
