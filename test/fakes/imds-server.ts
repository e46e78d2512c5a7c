// A stand-in for the EC2 instance metadata service on 127.0.0.1, IMDSv2 only: PUT /latest/api/token
// (with the TTL header) gives a session token; GET /latest/meta-data/instance-id needs it (401
// without, as IMDSv2-only instances answer).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ImdsFake {
  endpoint: string;
  /** `METHOD path` of every request, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startImdsFake(instanceId: string): Promise<ImdsFake> {
  const requests: string[] = [];
  const tokens = new Set<string>();
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    };
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return send(400, 'Missing TTL');
      const token = randomBytes(16).toString('base64');
      tokens.add(token);
      return send(200, token);
    }
    if (req.method === 'GET' && req.url === '/latest/meta-data/instance-id') {
      const token = req.headers['x-aws-ec2-metadata-token'];
      if (typeof token !== 'string' || !tokens.has(token)) return send(401, 'Unauthorized');
      return send(200, instanceId);
    }
    send(404, 'Not Found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
