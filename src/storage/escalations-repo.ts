import type { Insertable } from 'kysely';
import { forUpdateSkipLocked } from './dialect.ts';
import type { EscalationRow, EscalationsTable, Executor } from './schema.ts';

export type NewEscalation = Insertable<EscalationsTable>;

/**
 * Steps that are due, oldest first, locked for the one scheduler that fires them (SKIP LOCKED on PostgreSQL: a step
 * another transaction holds is taken next round).
 */
export async function dueEscalations(db: Executor, now: number, limit: number): Promise<EscalationRow[]> {
  return forUpdateSkipLocked(
    db,
    db.selectFrom('escalations').selectAll().where('status', '=', 'pending').where('due_at', '<=', now).orderBy('due_at').orderBy('id').limit(limit),
  ).execute();
}

/** When the next pending step is due, so an idle scheduler knows how long it may sleep. */
export async function nextEscalationAt(db: Executor): Promise<number | undefined> {
  const r = await db.selectFrom('escalations').select((eb) => eb.fn.min('due_at').as('at')).where('status', '=', 'pending').executeTakeFirst();
  return r?.at == null ? undefined : Number(r.at);
}

export async function finishEscalation(db: Executor, id: number, status: 'fired' | 'cancelled', reason: string | null, now: number): Promise<void> {
  await db.updateTable('escalations').set({ status, reason, updated_at: now }).where('id', '=', id).where('status', '=', 'pending').execute();
}

/** An episode was acknowledged (or ended): its steps still pending will not fire. Returns how many were cancelled. */
export async function cancelEscalations(db: Executor, alertId: string, episode: number, reason: string, now: number): Promise<number> {
  const r = await db
    .updateTable('escalations')
    .set({ status: 'cancelled', reason, updated_at: now })
    .where('alert_id', '=', alertId)
    .where('episode', '=', episode)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * An acknowledgement was taken back: the episode's steps it cancelled (never fired) are pending again, none due
 * before `now`. Two statements rather than max()/GREATEST, which the dialects spell differently. Returns how many.
 */
export async function rearmEscalations(db: Executor, alertId: string, episode: number, now: number): Promise<number> {
  const cancelledByAck = db
    .updateTable('escalations')
    .where('alert_id', '=', alertId)
    .where('episode', '=', episode)
    .where('status', '=', 'cancelled')
    .where('reason', '=', 'acknowledged');
  await cancelledByAck.set({ due_at: now }).where('due_at', '<', now).execute();
  const r = await cancelledByAck.set({ status: 'pending', reason: null, updated_at: now }).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Every step of an alert, for its page in the API. */
export async function listEscalations(db: Executor, alertId: string): Promise<EscalationRow[]> {
  return db.selectFrom('escalations').selectAll().where('alert_id', '=', alertId).orderBy('episode').orderBy('step').execute();
}

/**
 * Steps across every alert, with their alert's title: pending ones soonest due first (the escalations in progress),
 * fired or cancelled ones most recently settled first.
 */
export async function listEscalationsByStatus(db: Executor, status: EscalationRow['status'], limit: number): Promise<(EscalationRow & { alert_title: string; alert_state: string })[]> {
  const q = db
    .selectFrom('escalations')
    .innerJoin('alerts', 'alerts.id', 'escalations.alert_id')
    .selectAll('escalations')
    .select(['alerts.title as alert_title', 'alerts.state as alert_state'])
    .where('escalations.status', '=', status);
  const ordered = status === 'pending' ? q.orderBy('escalations.due_at').orderBy('escalations.id') : q.orderBy('escalations.updated_at', 'desc').orderBy('escalations.id', 'desc');
  return ordered.limit(limit).execute();
}
