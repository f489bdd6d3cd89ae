import type { AlertRow, Executor, SilenceRow } from './schema.ts';

export type SilenceState = 'active' | 'pending' | 'expired';

/** Active from starts_at until ends_at; expired once ended or expired by hand; pending before it starts. */
export function silenceState(s: Pick<SilenceRow, 'starts_at' | 'ends_at' | 'expired_at'>, now: number): SilenceState {
  if (s.expired_at !== null || Number(s.ends_at) <= now) return 'expired';
  return Number(s.starts_at) > now ? 'pending' : 'active';
}

export async function insertSilence(db: Executor, row: SilenceRow): Promise<void> {
  await db.insertInto('silences').values(row).execute();
}

export async function findSilence(db: Executor, id: string): Promise<SilenceRow | undefined> {
  return db.selectFrom('silences').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Silences not yet over (active or pending): what the muter keeps in memory. */
export async function liveSilences(db: Executor, now: number): Promise<SilenceRow[]> {
  return db.selectFrom('silences').selectAll().where('ends_at', '>', now).where('expired_at', 'is', null).orderBy('id').execute();
}

/** By state, newest first for expired ones; soonest ending first otherwise. */
export async function listSilences(db: Executor, state: SilenceState | undefined, now: number, limit: number): Promise<SilenceRow[]> {
  let q = db.selectFrom('silences').selectAll();
  if (state === 'expired') q = q.where((eb) => eb.or([eb('expired_at', 'is not', null), eb('ends_at', '<=', now)])).orderBy('ends_at', 'desc');
  else if (state) {
    q = q.where('expired_at', 'is', null).where('ends_at', '>', now);
    q = state === 'active' ? q.where('starts_at', '<=', now) : q.where('starts_at', '>', now);
    q = q.orderBy('ends_at');
  } else q = q.orderBy('created_at', 'desc');
  return q.orderBy('id').limit(limit).execute();
}

/** Ends a silence now (kept, for the record). Undefined when there is none; an expired one is returned unchanged. */
export async function expireSilence(db: Executor, id: string, now: number): Promise<SilenceRow | undefined> {
  const s = await findSilence(db, id);
  if (!s || silenceState(s, now) === 'expired') return s;
  const changes = { expired_at: now, ends_at: Math.min(Number(s.ends_at), now), updated_at: now };
  await db.updateTable('silences').set(changes).where('id', '=', id).execute();
  return { ...s, ...changes };
}

/** The soonest a live silence starts or ends after `now`: when the mute task should look again. */
export async function nextSilenceChange(db: Executor, now: number): Promise<number | undefined> {
  const r = await db
    .selectFrom('silences')
    .select((eb) => [eb.fn.min('ends_at').as('ends'), eb.fn.min(eb.case().when('starts_at', '>', now).then(eb.ref('starts_at')).end()).as('starts')])
    .where('expired_at', 'is', null)
    .where('ends_at', '>', now)
    .executeTakeFirst();
  const times = [r?.ends, r?.starts].filter((t) => t != null).map(Number);
  return times.length ? Math.min(...times) : undefined;
}

export interface MutedDelivery {
  id: number;
  destination: string;
  alert_id: string;
  episode: number;
  muted_by: string | null;
}

/** Muted rows after `afterId`, oldest first (the mute task walks them in pages). */
export async function mutedDeliveries(db: Executor, afterId: number, limit: number): Promise<MutedDelivery[]> {
  return db
    .selectFrom('deliveries')
    .select(['id', 'destination', 'alert_id', 'episode', 'muted_by'])
    .where('status', '=', 'muted')
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * The mute of a row lifted (pending: sent with the state it carries, the newest) or its episode is over (suppressed:
 * never sent), or it is muted by something else now. Only a row still muted by what the caller read (`was`) is
 * changed: on PostgreSQL an ingest can re-mute the row (a silence the caller's view does not have yet) between the
 * read and this update, which waits for that ingest's commit and then must not undo its mute.
 */
export async function settleMuted(
  db: Executor,
  id: number,
  was: string | null,
  to: { status: 'pending' | 'suppressed' | 'muted'; mutedBy?: string; hint?: string },
  now: number,
): Promise<boolean> {
  const r = await db
    .updateTable('deliveries')
    .set({
      status: to.status,
      ...(to.mutedBy !== undefined ? { muted_by: to.mutedBy } : {}),
      ...(to.hint !== undefined ? { hint: to.hint } : {}),
      next_attempt_at: now,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('status', '=', 'muted')
    .where((eb) => (was === null ? eb('muted_by', 'is', null) : eb('muted_by', '=', was)))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The active alerts' ids and labels (JSON): the candidates for inhibiting others, and for a silence's preview. */
export async function activeAlertLabels(db: Executor, limit: number): Promise<{ id: string; labels: string; title: string; state: string; source: string }[]> {
  return db.selectFrom('alerts').select(['id', 'labels', 'title', 'state', 'source']).where('state', 'in', ['firing', 'acknowledged']).orderBy('id').limit(limit).execute();
}

/** The alerts of a page of muted rows. */
export async function alertsByIds(db: Executor, ids: readonly string[]): Promise<Map<string, AlertRow>> {
  if (!ids.length) return new Map();
  const rows = await db.selectFrom('alerts').selectAll().where('id', 'in', [...new Set(ids)]).execute();
  return new Map(rows.map((r) => [r.id, r]));
}
