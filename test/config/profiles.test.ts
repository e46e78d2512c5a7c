// Profiles: precedence (flag > env > active profile > local), the legacy single-profile config,
// private file modes, and unknown profiles.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOSTED_API_URL, ProfileStore, checkProfileName, resolveProfile } from '../../src/config/profiles.js';
import { formatKeyValues, ownstackHome, parseKeyValues } from '../../src/config/files.js';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { runOwnstack, tempHome } from '../helpers/cli.js';

let home: string;
let cleanup: () => void;
let store: ProfileStore;
beforeEach(() => {
  ({ home, cleanup } = tempHome());
  store = new ProfileStore(home);
});
afterEach(() => cleanup());

const mode = (p: string) => statSync(p).mode & 0o777;

function seed() {
  store.save({ name: 'acme', apiUrl: 'https://cp.acme.example', token: 'acme-token-0001' });
  store.save({ name: 'staging', apiUrl: 'https://staging.example', token: 'staging-token-0002' });
  store.setActive('acme');
}

describe('resolveProfile precedence', () => {
  it('nothing configured → the local control plane', () => {
    const r = resolveProfile(store, {}, {});
    expect(r).toMatchObject({ name: 'local', apiUrl: null, token: null, local: true });
    expect(r.source).toEqual({ name: 'default (nothing configured)', apiUrl: 'local control plane', token: 'local control plane' });
  });

  it('the active profile when no flag or env', () => {
    seed();
    const r = resolveProfile(store, {}, {});
    expect(r).toMatchObject({ name: 'acme', apiUrl: 'https://cp.acme.example', token: 'acme-token-0001', local: false });
    expect(r.source).toEqual({ name: store.configPath, apiUrl: 'profile acme', token: 'profile acme' });
  });

  it('OWNSTACK_PROFILE beats the active profile', () => {
    seed();
    const r = resolveProfile(store, { OWNSTACK_PROFILE: 'staging' }, {});
    expect(r).toMatchObject({ name: 'staging', apiUrl: 'https://staging.example', token: 'staging-token-0002' });
    expect(r.source.name).toBe('OWNSTACK_PROFILE');
  });

  it('--profile beats OWNSTACK_PROFILE', () => {
    seed();
    const r = resolveProfile(store, { OWNSTACK_PROFILE: 'staging' }, { profile: 'acme' });
    expect(r.name).toBe('acme');
    expect(r.source.name).toBe('--profile');
  });

  it('--profile local → the local control plane even with an active profile', () => {
    seed();
    expect(resolveProfile(store, {}, { profile: 'local' })).toMatchObject({ name: 'local', local: true, apiUrl: null });
  });

  it('API URL: --api-url > OWNSTACK_API_URL > profile (trailing slashes dropped)', () => {
    seed();
    const env = { OWNSTACK_API_URL: 'http://127.0.0.1:7070/' };
    expect(resolveProfile(store, env, { apiUrl: 'http://127.0.0.1:9090' })).toMatchObject({ apiUrl: 'http://127.0.0.1:9090', source: { apiUrl: '--api-url' } });
    expect(resolveProfile(store, env, {})).toMatchObject({ apiUrl: 'http://127.0.0.1:7070', source: { apiUrl: 'OWNSTACK_API_URL' } });
    expect(resolveProfile(store, {}, {})).toMatchObject({ apiUrl: 'https://cp.acme.example', source: { apiUrl: 'profile acme' } });
  });

  it('an env URL on the local profile targets that URL instead of starting the local one', () => {
    const r = resolveProfile(store, { OWNSTACK_API_URL: 'http://127.0.0.1:7070' }, {});
    expect(r).toMatchObject({ name: 'local', apiUrl: 'http://127.0.0.1:7070', local: false });
  });

  it('token: OWNSTACK_API_TOKEN > OWNSTACK_TOKEN > profile', () => {
    seed();
    expect(resolveProfile(store, { OWNSTACK_API_TOKEN: 'a', OWNSTACK_TOKEN: 'b' }, {})).toMatchObject({ token: 'a', source: { token: 'OWNSTACK_API_TOKEN' } });
    expect(resolveProfile(store, { OWNSTACK_TOKEN: 'b' }, {})).toMatchObject({ token: 'b', source: { token: 'OWNSTACK_TOKEN' } });
    expect(resolveProfile(store, { OWNSTACK_API_TOKEN: '' }, {})).toMatchObject({ token: 'acme-token-0001', source: { token: 'profile acme' } });
  });

  it('a profile without a URL falls back to the hosted control plane', () => {
    store.save({ name: 'hosted', apiUrl: null, token: 'hosted-token-0003' });
    expect(resolveProfile(store, {}, { profile: 'hosted' })).toMatchObject({ apiUrl: HOSTED_API_URL, source: { apiUrl: 'hosted default' } });
  });

  it('unknown profile → NotFoundError (exit 3) listing the known ones', () => {
    seed();
    let err: unknown;
    try {
      resolveProfile(store, {}, { profile: 'acne' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).exitCode).toBe(3);
    expect((err as NotFoundError).message).toBe('no profile named "acne" (from --profile)');
    expect((err as NotFoundError).hint).toBe('known profiles: local, acme, staging');
    expect((err as NotFoundError).details?.candidates).toEqual(['local', 'acme', 'staging']);
  });

  it('unknown profile with nothing stored: the hint says how to create one', () => {
    expect(() => resolveProfile(store, { OWNSTACK_PROFILE: 'x' }, {})).toThrow(NotFoundError);
    try {
      resolveProfile(store, { OWNSTACK_PROFILE: 'x' }, {});
    } catch (e) {
      expect((e as NotFoundError).hint).toMatch(/ownstack profile add <name> --token-stdin/);
    }
  });
});

describe('legacy single-profile config (URL and token in ~/.ownstack/config)', () => {
  beforeEach(() => {
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'config'), '# old CLI\nOWNSTACK_API_URL=https://legacy.example\nexport OWNSTACK_API_TOKEN="legacy-token-0004"\n');
  });

  it('is the active "default" profile', () => {
    expect(store.activeName()).toBe('default');
    expect(store.get('default')).toEqual({ name: 'default', apiUrl: 'https://legacy.example', token: 'legacy-token-0004' });
    expect(store.list().map((p) => p.name)).toEqual(['default']);
    expect(resolveProfile(store, {}, {})).toMatchObject({ name: 'default', apiUrl: 'https://legacy.example', token: 'legacy-token-0004' });
  });

  it('a profiles/default file wins over the legacy values', () => {
    store.save({ name: 'default', apiUrl: 'https://new.example', token: 'new-token-00005' });
    expect(store.get('default')?.apiUrl).toBe('https://new.example');
    expect(store.list().map((p) => p.name)).toEqual(['default']);
  });

  it('setActive keeps the other settings in the config file', () => {
    store.save({ name: 'acme', apiUrl: 'https://cp.acme.example', token: 'acme-token-0001' });
    store.setActive('acme');
    const cfg = parseKeyValues(readFileSync(join(home, 'config'), 'utf8'));
    expect(cfg).toEqual({ OWNSTACK_API_URL: 'https://legacy.example', OWNSTACK_API_TOKEN: 'legacy-token-0004', OWNSTACK_PROFILE: 'acme' });
    expect(resolveProfile(store, {}, {}).name).toBe('acme');
  });
});

