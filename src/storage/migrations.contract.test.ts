/**
 * One migration history for both dialects: the same tables, columns and indexes; migrating again is a no-op; on
 * PostgreSQL, instances starting together migrate once (the migrator's advisory lock).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { contract, DIALECTS, withDialect, type DialectName } from '../../test/storage-dialects.ts';
import { freshPostgres } from '../../test/postgres.ts';
import { isPostgres } from './dialect.ts';
import { migrateToLatest, MIGRATION_NAMES, ping } from './migrations.ts';
import { openPostgres } from './postgres.ts';
import type { Db } from './schema.ts';

// Every migration tocsin has, each applied once, in name order (several are added at once by parallel work).
const MIGRATIONS = [...MIGRATION_NAMES].sort();

const applied = async (db: Db) => (await db.selectFrom('kysely_migration' as never).select('name' as never).orderBy('name' as never).execute()).map((r) => (r as { name: string }).name);

/**
 * Tables with their columns (name, `?` when nullable), and the indexes made by `createIndex` (those behind primary
 * keys and unique constraints are named by each engine its own way: alerts-repo.contract.test.ts checks uniqueness).
 */
async function schemaOf(db: Db): Promise<{ tables: string[]; indexes: string[] }> {
  const primaryKeys = new Set(['alerts.id', 'destination_targets.destination', 'leases.name']);
  const tables = (await db.introspection.getTables()).map(
    // SQLite lets a primary key that is not an integer hold NULL unless it says NOT NULL (a legacy quirk); tocsin
    // always writes these keys, so the nullability of primary keys is left out of the comparison.
    (t) => `${t.name}(${t.columns.map((c) => `${c.name}${c.isNullable && !primaryKeys.has(`${t.name}.${c.name}`) && c.name !== 'id' ? '?' : ''}`).join(',')})`,
  );
  const indexes = isPostgres(db)
    ? await sql<{ name: string }>`select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
        where t.relnamespace = current_schema()::regnamespace and t.relname not like 'kysely%'
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)`.execute(db)
    : await sql<{ name: string }>`select name from sqlite_master where type = 'index' and name not like 'sqlite_autoindex%'`.execute(db);
  return { tables: tables.sort(), indexes: indexes.rows.map((r) => r.name).sort() };
}

test('both dialects get the same tables, columns and indexes from the one migration history [sqlite, postgres]', async () => {
  const seen = new Map<DialectName, Awaited<ReturnType<typeof schemaOf>>>();
  for (const dialect of DIALECTS) await withDialect(dialect, async ({ db }) => void seen.set(dialect, await schemaOf(db)));
  const [sqlite, postgres] = [seen.get('sqlite')!, seen.get('postgres')!];
  assert.deepEqual(postgres, sqlite);
  // Every table the code's Database type names (schema.ts), and no other.
  const expected = ['alerts', 'transitions', 'deliveries', 'delivery_attempts', 'destination_state', 'destination_targets', 'leases', 'escalations', 'heartbeats', 'silences', 'refresh', 'query_runs'];
  assert.deepEqual(sqlite.tables.map((t) => t.slice(0, t.indexOf('('))), expected.sort());
  assert.ok(sqlite.indexes.includes('deliveries_claim') && !sqlite.indexes.includes('deliveries_alert'), sqlite.indexes.join());
});

contract('migrating again, or opening the database again, changes nothing', async ({ db, connect }) => {
  assert.deepEqual(await applied(db), MIGRATIONS);
  const before = await schemaOf(db);
  await db.insertInto('leases').values({ name: 'kept', holder: 'A', epoch: 1, expires_at: 1, acquired_at: 1, renewed_at: 1 }).execute();
  await migrateToLatest(db);
  const again = await connect();
  await ping(again);
  assert.deepEqual(await applied(again), MIGRATIONS);
  assert.deepEqual(await schemaOf(again), before);
  assert.deepEqual(
    (await again.selectFrom('leases').select('name').execute()).map((r) => r.name),
    ['kept'],
  );
});

test('three instances opening a fresh PostgreSQL database at once migrate it once [postgres]', async () => {
  const fresh = await freshPostgres();
  const opened: Db[] = [];
  try {
    const results = await Promise.allSettled([1, 2, 3].map(() => openPostgres({ url: fresh.url, poolSize: 2 })));
    for (const r of results) if (r.status === 'fulfilled') opened.push(r.value);
    assert.deepEqual(
      results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'opened')),
      ['opened', 'opened', 'opened'],
    );
    // Each migration recorded once (a second run of 0001 would have failed on its tables), at one time each.
    const rows = await sql<{ name: string; n: number }>`select name, count(*) as n from kysely_migration group by name order by name`.execute(opened[0]!);
    assert.deepEqual(
      rows.rows,
      MIGRATIONS.map((name) => ({ name, n: 1 })),
    );
  } finally {
    for (const db of opened) await db.destroy();
    await fresh.drop();
  }
});
