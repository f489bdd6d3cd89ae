import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { migrations as first } from './migrations/history-1.ts';
import { migrations as second } from './migrations/history-2.ts';
import { migrations as third } from './migrations/history-3.ts';

/**
 * One migration history for SQLite and PostgreSQL, written with the schema builder so both dialects get the same
 * tables (`migrations/`, in name order). Never edit a released migration: add the next one, in the last file (0001's
 * id columns were given their PostgreSQL types before any PostgreSQL database existed; the SQL it runs on SQLite is
 * unchanged).
 */
const migrations: Record<string, Migration> = { ...first, ...second, ...third };

/** Every migration's name. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrations);

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    // The cause keeps SQLite's error code: start waits out a locked or full database instead of exiting.
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

export async function ping(db: Kysely<any>): Promise<void> {
  await sql`select 1`.execute(db);
}
