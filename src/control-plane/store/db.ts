// The control plane's SQLite database: opening it with the pragmas every connection needs and
// applying the versioned migrations, each in its own transaction.
import { chmodSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** One schema change; `version` values are applied in ascending order, once. */
export interface Migration {
  version: number;
  name: string;
  /** The change as SQL, or as a function of the database (for changes that read the schema first). */
  sql: string | ((db: Db) => void);
  /**
   * Run with foreign keys off (checked before the commit): rebuilding a table that others
   * reference would otherwise cascade its DELETE to them.
   */
  foreignKeysOff?: boolean;
}

/** Tables whose ids users see (in output, logs and scripts): an id is never given to a new row again. */
const ID_TABLES = ['clusters', 'domains', 'variants', 'apps', 'upstreams', 'deploys'] as const;

/**
 * Rebuilds a table with `id INTEGER PRIMARY KEY AUTOINCREMENT` (SQLite cannot add it in place),
 * keeping its columns, rows, ids and indexes. Without AUTOINCREMENT, SQLite hands out max(id) + 1,
 * so removing the newest row frees its id for the next one.
 */
function rebuildWithAutoincrement(db: Db, table: string): void {
  rebuildTable(db, table, (sql) => {
    if (/AUTOINCREMENT/i.test(sql)) return null;
    const out = sql.replace(/\bid\s+INTEGER\s+PRIMARY\s+KEY\b/i, 'id INTEGER PRIMARY KEY AUTOINCREMENT');
    if (!/AUTOINCREMENT/.test(out)) throw new Error(`cannot rebuild ${table}: no "id INTEGER PRIMARY KEY" column`);
    return out;
  });
}

/**
 * Rebuilds a table with an edited CREATE statement (SQLite cannot change a column's constraints in
 * place), keeping its columns, rows, ids and indexes; `edit` returns null when nothing is to change.
 */
function rebuildTable(db: Db, table: string, edit: (createSql: string) => string | null): void {
  const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) as { sql: string } | undefined;
  if (!row) return;
  const edited = edit(row.sql);
  if (edited === null) return;
  const create = edited.replace(/^CREATE TABLE\s+"?\w+"?/i, `CREATE TABLE ${table}_rebuilt`);
  const indexes = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").all(table) as { sql: string }[]).map((r) => r.sql);
  const columns = (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => `"${c.name}"`).join(', ');
  db.exec(create);
  // Explicit ids also set sqlite_sequence to the highest one.
  db.exec(`INSERT INTO ${table}_rebuilt (${columns}) SELECT ${columns} FROM ${table}`);
  db.exec(`DROP TABLE ${table}`);
  db.exec(`ALTER TABLE ${table}_rebuilt RENAME TO ${table}`);
  for (const sql of indexes) db.exec(sql);
}

