import { sql, type Insertable } from 'kysely';
import type { DeliveryAttemptsTable, DeliveryRow, DeliveryStatus, Executor, Tx } from './schema.ts';

export interface EnqueueInput {
  destination: string;
  alertId: string;
  episode: number;
  payload: string;
  /** `firing` or `resolved`: a resolve whose firing never left the queue cancels both. */
  status: 'firing' | 'resolved';
  priority: number;
  now: number;
  /** The alert was created in this transaction, so it has no deliveries yet: skip the lookup. */
  newAlert?: boolean;
  /** The destination is not configured (any more): the row is kept as `orphaned` until it is. */
  orphaned?: boolean;
}

export type EnqueueResult = 'inserted' | 'coalesced' | 'resolved_before_delivery';

/**
 * The outbox rule (DESIGN.md): one pending row per (destination, alert). A newer state replaces a pending row's
 * payload; a row in flight is never rewritten, so the newer state queues behind it and order per alert holds.
 * Rows of an older episode are not merged with a new episode: incident.io must see the resolve, then a new alert.
 */
export async function enqueueDelivery(db: Executor, input: EnqueueInput): Promise<EnqueueResult> {
  const pending = input.newAlert
    ? undefined
    : await db
    .selectFrom('deliveries')
    .select(['id', 'episode', 'attempts'])
    .where('destination', '=', input.destination)
    .where('alert_id', '=', input.alertId)
    .where('status', 'in', ['pending', 'orphaned'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (pending && pending.episode === input.episode) {
    if (input.status === 'resolved' && pending.attempts === 0) {
      const reached = await db
        .selectFrom('deliveries')
        .select('id')
        .where('destination', '=', input.destination)
        .where('alert_id', '=', input.alertId)
        .where('episode', '=', input.episode)
        .where((eb) => eb.or([eb('attempts', '>', 0), eb('status', 'in', ['delivered', 'in_flight'])]))
        .limit(1)
        .executeTakeFirst();
      if (!reached) {
        // incident.io never heard of this episode: sending it now would only open and close an alert at once.
        await db
          .updateTable('deliveries')
          .set({ status: 'skipped', payload: input.payload, hint: 'resolved before delivery', updated_at: input.now })
          .where('id', '=', pending.id)
          .execute();
        return 'resolved_before_delivery';
      }
    }
    await db
      .updateTable('deliveries')
      .set({ payload: input.payload, priority: input.priority, updated_at: input.now })
      .where('id', '=', pending.id)
      .execute();
    return 'coalesced';
  }
  await db
    .insertInto('deliveries')
    .values({
      destination: input.destination,
      alert_id: input.alertId,
      episode: input.episode,
      status: input.orphaned ? 'orphaned' : 'pending',
      payload: input.payload,
      priority: input.priority,
      attempts: 0,
      next_attempt_at: input.now,
      created_at: input.now,
      updated_at: input.now,
    })
    .execute();
  return 'inserted';
}

/**
 * Takes due rows of one destination and marks them in flight. A row waits while an older row of the same alert is
 * still pending or in flight (per-alert order), and no alert has two rows in flight. Most severe first, then oldest.
 * Runs inside the caller's transaction, so the select and the update see the same rows.
 */
export async function claimDeliveries(tx: Tx, destination: string, limit: number, now: number): Promise<DeliveryRow[]> {
  if (limit <= 0) return [];
  const due = await tx
    .selectFrom('deliveries as d')
    .select('d.id')
    .where('d.destination', '=', destination)
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('deliveries as e')
            .select('e.id')
            .whereRef('e.alert_id', '=', 'd.alert_id')
            .whereRef('e.destination', '=', 'd.destination')
            .where((eb) => eb.or([eb('e.status', '=', 'in_flight'), eb.and([eb('e.status', '=', 'pending'), eb('e.id', '<', eb.ref('d.id'))])])),
        ),
      ),
    )
    .orderBy('d.priority', 'desc')
    .orderBy('d.id')
    .limit(limit)
    .execute();
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

/**
 * After a crash, rows left in flight may or may not have reached incident.io. Sending them again is safe: every
 * send carries the same deduplication or idempotency key.
 */
export async function requeueInFlight(db: Executor, now: number, destination?: string): Promise<number> {
  let q = db.updateTable('deliveries').set({ status: 'pending', next_attempt_at: now, updated_at: now }).where('status', '=', 'in_flight');
  if (destination) q = q.where('destination', '=', destination);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
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
    .where('status', 'in', ['pending', 'in_flight', 'dead', 'orphaned'])
    .groupBy(['destination', 'status'])
    .execute();
  return rows.map((r) => ({ destination: r.destination, status: r.status, n: Number(r.n) }));
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
