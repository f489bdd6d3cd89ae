import { sql } from 'kysely';
import { forUpdateSkipLocked } from './dialect.ts';
import type { DeliveryRow, Executor, Tx } from './schema.ts';

/**
 * Takes due rows of one destination and marks them in flight. A row waits while an older row of the same alert is
 * still pending or in flight (per-alert order), and no alert has two rows in flight. Most severe first, then oldest.
 * Runs inside the caller's transaction, so the select and the update see the same rows.
 */
export async function claimDeliveries(tx: Tx, destination: string, limit: number, now: number): Promise<DeliveryRow[]> {
  if (limit <= 0) return [];
  const due = await claimable(tx, destination, limit, now).execute();
  if (due.length === 0) return [];
  const claimed = await tx
    .updateTable('deliveries')
    .set((eb) => ({ status: 'in_flight', attempts: eb('attempts', '+', 1), updated_at: now }))
    .where(
      'id',
      'in',
      due.map((r) => r.id),
    )
    .returningAll()
    .execute();
  // RETURNING has no order: hand rows back in claim order, so the most severe is sent first.
  const rank = new Map(due.map((r, i) => [r.id, i]));
  return claimed.sort((a, b) => rank.get(a.id)! - rank.get(b.id)!);
}

/**
 * The ids the claim takes, in hand-out order (exported so a test can check its query plan).
 *
 * It reads O(limit) rows, not the backlog: the scan follows deliveries_claim (destination, status, priority desc,
 * id, …) in hand-out order and stops after `limit` rows; each candidate costs two seeks on deliveries_alert_status.
 * Rows skipped on the way (not due yet, or waiting behind their alert's older row) are read from the index alone.
 * On PostgreSQL the select is `FOR UPDATE SKIP LOCKED`: a pending row an ingest holds (coalescing a newer state into
 * it) is passed over rather than waited for, and taken on the next round with its newer payload.
 */
export function claimable(db: Executor, destination: string, limit: number, now: number) {
  return forUpdateSkipLocked(
    db,
    db
      .selectFrom('deliveries as d')
      .select('d.id')
      .where('d.destination', '=', destination)
      .where('d.status', '=', 'pending')
      // `+ 0` keeps the planner off deliveries_queue's next_attempt_at range: that plan reads every due row and
      // sorts them (the 100k-backlog defect). Without statistics SQLite picks the ordered scan anyway; this keeps it
      // so if statistics (ANALYZE) were taken while few rows were due and a storm then makes them all due.
      .where((eb) => eb(eb('d.next_attempt_at', '+', 0), '<=', now))
      // Two NOT EXISTS rather than one with an OR: each is a single seek on (alert_id, destination, status[, id]).
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('deliveries as e')
              .select('e.id')
              .whereRef('e.alert_id', '=', 'd.alert_id')
              .whereRef('e.destination', '=', 'd.destination')
              .where('e.status', '=', 'in_flight'),
          ),
        ),
      )
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('deliveries as e')
              .select('e.id')
              .whereRef('e.alert_id', '=', 'd.alert_id')
              .whereRef('e.destination', '=', 'd.destination')
              .where('e.status', '=', 'pending')
              .whereRef('e.id', '<', 'd.id'),
          ),
        ),
      )
      .orderBy('d.priority', 'desc')
      .orderBy('d.id')
      .limit(limit),
  );
}

/** When the next pending row of a destination becomes due, so an idle worker knows how long it may sleep. */
export async function nextDueAt(db: Executor, destination: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('destination', '=', destination)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return row?.at == null ? undefined : Number(row.at);
}

/**
 * After a crash or a takeover, rows left in flight may or may not have reached incident.io. Sending them again is
 * safe: every send carries the same deduplication or idempotency key. `notBefore`: when they may go again (a sender
 * that may still be alive gets time to finish what it was sending; newer rows of those alerts wait behind them).
 */
export async function requeueInFlight(db: Executor, now: number, destination?: string, notBefore = now): Promise<number> {
  let q = db.updateTable('deliveries').set({ status: 'pending', next_attempt_at: notBefore, updated_at: now }).where('status', '=', 'in_flight');
  if (destination) q = q.where('destination', '=', destination);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Rows claimed by this sender but never sent (its lease lapsed before the send): pending again. */
export async function requeueRows(db: Executor, ids: readonly number[], now: number): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await db.updateTable('deliveries').set({ status: 'pending', next_attempt_at: now, updated_at: now }).where('id', 'in', ids).where('status', '=', 'in_flight').executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Oldest-first count of what a destination still has to send, for the storm bound and /metrics. */
export async function pendingCount(db: Executor, destination: string): Promise<number> {
  const r = await db
    .selectFrom('deliveries')
    .select(sql<number>`count(*)`.as('n'))
    .where('destination', '=', destination)
    .where('status', 'in', ['pending', 'in_flight'])
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}
