import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { migrateToLatest } from './migrations.ts';
import type { Database, Db } from './schema.ts';

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
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  await migrateToLatest(db);
  return db;
}
