import { forUpdate } from './dialect.ts';
import type { AlertRow, Executor } from './schema.ts';

/**
 * `refresh_after` bookkeeping (migration 0009): one row per (destination, active alert) holding when its firing state
 * was last delivered there. A delivered firing state sets it, a delivered resolve removes it, and the scheduler reads
 * the rows due in `refresh_due` order.
 */

/** A firing state reached the destination (or a refresh of it was queued) at `at`. */
export async function markSent(db: Executor, destination: string, alertId: string, at: number): Promise<void> {
  await db
    .insertInto('refresh')
    .values({ destination, alert_id: alertId, sent_at: at })
    .onConflict((oc) => oc.columns(['destination', 'alert_id']).doUpdateSet({ sent_at: at }))
    .execute();
}

/** The alert is over there (its resolve was delivered), or no longer one to refresh. */
export async function forgetSent(db: Executor, destination: string, alertIds: readonly string[]): Promise<void> {
  if (alertIds.length === 0) return;
  await db.deleteFrom('refresh').where('destination', '=', destination).where('alert_id', 'in', alertIds).execute();
}

/** Alerts last sent to `destination` at or before `before`, oldest first: a range scan of refresh_due, `limit` rows. */
export async function dueForRefresh(db: Executor, destination: string, before: number, limit: number): Promise<{ alert_id: string; sent_at: number }[]> {
  const rows = await db
    .selectFrom('refresh')
    .select(['alert_id', 'sent_at'])
    .where('destination', '=', destination)
    .where('sent_at', '<=', before)
    .orderBy('sent_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ alert_id: r.alert_id, sent_at: Number(r.sent_at) }));
}

/** Those alerts, locked on PostgreSQL (an ingest changing one meanwhile waits), in id order to lock like ingest does. */
export async function lockAlerts(db: Executor, ids: readonly string[]): Promise<AlertRow[]> {
  if (ids.length === 0) return [];
  return forUpdate(db, db.selectFrom('alerts').selectAll().where('id', 'in', ids).orderBy('id')).execute();
}

/** The oldest last-sent time for `destination` (refresh_due's first entry), for the scheduler's sleep. */
export async function oldestSent(db: Executor, destination: string): Promise<number | undefined> {
  const r = await db.selectFrom('refresh').select('sent_at').where('destination', '=', destination).orderBy('sent_at').limit(1).executeTakeFirst();
  return r === undefined ? undefined : Number(r.sent_at);
}

/** How many rows wait to be sent to `destination`, counted up to `cap` only (an index range of at most `cap`). */
export async function backlogUpTo(db: Executor, destination: string, cap: number): Promise<number> {
  const rows = await db.selectFrom('deliveries').select('id').where('destination', '=', destination).where('status', '=', 'pending').limit(cap).execute();
  return rows.length;
}