describe('files: folder 0700, files 0600, atomic writes', () => {
  it('save creates the home and profiles folders 0700 and the profile file 0600', () => {
    store.save({ name: 'acme', apiUrl: 'https://cp.acme.example', token: 'acme-token-0001' });
    expect(mode(home)).toBe(0o700);
    expect(mode(join(home, 'profiles'))).toBe(0o700);
    expect(mode(join(home, 'profiles', 'acme'))).toBe(0o600);
    expect(readFileSync(join(home, 'profiles', 'acme'), 'utf8')).toBe(
      '# ownstack profile acme\nOWNSTACK_API_URL=https://cp.acme.example\nOWNSTACK_API_TOKEN=acme-token-0001\n',
    );
  });

  it('tightens a folder that was too open, and rewrites a 0644 file as 0600', () => {
    mkdirSync(join(home, 'profiles'), { recursive: true });
    chmodSync(home, 0o755);
    chmodSync(join(home, 'profiles'), 0o755);
    writeFileSync(join(home, 'profiles', 'acme'), 'OWNSTACK_API_TOKEN=old\n', { mode: 0o644 });
    store.save({ name: 'acme', apiUrl: null, token: 'acme-token-0001' });
    expect(mode(home)).toBe(0o700);
    expect(mode(join(home, 'profiles'))).toBe(0o700);
    expect(mode(join(home, 'profiles', 'acme'))).toBe(0o600);
  });

  it('the config file is 0600 and no temporary files are left behind', () => {
    store.save({ name: 'acme', apiUrl: null, token: 'acme-token-0001' });
    store.setActive('acme');
    store.setActive(null);
    expect(mode(join(home, 'config'))).toBe(0o600);
    expect(readdirSync(home).sort()).toEqual(['config', 'profiles']);
    expect(readdirSync(join(home, 'profiles'))).toEqual(['acme']);
  });

  it('remove deletes the file and clears the active profile when it was active', () => {
    seed();
    store.remove('acme');
    expect(store.get('acme')).toBeNull();
    expect(store.activeName()).toBeNull();
    expect(() => store.remove('acme')).toThrow(NotFoundError);
  });

  it('OWNSTACK_HOME chooses the folder', () => {
    expect(ownstackHome({ OWNSTACK_HOME: '/srv/os' })).toBe('/srv/os');
    expect(ownstackHome({ OWNSTACK_HOME: '  ' })).toMatch(/\.ownstack$/);
  });
});

