// Concurrency through the built binary: ten commands against a cold state start exactly one
// server; twenty concurrent `cluster upstream add` all land.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanupHome, controlPlanePids, e2eHome, localFiles, ok, okJson, ownstack, readEnvFile, serverInfo } from '../helpers/e2e.js';

let home: string;
beforeAll(() => {
  assertBuilt();
  home = e2eHome('concurrency');
});
afterAll(async () => {
  await cleanupHome(home);
});

describe('concurrent commands', { timeout: 300_000 }, () => {
  it('ten commands started at once against a cold state start exactly one server', async () => {
    expect(serverInfo(home)).toBeNull();
    const names = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const results = await Promise.all(names.map((n) => ownstack(home, ['cluster', 'create', n, '--edge=none'], { timeoutMs: 60_000 })));
    const failed = results.filter((r) => r.exitCode !== 0).map((r) => r.stderr);
    expect(failed).toEqual([]);
    const startLines = results.flatMap((r) => r.stderr.split('\n').filter((l) => l.startsWith('Started the local control plane')));
    expect(startLines).toHaveLength(1);

    const info = serverInfo(home)!;
    expect(controlPlanePids(home)).toEqual([info.pid]);
    const clusters = await okJson<{ name: string }[]>(home, ['cluster', 'list']);
    expect(clusters.map((c) => c.name).sort()).toEqual(names);
    // The server log shows one start.
    const { readFileSync } = await import('node:fs');
    const log = readFileSync(localFiles(home).log, 'utf8');
    expect(log.match(/ready on/g)).toHaveLength(1);
  });

  it('twenty concurrent `cluster upstream add` invocations all land', async () => {
    await ok(home, ['cluster', 'create', 'api', '--edge=none', '--hostname=api.example.com']);
    await ok(home, ['cluster', 'variant', 'add', 'api', 'blue', '--weight=100']);
    // URL upstreams on loopback ports nothing listens on: only configuration, no traffic.
    const urls = Array.from({ length: 20 }, (_, i) => `http://127.0.0.1:${41000 + i}`);
    const results = await Promise.all(
      urls.map((u) => ownstack(home, ['cluster', 'upstream', 'add', 'api', '--variant=blue', '--hostname=api.example.com', `--url=${u}`], { timeoutMs: 60_000 })),
    );
    expect(results.filter((r) => r.exitCode !== 0).map((r) => r.stderr)).toEqual([]);
    const upstreams = await okJson<{ url: string; variant: string }[]>(home, ['cluster', 'upstream', 'list', 'api']);
    expect(upstreams.map((u) => u.url).sort()).toEqual([...urls].sort());
    // Every one of them is routed, in the env file on disk too.
    const deadline = Date.now() + 3_000;
    let entries: string[] = [];
    while (Date.now() < deadline) {
      entries = (readEnvFile(localFiles(home).cluster('api').env)?.CLUSTER_UPSTREAMS_API_EXAMPLE_COM ?? '').split(' ').filter(Boolean);
      if (entries.length === 20) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect([...new Set(entries)].sort()).toEqual([...urls].sort());
    expect(controlPlanePids(home)).toHaveLength(1);
  });
});
