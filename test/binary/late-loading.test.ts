// The paths that load code on first use, run through the standalone binary
// (dist-binary/ownstack-linux-x64, `npm run build:binary`): the https and proxy transports
// (test/e2e/transport.test.ts), the retype-to-confirm prompt in a real terminal
// (test/e2e/prompt.test.ts) and the in-process control plane with the AWS SDK
// (test/e2e/foreground.test.ts), with every `ownstack` they run being the binary (OWNSTACK_E2E_BINARY).
// Missing binary: the tests FAIL (CI builds it); set OWNSTACK_SKIP_BINARY=1 to skip them.
import { existsSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { beforeAll } from 'vitest';
import { ROOT } from '../helpers/e2e.js';

const BINARY = process.env.OWNSTACK_BINARY ? resolve(process.env.OWNSTACK_BINARY) : join(ROOT, 'dist-binary', 'ownstack-linux-x64');

if (process.env.OWNSTACK_SKIP_BINARY !== '1') {
  // Registered first, so it runs before the imported tests' own set-up.
  beforeAll(() => {
    if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: build it with \`npm run build:binary\`, or set OWNSTACK_SKIP_BINARY=1 to skip these tests`);
  });
  process.env.OWNSTACK_E2E_BINARY = BINARY;
  await import('../e2e/transport.test.js');
  await import('../e2e/prompt.test.js');
  await import('../e2e/foreground.test.js');
}
