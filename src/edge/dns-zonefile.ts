// dns_rr provider with zero setup: a BIND zone-file fragment (for $INCLUDE or a local resolver)
// plus a hosts-file style list, rewritten atomically. The zone file is the source of truth.
import { constants } from 'node:fs';
import { access, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import type { DnsChanges, DnsProvider } from './dns-rr.js';
import { canonicalIp, RECORDS_PER_SLICE, recordKey, sortRecords, yieldToLoop } from './records.js';
import { EdgeError, type EdgeRecord } from './types.js';

export interface ZonefileConfig {
  clusterName: string;
  /** e.g. $OWNSTACK_HOME/local/clusters/<name>/dns.zone */
  zonePath: string;
  /** e.g. $OWNSTACK_HOME/local/clusters/<name>/dns.hosts */
  hostsPath: string;
  ttl?: number;
}

const zoneHeader = (clusterName: string, ttl: number): string[] => [`; ownstack cluster ${clusterName}: dns_rr edge records. Generated: edits are overwritten.`, `$TTL ${ttl}`];
const zoneLine = (r: EdgeRecord, ttl: number): string => `${r.hostname}.\t${ttl}\tIN\t${r.type}\t${r.value}`;
const hostsHeader = (clusterName: string): string => `# ownstack cluster ${clusterName}: dns_rr edge records. Generated: edits are overwritten.`;
const hostsLine = (r: EdgeRecord): string => `${r.value}\t${r.hostname}`;

/** Renders the zone file: header, `$TTL`, one absolute-name record per line, sorted. */
export function renderZonefile(clusterName: string, records: readonly EdgeRecord[], ttl = 60): string {
  return `${[...zoneHeader(clusterName, ttl), ...sortRecords(records).map((r) => zoneLine(r, ttl))].join('\n')}\n`;
}

/** Renders the hosts-file style list: `address<TAB>hostname`, sorted like the zone file. */
export function renderHostsFile(clusterName: string, records: readonly EdgeRecord[]): string {
  return `${[hostsHeader(clusterName), ...sortRecords(records).map(hostsLine)].join('\n')}\n`;
}

/** Runs `fn` over `items`, letting the event loop run after every slice. */
async function sliced<T>(items: readonly T[], fn: (item: T) => void): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    fn(items[i]!);
    if (i % RECORDS_PER_SLICE === RECORDS_PER_SLICE - 1) await yieldToLoop();
  }
}

/** Parses A/AAAA records back from a zone file written by renderZonefile (tolerates hand edits). */
export function parseZonefile(text: string): EdgeRecord[] {
  const parser = zoneParser();
  for (const line of text.split(/\r?\n/)) parser.line(line);
  return parser.records;
}

/** The same parse, a slice of lines at a time with the event loop let in between. */
async function parseZonefileSliced(text: string): Promise<EdgeRecord[]> {
  const parser = zoneParser();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    parser.line(lines[i]!);
    if (i % RECORDS_PER_SLICE === RECORDS_PER_SLICE - 1) await yieldToLoop();
  }
  return parser.records;
}

// Line by line, keeping $ORIGIN; a zone holds few distinct addresses, each canonicalised once.
function zoneParser(): { records: EdgeRecord[]; line(raw: string): void } {
  const records: EdgeRecord[] = [];
  const canonical = new Map<string, string | undefined>();
  let origin = '';
  return {
    records,
    line(raw) {
      const line = raw.replace(/;.*$/, '').trim();
      if (line === '') return;
      const tokens = line.split(/\s+/);
      if (tokens[0] === '$ORIGIN' && tokens[1]) {
        origin = tokens[1].toLowerCase().replace(/\.$/, '');
        return;
      }
      if (tokens[0]!.startsWith('$')) return;
      // name [ttl] [IN] type value
      const name = tokens[0]!.toLowerCase();
      const rest = tokens.slice(1).filter((t) => !/^\d+$/.test(t) && t.toUpperCase() !== 'IN');
      const type = rest[0]?.toUpperCase();
      const value = rest[1];
      if ((type !== 'A' && type !== 'AAAA') || !value) return;
      if (!canonical.has(value)) canonical.set(value, canonicalIp(value));
      const ip = canonical.get(value);
      if (!ip) return;
      const hostname = name.endsWith('.') ? name.slice(0, -1) : name === '@' ? origin : origin ? `${name}.${origin}` : name;
      records.push({ hostname, type, value: ip });
    },
  };
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
      return await parseZonefileSliced((await readText(config.zonePath)) ?? '');
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
    read: (hostnames) =>
      serial(async () => {
        const wanted = new Set(hostnames);
        return (await readAll()).filter((r) => wanted.has(r.hostname));
      }),
    apply: (changes: DnsChanges) =>
      serial(async () => {
        // Linear in the records, with the event loop let in between the steps (a large cluster's
        // zone must not keep the control plane from answering meanwhile).
        const drop = new Set<string>();
        await sliced(changes.remove, (r) => void drop.add(recordKey(r)));
        const current = await readAll();
        const next = new Map<string, EdgeRecord>();
        await sliced(current, (r) => {
          const k = recordKey(r);
          if (!drop.has(k)) next.set(k, r);
        });
        await sliced(changes.add, (r) => void next.set(recordKey(r), r));
        const records = sortRecords([...next.values()]);
        await yieldToLoop();
        const zoneLines: string[] = [];
        await sliced(records, (r) => void zoneLines.push(zoneLine(r, ttl)));
        const zoneText = `${[...zoneHeader(config.clusterName, ttl), ...zoneLines].join('\n')}\n`;
        await yieldToLoop();
        const hostLines: string[] = [];
        await sliced(records, (r) => void hostLines.push(hostsLine(r)));
        const hostsText = `${[hostsHeader(config.clusterName), ...hostLines].join('\n')}\n`;
        let writes = 0;
        const files: [string, string][] = [
          [config.zonePath, zoneText],
          [config.hostsPath, hostsText],
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
