import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import { isPostgres } from '../dialect.ts';

/**
 * Row ids: SQLite's `integer primary key autoincrement` is already 64-bit; PostgreSQL gets a bigint identity (an
 * `integer` would run out after 2^31 deliveries). SQLite's SQL is what it always was.
 */
export const idType = (db: Kysely<any>) => (isPostgres(db) ? 'bigint' : 'integer');
export const idColumn = (db: Kysely<any>) => (c: ColumnDefinitionBuilder) => (isPostgres(db) ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement());
