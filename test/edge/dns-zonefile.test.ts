// dns_rr with the zero-setup zone file provider: exact file contents, atomic rewrites.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseZonefile } from '../../src/edge/dns-zonefile.js';
import { createEdgeDriver, type EdgeDriver } from '../../src/edge/index.js';

const HOSTS = ['app.example.test', 'api.example.test'];
const TWO = [
  { address: '192.0.2.11', port: 443 },
  { address: '192.0.2.9', port: 443 },
];
const ZONE_HEADER = '; ownstack cluster api: dns_rr edge records. Generated: edits are overwritten.\n$TTL 60\n';
const HOSTS_HEADER = '# ownstack cluster api: dns_rr edge records. Generated: edits are overwritten.\n';

let dir: string;
let d: EdgeDriver;
const zone = () => readFile(join(dir, 'dns.zone'), 'utf8');
const hostsFile = () => readFile(join(dir, 'dns.hosts'), 'utf8');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ownstack-edge-'));
  d = createEdgeDriver({ name: 'api', edge: 'dns_rr', edge_config: {} }, { clusterDir: join(dir) });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dns_rr / zonefile', () => {
  it('create: one A record per hostname × proxy, sorted, $TTL 60, plus a hosts list', async () => {
    await d.verify();
    const result = await d.publish(HOSTS, TWO);
    expect(result).toMatchObject({ unchanged: 0, writes: 2 });
    expect(result.added).toHaveLength(4);
    expect(await zone()).toBe(
      ZONE_HEADER +
        'api.example.test.\t60\tIN\tA\t192.0.2.9\n' +
        'api.example.test.\t60\tIN\tA\t192.0.2.11\n' +
        'app.example.test.\t60\tIN\tA\t192.0.2.9\n' +
        'app.example.test.\t60\tIN\tA\t192.0.2.11\n',
    );
    expect(await hostsFile()).toBe(
      HOSTS_HEADER + '192.0.2.9\tapi.example.test\n192.0.2.11\tapi.example.test\n192.0.2.9\tapp.example.test\n192.0.2.11\tapp.example.test\n',
    );
    expect((await d.read(HOSTS)).map((r) => `${r.hostname} ${r.value}`)).toEqual([
      'api.example.test 192.0.2.9',
      'api.example.test 192.0.2.11',
      'app.example.test 192.0.2.9',
      'app.example.test 192.0.2.11',
    ]);
  });

  it('a second reconcile with no change writes nothing', async () => {
    await d.publish(HOSTS, TWO);
    const before = (await stat(join(dir, 'dns.zone'))).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect(await d.publish(HOSTS, TWO)).toEqual({ added: [], removed: [], unchanged: 4, writes: 0 });
    expect((await stat(join(dir, 'dns.zone'))).mtimeMs).toBe(before);
  });

  it('proxy failure removes exactly its records; destroy leaves an empty zone; no temp files remain', async () => {
    await d.publish(HOSTS, TWO);
    const failed = await d.publish(HOSTS, [TWO[0]!]);
    expect(failed.removed).toEqual([
      { hostname: 'api.example.test', type: 'A', value: '192.0.2.9' },
      { hostname: 'app.example.test', type: 'A', value: '192.0.2.9' },
    ]);
    expect(await zone()).toBe(ZONE_HEADER + 'api.example.test.\t60\tIN\tA\t192.0.2.11\napp.example.test.\t60\tIN\tA\t192.0.2.11\n');
    const removed = await d.remove(HOSTS);
    expect(removed.removed).toHaveLength(2);
    expect(await zone()).toBe(ZONE_HEADER);
    expect(await hostsFile()).toBe(HOSTS_HEADER);
    expect((await readdir(dir)).sort()).toEqual(['dns.hosts', 'dns.zone']);
  });

  it('keeps records of other hostnames and reads hand-edited files', async () => {
    await writeFile(
      join(dir, 'dns.zone'),
      '$ORIGIN example.test.\n$TTL 300\nwww 300 IN A 198.51.100.1 ; kept\napi IN AAAA 2001:DB8::1\n@ A 198.51.100.2\n',
    );
    expect(await d.read(['api.example.test'])).toEqual([{ hostname: 'api.example.test', type: 'AAAA', value: '2001:db8::1' }]);
    await d.publish(['api.example.test'], [TWO[0]!]);
    expect(parseZonefile(await zone())).toEqual([
      { hostname: 'api.example.test', type: 'A', value: '192.0.2.11' },
      { hostname: 'example.test', type: 'A', value: '198.51.100.2' },
      { hostname: 'www.example.test', type: 'A', value: '198.51.100.1' },
    ]);
  });

  it('takes explicit paths from edge_config', async () => {
    const custom = createEdgeDriver(
      { name: 'api', edge: 'dns_rr', edge_config: { dns_provider: 'zonefile', dns_zonefile_path: join(dir, 'sub', 'z.zone'), dns_hosts_path: join(dir, 'sub', 'h.txt') } },
      {},
    );
    await custom.publish(['api.example.test'], [TWO[0]!]);
    expect((await readdir(join(dir, 'sub'))).sort()).toEqual(['h.txt', 'z.zone']);
  });

  it('concurrent publishes do not lose records', async () => {
    await Promise.all([d.publish(['api.example.test'], TWO), d.publish(['app.example.test'], TWO)]);
    expect(await d.read(HOSTS)).toHaveLength(4);
  });
});
