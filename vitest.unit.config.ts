import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:unit`: the fast inner loop. No build (nothing runs bin/ownstack or the binary), no
// Caddy, no knotd, no zsh or fish: the suites that need them are left out, and the few cases
// inside unit files that need one of them are skipped through the same variables a developer
// would set by hand.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        'test/e2e/**',
        'test/e2e-*/**',
        'test/binary/**',
        'test/proxy-runtime/**',
        'test/completion/shells.test.ts',
        'test/control-plane/known-running.test.ts',
        'test/deploy/cli.test.ts',
        'test/deploy/rollout.test.ts',
        'test/commands/cluster/proxy-config.test.ts',
        '**/node_modules/**',
      ],
      env: { OWNSTACK_SKIP_CADDY: '1', OWNSTACK_SKIP_KNOT: '1', OWNSTACK_SKIP_SHELLS: 'bash,zsh,fish', OWNSTACK_SKIP_BINARY: '1' },
    },
  }),
);
