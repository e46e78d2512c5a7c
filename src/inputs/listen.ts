// A listening address, ADDR:PORT, as `local start --listen` and `proxy agent --listen` take it.
import { isIP } from 'node:net';

export interface ListenAt {
  /** An IP address; `0.0.0.0` or `::` for every address. */
  host: string;
  port: number;
}

/** `ADDR:PORT` (IPv6 in brackets; `:PORT`, `0.0.0.0:PORT` or `[::]:PORT` for every address), or null. */
export function parseListen(raw: string): ListenAt | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})?):(\d{1,5})$/.exec(raw);
  if (!m) return null;
  const host = m[1] ?? m[2] ?? '0.0.0.0';
  const port = Number(m[3]);
  if (isIP(host) === 0 || port < 1 || port > 65535) return null;
  return { host, port };
}

/** True for the addresses that mean every address. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}