describe('KEY=VALUE files', () => {
  it('parses comments, blank lines, export and double quotes; ignores junk', () => {
    expect(parseKeyValues('# c\n\nA=1\nexport B="two words"\n C = 3 \nnoequals\n=x\n')).toEqual({ A: '1', B: 'two words', C: '3' });
  });
  it('formats in order, skipping empty values', () => {
    expect(formatKeyValues({ A: '1', B: undefined, C: '' , D: 'x' }, 'hdr')).toBe('# hdr\nA=1\nD=x\n');
  });
});

describe('profile names (they become file names)', () => {
  it.each(['a', 'acme', 'acme-prod', 'acme_prod', '0', 'a'.repeat(63)])('accepts %s', (n) => {
    expect(checkProfileName(n)).toBe(n);
  });
  it.each(['', 'A', 'Acme', '-acme', '_acme', 'a'.repeat(64), '../etc', 'a/b', 'a b', '.hidden'])('rejects %j (exit 2)', (n) => {
    expect(() => checkProfileName(n)).toThrow(UsageError);
  });
});

describe('through the CLI', () => {
  it('an unknown --profile → exit 3 listing the known profiles, nothing sent', async () => {
    seed();
    const r = await runOwnstack(['cluster', 'list', '--profile', 'acne'], { home, env: { OWNSTACK_API_URL: undefined, OWNSTACK_API_TOKEN: undefined } });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: no profile named "acne" (from --profile)\nhint: known profiles: local, acme, staging\n');
  });

  it('an unknown OWNSTACK_PROFILE → exit 3 naming the variable', async () => {
    seed();
    const r = await runOwnstack(['cluster', 'list'], { home, env: { OWNSTACK_API_URL: undefined, OWNSTACK_API_TOKEN: undefined, OWNSTACK_PROFILE: 'nope' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no profile named "nope" (from OWNSTACK_PROFILE)');
  });
});
