// Temporary state folders (OWNSTACK_HOME) for tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh empty folder under the system's temp folder. */
export function tempDir(prefix = 'ownstack-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh OWNSTACK_HOME and the function that removes it. */
export function tempHome(prefix = 'ownstack-test-'): { home: string; cleanup: () => void } {
  const home = tempDir(prefix);
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}
