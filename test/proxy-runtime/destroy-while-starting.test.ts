// Destroying a cluster while its proxies are still starting (the create's reconcile is writing
// files and starting Caddy): the destroy answers 200, and neither the folder nor a replica stays.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeHome } from '../control-plane/helpers.js';
import { processesOf } from '../helpers/e2e.js';
import { caddyInstalled, startProxyServer, type ProxyTestServer } from './helpers.js';

const PORT = 33_000;
let srv: ProxyTestServer | undefined;

afterEach(async () => {
  if (srv) {
    await srv.close();
    removeHome(srv.home);
    srv = undefined;
  }
});

describe.skipIf(!caddyInstalled())('destroy while the proxies start', () => {
  it('answers 200 and leaves no folder and no replica, every time', async () => {
    srv = await startProxyServer({ portBase: PORT });
    const s = srv;
    for (let i = 0; i < 4; i++) {
      const name = `web${i}`;
      const dir = join(s.home, 'local', 'clusters', name);
      const create = s.api('POST', '/api/clusters', { name, hostnames: [`${name}.example.com`], proxy_count: 3, edge: 'none' });
      // The moment the create has committed, its reconcile (files, then three Caddy starts) runs.
      await expect.poll(async () => (await s.api('GET', `/api/clusters/${name}`)).status, { interval: 5, timeout: 10_000 }).toBe(200);
      if (i % 2 === 1) await expect.poll(() => existsSync(join(dir, 'Caddyfile')), { interval: 5, timeout: 10_000 }).toBe(true);
      const destroyed = await s.api('DELETE', `/api/clusters/${name}`);
      expect(destroyed.status, JSON.stringify(destroyed.body)).toBe(200);
      expect(destroyed.body.name).toBe(name);
      await create;
      expect(existsSync(dir), `${dir} is left behind`).toBe(false);
      expect(processesOf(dir)).toEqual([]);
      expect(s.logs.filter((l) => /ENOTEMPTY| 500/.test(l))).toEqual([]);
    }
    // Nothing recreates it later (a queued reconcile, the periodic one).
    const again = await s.api('POST', '/api/clusters/web0/domains', { hostname: 'x.example.com' });
    expect(again.status).toBe(404);
    expect(existsSync(join(s.home, 'local', 'clusters', 'web0'))).toBe(false);
  });
});
