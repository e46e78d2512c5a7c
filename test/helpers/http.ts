// Plain HTTP requests through a proxy, as a client outside ownstack makes them.
import { request, type Agent } from 'node:http';

export interface Got {
  status: number;
  body: string;
  /** The x-member header the test upstreams set: which member answered. */
  member: string | null;
}

/** GET http://<address>:<port><path> with a Host header (like `curl --resolve host:port:address`). */
export function get(address: string, port: number, host: string, path = '/', opts: { timeoutMs?: number; agent?: Agent | false } = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: address, port, path, method: 'GET', headers: { host: `${host}:${port}` }, agent: opts.agent ?? false, timeout: opts.timeoutMs ?? 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, member: (res.headers['x-member'] as string | undefined) ?? null }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${host}${path} via ${address}:${port} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
