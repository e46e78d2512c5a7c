// Pure pieces: did-you-mean, migrations, loopback check, idempotency store.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { MIGRATIONS, migrate, openDatabase } from '../../src/control-plane/store/db.js';
import { requestHash } from '../../src/control-plane/http/idempotency.js';
import { IdempotencyStore } from '../../src/control-plane/store/idempotency.js';
import { isLoopback } from '../../src/control-plane/server.js';
import { bumpGenerationIfChanged } from '../../src/control-plane/runtime/reconcile.js';
import type { Rendered } from '../../src/control-plane/runtime/render.js';
import { Store, type ClusterRow } from '../../src/control-plane/store/store.js';
import { didYouMean, levenshtein } from '../../src/control-plane/suggest.js';
import { removeHome, tempHome } from './helpers.js';

describe('did-you-mean', () => {
  test('edit distance ≤ 2 or a prefix, closest first', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(didYouMean('bleu', ['blue', 'green', 'canary'])).toEqual(['blue']);
    expect(didYouMean('my-rails', ['my-rails-app', 'worker'])).toEqual(['my-rails-app']);
    expect(didYouMean('apx', ['api', 'app', 'web'])).toEqual(['api', 'app']);
    expect(didYouMean('zzzzzz', ['api'])).toEqual([]);
  });
});

describe('migrations', () => {
  test('WAL, foreign keys, every version recorded once; re-running applies nothing', () => {
    const home = tempHome();
    try {
      const db = openDatabase(join(home, 'state.db'));
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      const versions = (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
      expect(versions).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
      expect(migrate(db)).toEqual([]);
      db.close();
    } finally {
      removeHome(home);
    }
  });

  test('a database newer than this build is refused', () => {
    const home = tempHome();
    try {
      const db = openDatabase(join(home, 'state.db'));
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (999, ?)').run(new Date().toISOString());
      expect(() => migrate(db)).toThrow(/schema version 999, newer than this ownstack understands/);
      db.close();
    } finally {
      removeHome(home);
    }
  });

  test('a failing migration leaves the database at the previous version', () => {
    const home = tempHome();
    try {
      const db = openDatabase(join(home, 'state.db'));
      const broken = [...MIGRATIONS, { version: 1000, name: 'broken', sql: 'CREATE TABLE t1 (x INTEGER); THIS IS NOT SQL;' }];
      expect(() => migrate(db, broken)).toThrow();
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 't1'").get()).toBeUndefined();
      expect(db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: Math.max(...MIGRATIONS.map((m) => m.version)) });
      db.close();
    } finally {
      removeHome(home);
    }
  });
});

describe('loopback', () => {
  test.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['example.com', false],
  ])('%s → %s', (host, ok) => expect(isLoopback(host)).toBe(ok));
});

describe('idempotency store', () => {
  test('keys expire after the retention period', () => {
    const home = tempHome();
    try {
      const db = openDatabase(join(home, 'state.db'));
      let t = 1_000_000;
      const idem = new IdempotencyStore(new Store(db), 1000, () => t);
      const h = requestHash('POST', '/api/local/apps', '{}');
      idem.save('k', 'POST', '/api/local/apps', h, { status: 201, body: { ok: 1 } });
      expect(idem.replay('k', 'POST', '/api/local/apps', h)).toEqual({ status: 201, body: { ok: 1 } });
      t += 1001;
      expect(idem.replay('k', 'POST', '/api/local/apps', h)).toBeUndefined();
      expect(idem.purge()).toBe(1);
      db.close();
    } finally {
      removeHome(home);
    }
  });
});

describe('generation bump', () => {
  const fakeStore = () => {
    const runs: unknown[][] = [];
    return { runs, store: { run: (...args: unknown[]) => runs.push(args) } as unknown as Store };
  };
  const row = (rendered_hash: string | null) => ({ id: 1, generation: 3, rendered_hash }) as unknown as ClusterRow;
  const render = (hash: string) => ({ hash }) as Rendered;

  test('any change of what the proxies get is a new generation; the same render keeps it', () => {
    const a = fakeStore();
    expect(bumpGenerationIfChanged(a.store, row('a'), render('a')).generation).toBe(3);
    expect(a.runs).toEqual([]);
    expect(bumpGenerationIfChanged(a.store, row('a'), render('b'))).toMatchObject({ generation: 4, rendered_hash: 'b' });
    expect(bumpGenerationIfChanged(a.store, row(null), render('b'))).toMatchObject({ generation: 4, rendered_hash: 'b' });
    expect(a.runs.map((r) => r.slice(1))).toEqual([
      [4, 'b', 1],
      [4, 'b', 1],
    ]);
  });
});
