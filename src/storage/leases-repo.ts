import { isPostgres } from './dialect.ts';
import type { Executor, LeaseRow } from './schema.ts';

/**
 * Named leases: one holder per name across every instance sharing the database. The holder renews before expiry;
 * another instance takes over only an expired lease (or one whose holder it knows to be dead), and the takeover
 * raises `epoch`. Every write the holder makes under the lease first renews it by (holder, epoch) in the same
 * transaction (`renewLease`): a holder that was taken over finds no row, and so writes nothing.
 */

export type Acquired = { kind: 'acquired'; epoch: number; from?: { holder: string; expired: boolean } | undefined };
export type AcquireOutcome = Acquired | { kind: 'held'; holder: string; expiresAt: number };

export interface AcquireInput {
  name: string;
  me: string;
  now: number;
  ttlMs: number;
  /** Whether a holder is known to be gone (a dead process on this machine): its lease is taken before it expires. */
  holderGone: (holder: string) => boolean;
}

export async function acquireLease(db: Executor, i: AcquireInput): Promise<AcquireOutcome> {
  // Read without a lock: the holder renews under a row lock all the time, and a standby that only looks must not
  // queue behind it (or, in a transaction holding alert rows, deadlock with it). Taking over is a compare-and-set.
  const row = await db.selectFrom('leases').selectAll().where('name', '=', i.name).executeTakeFirst();
  const expiresAt = i.now + i.ttlMs;
  if (!row) {
    const r = await db
      .insertInto('leases')
      .values({ name: i.name, holder: i.me, epoch: 1, expires_at: expiresAt, acquired_at: i.now, renewed_at: i.now })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 1) return { kind: 'acquired', epoch: 1 };
    // Another instance inserted it first (its transaction committed while this one ran).
    const now = await db.selectFrom('leases').selectAll().where('name', '=', i.name).executeTakeFirst();
    return { kind: 'held', holder: now?.holder ?? '(unknown)', expiresAt: now?.expires_at ?? expiresAt };
  }
  if (row.holder === i.me && row.expires_at > i.now) {
    await renewLease(db, { name: i.name, me: i.me, epoch: row.epoch, now: i.now, ttlMs: i.ttlMs });
    return { kind: 'acquired', epoch: row.epoch };
  }
  const expired = row.expires_at <= i.now;
  if (!expired && !i.holderGone(row.holder)) return { kind: 'held', holder: row.holder, expiresAt: row.expires_at };
  // Compare-and-set on the epoch seen: of two instances taking over at once, one wins.
  const r = await db
    .updateTable('leases')
    .set({ holder: i.me, epoch: row.epoch + 1, expires_at: expiresAt, acquired_at: i.now, renewed_at: i.now })
    .where('name', '=', i.name)
    .where('epoch', '=', row.epoch)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return { kind: 'held', holder: '(another instance)', expiresAt };
  // A lease released on a clean stop has expires_at 0 and its holder's name: not worth a warning.
  return { kind: 'acquired', epoch: row.epoch + 1, from: row.expires_at === 0 ? undefined : { holder: row.holder, expired } };
}

export interface Tenure {
  name: string;
  me: string;
  epoch: number;
}

/** Extends the lease if it is still this holder's tenure; false when another instance has taken it over. */
export async function renewLease(db: Executor, t: Tenure & { now: number; ttlMs: number }): Promise<boolean> {
  const r = await db
    .updateTable('leases')
    .set({ expires_at: t.now + t.ttlMs, renewed_at: t.now })
    .where('name', '=', t.name)
    .where('holder', '=', t.me)
    .where('epoch', '=', t.epoch)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Whether this holder's tenure is still the lease's (no takeover since), without writing. On PostgreSQL the row is
 * share-locked until the transaction ends: a takeover (an update of the row) waits for it.
 */
export async function holdsLease(db: Executor, t: Tenure): Promise<boolean> {
  const q = db.selectFrom('leases').select('epoch').where('name', '=', t.name).where('holder', '=', t.me).where('epoch', '=', t.epoch);
  return (await (isPostgres(db) ? q.forShare() : q).executeTakeFirst()) !== undefined;
}

/** Lets the lease go at once (a clean stop), so the next instance need not wait for it to expire. */
export async function releaseLease(db: Executor, t: Tenure & { now: number }): Promise<boolean> {
  const r = await db
    .updateTable('leases')
    .set({ expires_at: 0, renewed_at: t.now })
    .where('name', '=', t.name)
    .where('holder', '=', t.me)
    .where('epoch', '=', t.epoch)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function listLeases(db: Executor): Promise<LeaseRow[]> {
  return db.selectFrom('leases').selectAll().orderBy('name').execute();
}
