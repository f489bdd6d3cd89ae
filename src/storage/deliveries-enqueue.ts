import { forUpdate } from './dialect.ts';
import type { InsertBuffer } from './insert-buffer.ts';
import { insertRows, template } from './prepared.ts';
import type { DeliveryRow, Executor } from './schema.ts';

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

type Target = { destination: string; alertId: string };

/**
 * The newest row of (destination, alert) still waiting to be sent: the one a newer state coalesces into. Locked on
 * PostgreSQL, so the claim on the destination's sender (which passes over locked rows) cannot put it in flight
 * between this read and the rewrite; a row it already holds is not returned once claimed, and a new row queues.
 */
const waitingRow = template<Target, Pick<DeliveryRow, 'id' | 'episode' | 'attempts'>>('waiting delivery', (db, p) =>
  forUpdate(
    db,
    db
      .selectFrom('deliveries')
      .select(['id', 'episode', 'attempts'])
      .where('destination', '=', p('destination'))
      .where('alert_id', '=', p('alertId'))
      .where('status', 'in', ['pending', 'orphaned'])
      .orderBy('id', 'desc')
      .limit(1),
  ),
);

/** Any row of the episode that may have reached the destination (tried, delivered, or on its way). */
const reachedRow = template<Target & { episode: number }, Pick<DeliveryRow, 'id'>>('episode reached destination', (db, p) =>
  db
    .selectFrom('deliveries')
    .select('id')
    .where('destination', '=', p('destination'))
    .where('alert_id', '=', p('alertId'))
    .where('episode', '=', p('episode'))
    .where((eb) => eb.or([eb('attempts', '>', 0), eb('status', 'in', ['delivered', 'in_flight'])]))
    .limit(1),
);

const skip = template<{ id: number; payload: string; now: number }>('skip delivery', (db, p) =>
  db.updateTable('deliveries').set({ status: 'skipped', payload: p('payload'), hint: 'resolved before delivery', updated_at: p('now') }).where('id', '=', p('id')),
);

const coalesce = template<{ id: number; payload: string; priority: number; now: number }>('coalesce delivery', (db, p) =>
  db.updateTable('deliveries').set({ payload: p('payload'), priority: p('priority'), updated_at: p('now') }).where('id', '=', p('id')),
);

/**
 * The outbox rule (DESIGN.md): one pending row per (destination, alert). A newer state replaces a pending row's
 * payload; a row in flight is never rewritten, so the newer state queues behind it and order per alert holds.
 * Rows of an older episode are not merged with a new episode: incident.io must see the resolve, then a new alert.
 *
 * `held`: a new row waits in that buffer (insert-buffer.ts) to be written with others in one statement; a lookup
 * writes what it holds first, so it still finds a row enqueued earlier in the same unit of work.
 */
export async function enqueueDelivery(db: Executor, input: EnqueueInput, held?: InsertBuffer): Promise<EnqueueResult> {
  let pending: Pick<DeliveryRow, 'id' | 'episode' | 'attempts'> | undefined;
  if (!input.newAlert) {
    await held?.before('deliveries');
    [pending] = await waitingRow.run(db, input);
  }
  if (pending && pending.episode === input.episode) {
    if (input.status === 'resolved' && pending.attempts === 0) {
      const [reached] = await reachedRow.run(db, input);
      if (!reached) {
        // incident.io never heard of this episode: sending it now would only open and close an alert at once.
        await skip.run(db, { id: pending.id, payload: input.payload, now: input.now });
        return 'resolved_before_delivery';
      }
    }
    await coalesce.run(db, { id: pending.id, payload: input.payload, priority: input.priority, now: input.now });
    return 'coalesced';
  }
  const row = {
    destination: input.destination,
    alert_id: input.alertId,
    episode: input.episode,
    status: input.orphaned ? ('orphaned' as const) : ('pending' as const),
    payload: input.payload,
    priority: input.priority,
    attempts: 0,
    next_attempt_at: input.now,
    created_at: input.now,
    updated_at: input.now,
  };
  if (held) await held.add('deliveries', row);
  else await insertRows(db, 'deliveries', [row]);
  return 'inserted';
}
