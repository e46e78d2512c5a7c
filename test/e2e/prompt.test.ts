// Retype-to-confirm in a real pseudo-terminal, through the shipped entry (bin/ownstack, or the binary
// via OWNSTACK_E2E_BINARY; test/binary/late-loading.test.ts). The prompt loads its terminal code
// (node:readline/promises) on first use: a wrong name aborts with "nothing was changed" and exit 2
// before anything is sent; the right name goes ahead.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanupHome, e2eHome, ok, okJson } from '../helpers/e2e.js';
import { ownstackInPty } from '../helpers/pty.js';

let home: string;
beforeAll(() => {
  assertBuilt();
  home = e2eHome('prompt');
});
afterAll(async () => {
  await cleanupHome(home);
});

describe('retype to confirm, on a terminal', { timeout: 180_000 }, () => {
  it('profile remove: a wrong name changes nothing (exit 2), the right one removes it', async () => {
    const token = 'prompt-e2e-token-0123456789';
    await ok(home, ['profile', 'add', 'acme', '--api-url=https://cp.acme.example', '--token-stdin'], { input: token });
    const file = join(home, 'profiles', 'acme');

    const wrong = await ownstackInPty(home, ['profile', 'remove', 'acme'], { answer: 'acm' });
    expect(wrong.screen).toContain('This will delete profile acme and its stored token. Type "acme" to confirm: acm\n');
    expect(wrong.screen).toContain('error: aborted: the name did not match\nhint: nothing was changed\n');
    expect(wrong.exitCode).toBe(2);
    expect(existsSync(file)).toBe(true);

    const right = await ownstackInPty(home, ['profile', 'remove', 'acme'], { answer: 'acme' });
    expect(right.screen).toContain('Removed profile acme');
    expect(right.exitCode).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it('cluster destroy: a wrong name leaves the cluster (exit 2, nothing sent), the right one destroys it', async () => {
    await ok(home, ['cluster', 'create', 'doomed', '--hostname=doomed.example.com']);

    const wrong = await ownstackInPty(home, ['cluster', 'destroy', 'doomed'], { answer: 'doome' });
    expect(wrong.screen).toMatch(/Type "doomed" to confirm: doome\n/);
    expect(wrong.screen).toContain('hint: nothing was changed');
    expect(wrong.exitCode).toBe(2);
    expect((await okJson<{ name: string }[]>(home, ['cluster', 'list'])).map((c) => c.name)).toEqual(['doomed']);

    const right = await ownstackInPty(home, ['cluster', 'destroy', 'doomed'], { answer: 'doomed' });
    expect(right.screen).toContain('Destroyed cluster doomed');
    expect(right.exitCode).toBe(0);
    expect(await okJson(home, ['cluster', 'list'])).toEqual([]);
  });
});
