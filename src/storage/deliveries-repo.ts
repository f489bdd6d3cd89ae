import type { Insertable } from 'kysely';
import type { DeliveryAttemptsTable, DeliveryRow, DeliveryStatus, Executor } from './schema.ts';

export interface Finish {
  status: DeliveryStatus;
  now: number;
  nextAttemptAt?: number;
  statusCode?: number | undefined;
  error?: string | null;
  requestId?: string | undefined;
  responseExcerpt?: string | undefined;
  hint?: string | null;
  latencyMs?: number;
}

export async function finishDelivery(db: Executor, id: number, f: Finish): Promise<void> {
  await db
    .updateTable('deliveries')
    .set({
      status: f.status,
      updated_at: f.now,
      ...(f.nextAttemptAt !== undefined ? { next_attempt_at: f.nextAttemptAt } : {}),
      ...(f.status === 'delivered' ? { delivered_at: f.now } : {}),
      ...(f.statusCode !== undefined ? { last_status_code: f.statusCode } : {}),
      ...(f.error !== undefined ? { last_error: f.error } : {}),
      ...(f.requestId !== undefined ? { request_id: f.requestId } : {}),
      ...(f.responseExcerpt !== undefined ? { response_excerpt: f.responseExcerpt } : {}),
      ...(f.hint !== undefined ? { hint: f.hint } : {}),
      ...(f.latencyMs !== undefined ? { latency_ms: f.latencyMs } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/** A newer pending row of the same alert episode carries the latest truth; this one need not be retried. */
export async function newerPendingExists(db: Executor, row: Pick<DeliveryRow, 'id' | 'destination' | 'alert_id' | 'episode'>): Promise<boolean> {
  const r = await db
    .selectFrom('deliveries')
    .select('id')
    .where('destination', '=', row.destination)
    .where('alert_id', '=', row.alert_id)
    .where('episode', '=', row.episode)
    .where('status', '=', 'pending')
    .where('id', '>', row.id)
    .limit(1)
    .executeTakeFirst();
  return r !== undefined;
}

export type NewAttempt = Insertable<DeliveryAttemptsTable>;

export async function recordAttempt(db: Executor, a: NewAttempt): Promise<void> {
  await db.insertInto('delivery_attempts').values(a).execute();
}

/** How many requests a destination made since `since`: restores its token bucket after a restart. */
export async function attemptsSince(db: Executor, destination: string, since: number): Promise<number> {
  const r = await db
    .selectFrom('delivery_attempts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('destination', '=', destination)
    .where('at', '>=', since)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export interface DeliveryFilter {
  status?: DeliveryStatus | undefined;
  destination?: string | undefined;
  alertId?: string | undefined;
  beforeId?: number | undefined;
  limit: number;
}

export async function listDeliveries(db: Executor, f: DeliveryFilter): Promise<DeliveryRow[]> {
  let q = db.selectFrom('deliveries').selectAll();
  if (f.status) q = q.where('status', '=', f.status);
  if (f.destination) q = q.where('destination', '=', f.destination);
  if (f.alertId) q = q.where('alert_id', '=', f.alertId);
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
  return q.orderBy('id', 'desc').limit(f.limit).execute();
}

export async function findDelivery(db: Executor, id: number): Promise<DeliveryRow | undefined> {
  return db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listAttempts(db: Executor, deliveryId: number) {
  return db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('id').execute();
}

export async function queueDepths(db: Executor): Promise<{ destination: string; status: string; n: number }[]> {
  const rows = await db
    .selectFrom('deliveries')
    .select(['destination', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'in', ['pending', 'in_flight', 'dead', 'orphaned', 'muted'])
    .groupBy(['destination', 'status'])
    .execute();
  return rows.map((r) => ({ destination: r.destination, status: r.status, n: Number(r.n) }));
}

export async function loadDestinationState(db: Executor, destination: string, alertId: string, episode: number): Promise<string | undefined> {
  const r = await db
    .selectFrom('destination_state')
    .select('state')
    .where('destination', '=', destination)
    .where('alert_id', '=', alertId)
    .where('episode', '=', episode)
    .executeTakeFirst();
  return r?.state;
}

export async function saveDestinationState(db: Executor, destination: string, alertId: string, episode: number, state: string, now: number): Promise<void> {
  await db
    .insertInto('destination_state')
    .values({ destination, alert_id: alertId, episode, state, updated_at: now })
    .onConflict((oc) => oc.columns(['destination', 'alert_id', 'episode']).doUpdateSet({ state, updated_at: now }))
    .execute();
}

/**
 * Whether an attempt of this episode to this destination, before the current claim of `row`, may have taken effect.
 * Every claim counts (a crash after sending leaves a claim with no recorded attempt) except attempts answered with a
 * 4xx: the destination refused those, so they changed nothing.
 */
export async function earlierAttemptMayHaveLanded(db: Executor, row: Pick<DeliveryRow, 'id' | 'destination' | 'alert_id' | 'episode'>): Promise<boolean> {
  const episode = db
    .selectFrom('deliveries')
    .where('destination', '=', row.destination)
    .where('alert_id', '=', row.alert_id)
    .where('episode', '=', row.episode);
  const claims = await episode.select((eb) => eb.fn.sum<number>('attempts').as('n')).executeTakeFirst();
  const refused = await db
    .selectFrom('delivery_attempts as a')
    .innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('d.destination', '=', row.destination)
    .where('d.alert_id', '=', row.alert_id)
    .where('d.episode', '=', row.episode)
    .where('a.status_code', '>=', 400)
    .where('a.status_code', '<', 500)
    .executeTakeFirst();
  // The current claim is counted in `claims` and has no attempt recorded yet.
  return Number(claims?.n ?? 0) - 1 - Number(refused?.n ?? 0) > 0;
}
