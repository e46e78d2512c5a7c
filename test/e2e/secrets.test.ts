// The CLI checks a request locally with the server's schema: a refused secret flag never shows
// the secret on stderr, and nothing is sent.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { assertBuilt, e2eHome, ownstack } from '../helpers/e2e.js';

const SECRET = 'c2VjcmV0LXRzaWcta2V5LXZhbHVlLTk4NzY1NDMyMQ==';
let home: string;
let dir: string;
beforeAll(() => {
  assertBuilt();
  home = e2eHome('secrets');
  dir = mkdtempSync(join(tmpdir(), 'ownstack-secret-'));
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

test('a TSIG secret given with another edge mode: exit 2, the secret hidden', async () => {
  const file = join(dir, 'tsig');
  writeFileSync(file, SECRET, { mode: 0o600 });
  for (const json of [false, true]) {
    const r = await ownstack(home, ['cluster', 'create', 'web', '--edge=none', `--dns-tsig-secret-file=${file}`, ...(json ? ['--json'] : [])]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain('--dns-tsig-secret-file');
    expect(r.stderr).toContain('(hidden)');
    expect(r.stderr + r.stdout).not.toContain(SECRET.slice(0, 12));
  }
});

test('cluster update with a TSIG secret that is not base64: exit 2, the secret hidden', async () => {
  const file = join(dir, 'tsig-bad');
  writeFileSync(file, `${SECRET} !!`, { mode: 0o600 });
  for (const json of [false, true]) {
    const r = await ownstack(home, ['cluster', 'update', 'web', `--dns-tsig-secret-file=${file}`, ...(json ? ['--json'] : [])]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain('--dns-tsig-secret-file');
    expect(r.stderr).toContain('base64');
    expect(r.stderr).toContain('(hidden)');
    expect(r.stderr + r.stdout).not.toContain(SECRET.slice(0, 12));
  }
});
