// A server killed with SIGKILL in the middle of a burst of switches comes back consistent: every
// hostname's env value is all-blue or all-green (never a mix), in every snapshot of proxy.env
// taken during the burst and after the restart, and the database and the files agree.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanupHome, controlPlanePids, e2eHome, localFiles, ok, okJson, ownstack, readEnvFile, serverInfo, waitGone, type CliResult } from '../helpers/e2e.js';

const HOSTS = ['a.example.com', 'b.example.com', 'c.example.com'];
const envName = (h: string) => `CLUSTER_UPSTREAMS_${h.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
// Loopback ports nothing listens on: configuration only.
const url = (variant: 'blue' | 'green', i: number) => `http://127.0.0.1:${(variant === 'blue' ? 42100 : 42200) + i}`;
const expected = (variant: 'blue' | 'green') => Object.fromEntries(HOSTS.map((h, i) => [envName(h), url(variant, i)]));

/** 'blue', 'green', or what is wrong with the env. */
function classify(env: Record<string, string> | null): string {
  if (env === null) return 'missing';
  for (const variant of ['blue', 'green'] as const) {
    const want = expected(variant);
    if (Object.entries(want).every(([k, v]) => env[k] === v)) {
      const union = (env.CLUSTER_UPSTREAMS ?? '').split(' ').sort();
      return JSON.stringify(union) === JSON.stringify(Object.values(want).sort()) ? variant : `bad union ${env.CLUSTER_UPSTREAMS}`;
    }
  }
  return `mixed ${JSON.stringify(env)}`;
}

let home: string;
beforeAll(() => {
  assertBuilt();
  home = e2eHome('crash');
});
afterAll(async () => {
  await cleanupHome(home);
});

describe('SIGKILL during a burst of switches', { timeout: 300_000 }, () => {
  it('restarts consistent: all-blue or all-green, database and files agree', async () => {
    await ok(home, ['cluster', 'create', 'api', '--edge=dns_rr', ...HOSTS.map((h) => `--hostname=${h}`)]);
    await ok(home, ['cluster', 'variant', 'add', 'api', 'blue', '--weight=100']);
    await ok(home, ['cluster', 'variant', 'add', 'api', 'green', '--weight=0']);
    for (const [i, h] of HOSTS.entries()) {
      await ok(home, ['cluster', 'upstream', 'add', 'api', '--variant=blue', `--hostname=${h}`, `--url=${url('blue', i)}`]);
      await ok(home, ['cluster', 'upstream', 'add', 'api', '--variant=green', `--hostname=${h}`, `--url=${url('green', i)}`]);
    }
    const envPath = localFiles(home).cluster('api').env;
    expect(classify(readEnvFile(envPath))).toBe('blue');
    const victim = serverInfo(home)!.pid;

    // Watch proxy.env for the whole burst: every snapshot must be whole.
    const seen = new Map<string, number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const kind = classify(readEnvFile(envPath));
        seen.set(kind, (seen.get(kind) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    const burst = Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 'green' : 'blue'));
    let done = 0;
    let killed = false;
    const results: CliResult[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = next++; i < burst.length; i = next++) {
          results.push(await ownstack(home, ['cluster', 'switch', 'api', `--to=${burst[i]}`], { timeoutMs: 60_000 }));
          done++;
          // Kill while the other three are in flight.
          if (done === 3 && !killed) {
            killed = true;
            process.kill(victim, 'SIGKILL');
          }
        }
      }),
    );
    watching = false;
    await watcher;
    expect(killed).toBe(true);
    expect(await waitGone(victim)).toBe(true);

    // In-flight commands may fail (their server died); nothing else may go wrong.
    const codes = results.map((r) => r.exitCode);
    expect(codes.filter((c) => c !== 0 && c !== 1)).toEqual([]);
    expect(codes.filter((c) => c === 0).length).toBeGreaterThanOrEqual(3);
    expect([...seen.keys()].filter((k) => k !== 'blue' && k !== 'green')).toEqual([]);

    // Any command restarts the server; it comes back consistent.
    const config = await ownstack(home, ['cluster', 'proxy-config', 'api', '--json']);
    expect(config.exitCode).toBe(0);
    const info = serverInfo(home)!;
    expect(info.pid).not.toBe(victim);
    expect(controlPlanePids(home)).toEqual([info.pid]);
    const api = JSON.parse(config.stdout) as { env: Record<string, string>; caddyfile: string };
    const routed = classify(api.env);
    expect(['blue', 'green']).toContain(routed);
    // Files on disk = database.
    expect(readEnvFile(envPath)).toEqual(api.env);
    expect(readFileSync(localFiles(home).cluster('api').caddyfile, 'utf8').trim()).toBe(api.caddyfile.trim());
    // Variant weights = routing.
    const variants = await okJson<{ name: string; weight: number }[]>(home, ['cluster', 'variant', 'list', 'api']);
    const weights = Object.fromEntries(variants.map((v) => [v.name, v.weight]));
    expect(weights[routed]).toBeGreaterThan(0);
    expect(weights[routed === 'blue' ? 'green' : 'blue']).toBe(0);

    // And it keeps working.
    await ok(home, ['cluster', 'switch', 'api', '--to=green']);
    expect(classify(readEnvFile(envPath))).toBe('green');
  });
});
