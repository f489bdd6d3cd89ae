import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql, SqliteDialect } from 'kysely';
import { migrateToLatest } from './migrations.ts';
import type { Database, Db } from './schema.ts';

/**
 * Kysely prepares every query anew; preparing costs more than running our small queries. The set of distinct SQL
 * strings is small (only `in (...)` lists vary), so a bounded cache keeps the hot path to bind-and-step.
 */
function withStatementCache(raw: BetterSqlite3.Database) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        if (cache.size >= 500) cache.clear();
        stmt = raw.prepare(sql);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

/**
 * SQLite's busy wait is a synchronous sleep: while another process holds the write lock, the whole event loop would
 * stand still for this long (health checks, reads, every request). So SQLite waits only briefly; waiting longer is
 * done asynchronously by the group commit, which runs a transaction that met the lock again after a pause.
 */
export const BUSY_TIMEOUT_MS = 20;

const files = new WeakMap<Db, string>();

/** The file behind an SQLite database opened here (undefined in memory): readiness checks its disk's free space. */
export function databaseFile(db: Db): string | undefined {
  return files.get(db);
}

export interface SqliteOptions {
  path: string;
}

/**
 * The embedded store: one file in WAL mode. synchronous=FULL because ingest answers 2xx only after commit, and a
 * committed alert must survive power loss, not just a process crash.
 */
export async function openSqlite(options: SqliteOptions): Promise<Db> {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const raw = new BetterSqlite3(options.path);
  try {
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    raw.pragma('foreign_keys = ON');
    // better-sqlite3 builds SQLite with a 16 MB page cache, which a database of 100k alerts fills and keeps resident.
    // The OS caches the file anyway; 4 MB holds the hot index pages: RSS −15 MB (npm run bench:memory), no CPU cost
    // per alert measured on ingest.
    raw.pragma('cache_size = -4000');
  } catch (e) {
    // Start retries a locked or full database: each failed try must not leave a connection open.
    raw.close();
    throw e;
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
  try {
    await migrateToLatest(db);
    // SQLite opens a file it cannot write (a read-only mount) read-only without a word, and the connection stays
    // read-only after a remount. tocsin must write to be of any use: fail here, and start-up tries again with a
    // fresh connection until one can.
    await sql`update kysely_migration_lock set is_locked = is_locked`.execute(db);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  if (options.path !== ':memory:') files.set(db, options.path);
  return db;
}
