// net.ipv4.tcp_migrate_req (Linux 5.14+): moves connections queued on a closing listener to
// another listener of the same port. The proxies never close a listener for a routing change (the
// agents change DNS answers, not Caddy's config), so the proofs pass either way; they run with it
// on and then off to show that. This sets it for the run when we may (root, e.g. CI, or a network
// namespace of our own) and puts it back afterwards.
import { readFileSync, writeFileSync } from 'node:fs';

export const MIGRATE_REQ_PATH = '/proc/sys/net/ipv4/tcp_migrate_req';

export interface MigrateReq {
  /** True when the setting is what was asked for during this run. */
  on: boolean;
  /** Why it could not be set, when it could not. */
  why: string | null;
  restore(): void;
}

/** Sets tcp_migrate_req to `on` (1) or off (0) when possible. */
export function setMigrateReq(on: boolean): MigrateReq {
  const want = on ? '1' : '0';
  let before: string;
  try {
    before = readFileSync(MIGRATE_REQ_PATH, 'utf8').trim();
  } catch {
    return { on: false, why: `${MIGRATE_REQ_PATH} does not exist (Linux 5.14+ only)`, restore: () => undefined };
  }
  if (before === want) return { on: true, why: null, restore: () => undefined };
  try {
    writeFileSync(MIGRATE_REQ_PATH, want);
  } catch (err) {
    return { on: false, why: `cannot set net.ipv4.tcp_migrate_req=${want} (${(err as Error).message})`, restore: () => undefined };
  }
  return {
    on: true,
    why: null,
    restore: () => {
      try {
        writeFileSync(MIGRATE_REQ_PATH, before);
      } catch {
        /* best effort */
      }
    },
  };
}
