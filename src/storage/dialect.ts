import { PostgresAdapter, type Kysely } from 'kysely';
import type { Executor } from './schema.ts';

/**
 * The few places where SQLite and PostgreSQL need different SQL. Everything else is one query for both (Kysely
 * compiles it per dialect). The dialect is read off the executor, so a repository function works unchanged inside a
 * transaction of either.
 */
export function isPostgres(db: Executor | Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** The few query-builder methods the helpers below add; every select builder has them. */
interface Lockable<Q> {
  forUpdate(): Q;
}
interface SkipLockable<Q> extends Lockable<Q> {
  skipLocked(): Q;
}

/**
 * Rows read to be changed in the same transaction are locked on PostgreSQL, where another instance may change them
 * meanwhile (two instances ingesting the same alert would otherwise both decide from the same old row and one
 * update would be lost). SQLite has one writer at a time and no row locks: the query stays as it is.
 */
export function forUpdate<Q extends Lockable<Q>>(db: Executor, q: Q): Q {
  return isPostgres(db) ? q.forUpdate() : q;
}

/**
 * The claim: rows another transaction holds (an ingest coalescing into a pending row) are passed over, not waited
 * for — they are claimed on the next round, with their newer payload.
 */
export function forUpdateSkipLocked<Q extends SkipLockable<Q>>(db: Executor, q: Q): Q {
  return isPostgres(db) ? (q.forUpdate() as unknown as SkipLockable<Q>).skipLocked() : q;
}
