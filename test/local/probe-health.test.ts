// probeHealth: a local control plane is recognised by its /api/health answer, parsed with the
// contract's `health` schema; anything else on the port is not ours.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeHealth } from '../../src/local/find.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function answering(status: number, body: string): Promise<string> {
  server = createServer((_, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('probeHealth', () => {
  it('returns the parsed answer of a control plane', async () => {
    const url = await answering(200, JSON.stringify({ ok: true, service: 'ownstack-control-plane', version: '0.1.0', pid: 4242 }));
    expect(await probeHealth(url)).toEqual({ ok: true, service: 'ownstack-control-plane', version: '0.1.0', pid: 4242 });
  });

  it.each([
    ['another service', 200, { ok: true, service: 'something-else', version: '1', pid: 1 }],
    ['no pid', 200, { ok: true, service: 'ownstack-control-plane', version: '0.1.0' }],
    ['a pid that is not a number', 200, { ok: true, service: 'ownstack-control-plane', version: '0.1.0', pid: '4242' }],
    ['not ok', 200, { ok: false, service: 'ownstack-control-plane', version: '0.1.0', pid: 1 }],
    ['an error status', 503, { ok: true, service: 'ownstack-control-plane', version: '0.1.0', pid: 1 }],
  ])('is null for %s', async (_, status, body) => {
    const url = await answering(status, JSON.stringify(body));
    expect(await probeHealth(url)).toBeNull();
  });

  it('is null for a body that is not JSON, and when nothing listens', async () => {
    const url = await answering(200, '<html>');
    expect(await probeHealth(url)).toBeNull();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    expect(await probeHealth(url)).toBeNull();
  });
});
