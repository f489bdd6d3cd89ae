import type { Insertable } from 'kysely';
import type { AlertRow, Executor, NewAlertRow, TransitionRow, TransitionsTable } from './schema.ts';

/** Every known alert of a batch in one query per 500 keys, instead of one lookup per event. */
export async function findAlertsByIdentity(db: Executor, source: string, dedupKeys: readonly string[]): Promise<AlertRow[]> {
  const out: AlertRow[] = [];
  const unique = [...new Set(dedupKeys)];
  for (let i = 0; i < unique.length; i += 500) {
    out.push(...(await db.selectFrom('alerts').selectAll().where('source', '=', source).where('dedup_key', 'in', unique.slice(i, i + 500)).execute()));
  }
  return out;
}

export async function findAlert(db: Executor, id: string): Promise<AlertRow | undefined> {
  return db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertAlert(db: Executor, row: NewAlertRow): Promise<void> {
  await db.insertInto('alerts').values(row).execute();
}

export async function updateAlert(db: Executor, id: string, changes: Partial<NewAlertRow>): Promise<void> {
  await db.updateTable('alerts').set(changes).where('id', '=', id).execute();
}

/** A repeat that changes nothing still says the alert is alive: count it without a transition. */
export async function touchAlert(db: Executor, id: string, at: number): Promise<void> {
  await db
    .updateTable('alerts')
    .set((eb) => ({ last_event_at: at, event_count: eb('event_count', '+', 1) }))
    .where('id', '=', id)
    .execute();
}

export type NewTransition = Insertable<TransitionsTable>;

export async function insertTransition(db: Executor, t: NewTransition): Promise<void> {
  await db.insertInto('transitions').values(t).execute();
}

export async function listTransitions(db: Executor, alertId: string): Promise<TransitionRow[]> {
  return db.selectFrom('transitions').selectAll().where('alert_id', '=', alertId).orderBy('id').execute();
}

export interface AlertFilter {
  state?: string | undefined;
  source?: string | undefined;
  /** Only alerts no route matched. */
  unrouted?: boolean | undefined;
  /** Keyset pagination: alerts updated before this (updated_at, id) pair. */
  before?: { updatedAt: number; id: string } | undefined;
  limit: number;
}

export async function listAlerts(db: Executor, f: AlertFilter): Promise<AlertRow[]> {
  let q = db.selectFrom('alerts').selectAll();
  if (f.state) q = q.where('state', '=', f.state as AlertRow['state']);
  if (f.source) q = q.where('source', '=', f.source);
  if (f.unrouted) q = q.where('routed_to', '=', '[]');
  if (f.before) {
    const b = f.before;
    q = q.where((eb) => eb.or([eb('updated_at', '<', b.updatedAt), eb.and([eb('updated_at', '=', b.updatedAt), eb('id', '<', b.id)])]));
  }
  return q.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}

export async function countAlertsByState(db: Executor): Promise<{ state: string; n: number }[]> {
  const rows = await db.selectFrom('alerts').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute();
  return rows.map((r) => ({ state: r.state, n: Number(r.n) }));
}

/** Firing and acknowledged alerts after `afterId`, in id order: routed again at start and on reload. */
export async function listActiveAlerts(db: Executor, afterId: string, limit: number): Promise<AlertRow[]> {
  return db.selectFrom('alerts').selectAll().where('state', 'in', ['firing', 'acknowledged']).where('id', '>', afterId).orderBy('id').limit(limit).execute();
}