// Append only: an applied migration is never edited, a change is a new version.
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE clusters (
        id               INTEGER PRIMARY KEY,
        name             TEXT NOT NULL UNIQUE,
        edge             TEXT NOT NULL CHECK (edge IN ('dns_rr', 'cloudflare', 'aws_alb', 'none')),
        edge_config      TEXT NOT NULL DEFAULT '{}',
        proxy_count      INTEGER NOT NULL CHECK (proxy_count BETWEEN 1 AND 64),
        proxy_app        TEXT,
        health_path      TEXT NOT NULL,
        health_interval  TEXT NOT NULL,
        health_timeout   TEXT NOT NULL,
        port             INTEGER NOT NULL UNIQUE,
        bridge_base_port INTEGER NOT NULL UNIQUE,
        generation       INTEGER NOT NULL DEFAULT 0,
        rendered_hash    TEXT,
        edge_reconciled_at TEXT,
        edge_error       TEXT,
        edge_published    TEXT,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL
      );
      CREATE TABLE domains (
        id         INTEGER PRIMARY KEY,
        cluster_id INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
        hostname   TEXT NOT NULL UNIQUE,
        env_name   TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (cluster_id, env_name)
      );
      CREATE INDEX domains_cluster ON domains(cluster_id, id);
      CREATE TABLE variants (
        id          INTEGER PRIMARY KEY,
        cluster_id  INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        weight      INTEGER NOT NULL CHECK (weight BETWEEN 0 AND 1000),
        status      TEXT NOT NULL CHECK (status IN ('active', 'draining')),
        description TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL,
        UNIQUE (cluster_id, name)
      );
      CREATE TABLE apps (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        addresses   TEXT NOT NULL DEFAULT '[]',
        deploy_cmd  TEXT,
        health_path TEXT NOT NULL DEFAULT '/',
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      );
      CREATE TABLE upstreams (
        id          INTEGER PRIMARY KEY,
        cluster_id  INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
        variant_id  INTEGER NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
        hostname    TEXT,
        kind        TEXT NOT NULL CHECK (kind IN ('url', 'app')),
        url         TEXT,
        app_id      INTEGER REFERENCES apps(id) ON DELETE RESTRICT,
        weight      INTEGER NOT NULL CHECK (weight BETWEEN 0 AND 1000),
        status      TEXT NOT NULL CHECK (status IN ('active', 'draining')),
        host_header TEXT,
        created_at  TEXT NOT NULL,
        CHECK ((kind = 'url' AND url IS NOT NULL AND app_id IS NULL) OR (kind = 'app' AND app_id IS NOT NULL AND url IS NULL))
      );
      CREATE INDEX upstreams_cluster ON upstreams(cluster_id, variant_id);
      CREATE INDEX variants_cluster ON variants(cluster_id, id);
      CREATE INDEX upstreams_app ON upstreams(app_id);
      CREATE TABLE deploys (
        id          INTEGER PRIMARY KEY,
        cluster_id  INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
        strategy    TEXT NOT NULL CHECK (strategy IN ('parallel', 'rolling')),
        state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'aborted', 'interrupted')),
        force       INTEGER NOT NULL DEFAULT 0,
        skipped     TEXT NOT NULL DEFAULT '[]',
        error       TEXT,
        abort_requested INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL,
        finished_at TEXT
      );
      CREATE INDEX deploys_cluster ON deploys(cluster_id, id);
      CREATE TABLE deploy_members (
        deploy_id   INTEGER NOT NULL REFERENCES deploys(id) ON DELETE CASCADE,
        position    INTEGER NOT NULL,
        app         TEXT NOT NULL,
        addresses   TEXT NOT NULL DEFAULT '[]',
        step        TEXT NOT NULL,
        started_at  TEXT,
        finished_at TEXT,
        error       TEXT,
        PRIMARY KEY (deploy_id, position)
      );
      CREATE TABLE deploy_events (
        deploy_id INTEGER NOT NULL REFERENCES deploys(id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL,
        at        TEXT NOT NULL,
        type      TEXT NOT NULL CHECK (type IN ('state', 'step', 'log', 'result')),
        app       TEXT,
        step      TEXT,
        state     TEXT,
        message   TEXT NOT NULL,
        PRIMARY KEY (deploy_id, seq)
      );
      CREATE TABLE idempotency_keys (
        key          TEXT NOT NULL,
        method       TEXT NOT NULL,
        path         TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status       INTEGER NOT NULL,
        response     TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        PRIMARY KEY (key)
      );
      CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
    `,
  },
  {
    // The deploy runner records the members it drained itself, so a job cut short by a restart
    // undrains exactly those (and never one an operator had drained before the deploy).
    version: 2,
    name: 'deploy members drained by their job',
    sql: `ALTER TABLE deploy_members ADD COLUMN drained INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    // The hash of the rendered files alone: only a change of the files is a new generation (a
    // standby upstream changes the rows, and so rendered_hash, but not what the proxies run).
    version: 3,
    name: 'cluster output hash',
    sql: `ALTER TABLE clusters ADD COLUMN output_hash TEXT;`,
  },
  {
    // An id in an old log, script or ticket must never name a new thing. (An id removed before this
    // migration and above every remaining one can still come back once: nothing recorded it.)
    // URL upstreams lose a default port (https://x.com:443 is https://x.com), as new ones do.
    version: 4,
    name: 'ids never reused; URL upstreams without default ports',
    foreignKeysOff: true,
    sql: (db) => {
      for (const table of ID_TABLES) rebuildWithAutoincrement(db, table);
      db.exec(`UPDATE upstreams SET url = substr(url, 1, length(url) - 4) WHERE kind = 'url' AND url LIKE 'https://%:443'`);
      db.exec(`UPDATE upstreams SET url = substr(url, 1, length(url) - 3) WHERE kind = 'url' AND url LIKE 'http://%:80'`);
    },
  },
  {
    // Proxies are agents (src/agent): each reports what it serves; agent tokens are scoped to one
    // cluster and stored hashed.
    version: 5,
    name: 'proxy agents and their tokens',
    sql: `
      CREATE TABLE proxies (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        cluster_id    INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
        name          TEXT NOT NULL,
        local_index   INTEGER,
        report        TEXT NOT NULL,
        last_seen     TEXT NOT NULL,
        registered_at TEXT NOT NULL,
        UNIQUE (cluster_id, name)
      );
      CREATE TABLE agent_tokens (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        cluster_id   INTEGER REFERENCES clusters(id) ON DELETE CASCADE,
        kind         TEXT NOT NULL CHECK (kind IN ('agent', 'operator')),
        name         TEXT NOT NULL,
        hash         TEXT NOT NULL UNIQUE,
        created_at   TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at   TEXT
      );
      CREATE INDEX agent_tokens_cluster ON agent_tokens(cluster_id);
    `,
  },
  {
    // proxy_count counts the proxies this control plane runs itself: 0 when agents on other hosts serve the cluster.
    version: 6,
    name: 'clusters served only by agents on other hosts (proxy_count 0)',
    foreignKeysOff: true,
    sql: (db) =>
      rebuildTable(db, 'clusters', (sql) => {
        const out = sql.replace(/CHECK \(proxy_count BETWEEN 1 AND 64\)/, 'CHECK (proxy_count BETWEEN 0 AND 64)');
        if (out === sql) throw new Error('cannot relax clusters.proxy_count: its CHECK is not the one migration 1 made');
        return out;
      }),
  },
  {
    // Host maintenance (service/maintenance.ts): the hosts under maintenance and exactly the upstream
    // addresses each drained, so `maintenance end` undoes only that, also after a restart. Deploy
    // events gain `warning` (a rolling deploy with one member runs, and says what it risks).
    version: 7,
    name: 'host maintenance; deploy warnings',
    foreignKeysOff: true,
    sql: `
      CREATE TABLE maintenance_hosts (
        host       TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        forced     INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE maintenance_drained (
        host        TEXT NOT NULL REFERENCES maintenance_hosts(host) ON DELETE CASCADE,
        upstream_id INTEGER NOT NULL REFERENCES upstreams(id) ON DELETE CASCADE,
        address     TEXT NOT NULL,
        PRIMARY KEY (host, upstream_id, address)
      );
      CREATE INDEX maintenance_drained_upstream ON maintenance_drained(upstream_id);
      CREATE TABLE deploy_events_new (
        deploy_id INTEGER NOT NULL REFERENCES deploys(id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL,
        at        TEXT NOT NULL,
        type      TEXT NOT NULL CHECK (type IN ('state', 'step', 'log', 'warning', 'result')),
        app       TEXT,
        step      TEXT,
        state     TEXT,
        message   TEXT NOT NULL,
        PRIMARY KEY (deploy_id, seq)
      );
      INSERT INTO deploy_events_new SELECT deploy_id, seq, at, type, app, step, state, message FROM deploy_events;
      DROP TABLE deploy_events;
      ALTER TABLE deploy_events_new RENAME TO deploy_events;
    `,
  },
  {
    // cloudflare and aws_alb refuse loopback and private-use proxy addresses unless a cluster allows them.
    version: 8,
    name: 'edge may publish private addresses',
    sql: `ALTER TABLE clusters ADD COLUMN edge_allow_private_addresses INTEGER NOT NULL DEFAULT 0;`,
  },
];

