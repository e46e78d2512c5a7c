// Loopback ports for tests.
import { createServer, type AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';

async function bindAndRelease(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A TCP port on 127.0.0.1 that was free a moment ago (bound, then closed). */
export function freePort(): Promise<number> {
  return bindAndRelease();
}

/** A loopback port nothing listens on, so a connection to it is refused. */
export function closedPort(): Promise<number> {
  return bindAndRelease();
}

/** A port on 127.0.0.1 free for both TCP and UDP right now (a DNS server takes both). */
export async function freeTcpUdpPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = createServer();
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = tcp.address() as AddressInfo;
    const udp = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    udp.close();
    await new Promise<void>((r) => tcp.close(() => r()));
    if (ok) return port;
  }
  throw new Error('no port free for both TCP and UDP on 127.0.0.1 after 20 attempts');
}
