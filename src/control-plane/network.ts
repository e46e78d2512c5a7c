// The control plane's network listener: HTTPS on an address other hosts reach (proxy agents,
// operators), next to the loopback listener the local CLI uses. Kept in network.json so that
// every start (by hand, by systemd or automatic) serves the same way until `--listen off`.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../atomic-file.js';
import { isWildcardHost } from '../inputs/listen.js';
import { isLoopbackHost } from '../inputs/loopback.js';

/** What network.json holds: where to listen and the PEM files of the certificate and its key. */
export interface NetworkSettings {
  host: string;
  port: number;
  cert: string;
  key: string;
  /** True when `--tls-self-signed` made the pair (status says so: agents must trust it explicitly). */
  self_signed: boolean;
}

export function networkFile(localDir: string): string {
  return join(localDir, 'network.json');
}

/** The saved settings, or null when the control plane serves loopback only. */
export function readNetwork(localDir: string): NetworkSettings | null {
  let raw: string;
  try {
    raw = readFileSync(networkFile(localDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const s = JSON.parse(raw) as NetworkSettings;
  if (typeof s.host !== 'string' || typeof s.port !== 'number' || typeof s.cert !== 'string' || typeof s.key !== 'string') {
    throw new Error(`${networkFile(localDir)} is not a network listener's settings: run \`ownstack local start --listen …\` again or \`--listen off\``);
  }
  return { ...s, self_signed: s.self_signed === true };
}

export async function writeNetwork(localDir: string, s: NetworkSettings): Promise<void> {
  mkdirSync(localDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(networkFile(localDir), `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600, durable: true });
}

export function removeNetwork(localDir: string): void {
  rmSync(networkFile(localDir), { force: true });
}

export function listenUrl(s: Pick<NetworkSettings, 'host' | 'port'>): string {
  const shown = isWildcardHost(s.host) ? hostname() : s.host;
  return `https://${isIP(shown) === 6 ? `[${shown}]` : shown}:${s.port}`;
}

/** True when the address is reachable from other hosts (not 127.0.0.0/8 or ::1). */
export function offLoopback(host: string): boolean {
  return !isLoopbackHost(host);
}

/** The certificate and key, checked to be PEM that pair up; the error names the file and what is wrong. */
export function loadTls(s: Pick<NetworkSettings, 'cert' | 'key'>): { cert: Buffer; key: Buffer } {
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  const cert = read(s.cert, 'certificate');
  const key = read(s.key, 'key');
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`the TLS certificate ${s.cert} and key ${s.key} do not make a usable pair (${(err as Error).message})`);
  }
  return { cert, key };
}

/**
 * A self-signed certificate for the listen address, this host's name, localhost and 127.0.0.1,
 * made with openssl (EC P-256, 825 days) in `<localDir>/tls/`; an existing pair is kept.
 */
export async function selfSignedPair(localDir: string, listenHost: string): Promise<{ cert: string; key: string }> {
  const dir = join(localDir, 'tls');
  const cert = resolve(dir, 'cert.pem');
  const key = resolve(dir, 'key.pem');
  if (existsSync(cert) && existsSync(key)) return { cert, key };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const names = new Set([`DNS:${hostname()}`, 'DNS:localhost', 'IP:127.0.0.1', 'IP:::1']);
  if (listenHost !== '0.0.0.0' && listenHost !== '::') names.add(`IP:${listenHost}`);
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '825', '-subj', '/CN=ownstack control plane'];
  args.push('-addext', `subjectAltName=${[...names].join(',')}`, '-keyout', key, '-out', cert);
  try {
    await promisify(execFile)('openssl', args, { timeout: 30_000 });
  } catch (err) {
    rmSync(key, { force: true });
    rmSync(cert, { force: true });
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    throw new Error(e.code === 'ENOENT' ? 'openssl is not installed: install it, or give --tls-cert and --tls-key' : `openssl could not make the certificate: ${(e.stderr ?? e.message).trim().slice(0, 300)}`);
  }
  return { cert, key };
}
