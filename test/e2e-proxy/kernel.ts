// net.ipv4.tcp_migrate_req: with it on (Linux 5.14+), connections still queued on a retiring
// proxy's listening socket move to its replacement instead of being reset. The zero-error proofs
// need it; this turns it on for the run when we may (root, e.g. CI) and puts it back afterwards.
import { readFileSync, writeFileSync } from 'node:fs';
import { MIGRATE_REQ_PATH } from '../../src/proxy/runtime.js';

export interface MigrateReq {
  /** True when the setting is on for this run. */
  on: boolean;
  /** Why it is off, when it is. */
  why: string | null;
  restore(): void;
}

export function enableMigrateReq(): MigrateReq {
  let before: string;
  try {
    before = readFileSync(MIGRATE_REQ_PATH, 'utf8').trim();
  } catch {
    return { on: false, why: `${MIGRATE_REQ_PATH} does not exist (Linux 5.14+ only)`, restore: () => undefined };
  }
  if (before !== '0') return { on: true, why: null, restore: () => undefined };
  try {
    writeFileSync(MIGRATE_REQ_PATH, '1');
  } catch (err) {
    return { on: false, why: `cannot set net.ipv4.tcp_migrate_req=1 (${(err as Error).message}); run as root or set it yourself`, restore: () => undefined };
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