/** Opens (creating if needed) the database file with WAL, foreign keys and a busy timeout, then migrates it. */
export function openDatabase(path: string, migrations: Migration[] = MIGRATIONS): Db {
  const isNew = !existsSync(path);
  const db = new Database(path);
  if (isNew) chmodSync(path, 0o600);
  // WAL: readers never block the writer and a kill -9 loses at most the uncommitted transaction.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // A second process (e.g. a stale server) waits for the write lock instead of failing at once.
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}

/** Applies every migration newer than the database's version; returns the versions applied. */
export function migrate(db: Db, migrations: Migration[] = MIGRATIONS): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    throw new Error(`the state database is at schema version ${newest}, newer than this ownstack understands (${known}); upgrade ownstack`);
  }
  const done: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    // The pragma is a no-op inside a transaction: switch it around the migration's own one.
    const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
    if (m.foreignKeysOff) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        if (typeof m.sql === 'string') db.exec(m.sql);
        else m.sql(db);
        if (m.foreignKeysOff && (db.pragma('foreign_key_check') as unknown[]).length > 0) {
          throw new Error(`migration ${m.version} (${m.name}) left rows that break a foreign key`);
        }
        db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, new Date().toISOString());
      }).immediate();
    } finally {
      if (m.foreignKeysOff) db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
    }
    done.push(m.version);
  }
  return done;
}
