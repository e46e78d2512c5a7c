// Real network pieces for the e2e tests of the paths that load code on first use: a self-signed
// certificate (openssl), a TLS reverse proxy that fronts an http control plane with it, and an
// HTTP CONNECT proxy. Every listener is on loopback and records what it saw.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest, createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';

export interface Certificate {
  /** PEM file of the certificate: what NODE_EXTRA_CA_CERTS names to trust it. */
  certFile: string;
  cert: string;
  key: string;
}

/** A self-signed certificate for `localhost` and 127.0.0.1, valid one day, written into `dir`. */
export function selfSignedCertificate(dir: string): Certificate {
  const keyFile = join(dir, 'tls-key.pem');
  const certFile = join(dir, 'tls-cert.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], {
      stdio: 'pipe',
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('openssl is missing: apt-get install -y openssl');
    throw err;
  }
  return { certFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

export interface SeenRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface Listener {
  /** The address clients use (https://localhost:port, or http://127.0.0.1:port for the proxy). */
  url: string;
  port: number;
  close(): Promise<void>;
}

async function listen(server: HttpServer, sockets: Set<Socket>): Promise<number> {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

function closer(server: HttpServer, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
}

/** An https reverse proxy in front of `target` (http://host:port): what a hosted control plane looks like. */
export async function startTlsFront(target: string, cert: Certificate): Promise<Listener & { requests: SeenRequest[] }> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpsServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    const upstream = httpRequest(new URL(req.url ?? '/', target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (err) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`tls front: ${err.message}`);
    });
    req.pipe(upstream);
  });
  const port = await listen(server, sockets);
  return { url: `https://localhost:${port}`, port, requests, close: closer(server, sockets) };
}

/**
 * An HTTP proxy that tunnels CONNECT requests (what undici's ProxyAgent sends, for http and https
 * targets alike) and refuses anything else with 405, recording both.
 */
export async function startConnectProxy(): Promise<Listener & { tunnels: string[]; refused: string[] }> {
  const tunnels: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    refused.push(`${req.method} ${req.url}`);
    res.writeHead(405, { 'content-type': 'text/plain' });
    res.end('this proxy only tunnels (CONNECT)\n');
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(/:(?=\d+$)/);
    const upstream = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const port = await listen(server, sockets);
  return { url: `http://127.0.0.1:${port}`, port, tunnels, refused, close: closer(server, sockets) };
}
