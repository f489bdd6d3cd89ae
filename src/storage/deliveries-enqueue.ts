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
  /**
   * A firing state muted for this destination (silence, time interval, inhibition: mute/decide.ts encodeReason): the
   * row waits as `muted`, never claimed, until the mute task makes it pending. Ignored for a resolve, which always goes
   * where the episode's firing went (a resolve whose firing never left is `suppressed` with it).
   */
  mutedBy?: string | undefined;
}

export type EnqueueResult = 'inserted' | 'coalesced' | 'resolved_before_delivery' | 'muted' | 'suppressed';

type Target = { destination: string; alertId: string };

type Waiting = Pick<DeliveryRow, 'id' | 'episode' | 'attempts' | 'status'> & { muted_by: string | null };

/**
 * The newest row of (destination, alert) still waiting to be sent: the one a newer state coalesces into. Locked on
 * PostgreSQL, so the claim on the destination's sender (which passes over locked rows) cannot put it in flight
 * between this read and the rewrite; a row it already holds is not returned once claimed, and a new row queues.
 */
const waitingRow = template<Target, Waiting>('waiting delivery', (db, p) =>
  forUpdate(
    db,
    db
      .selectFrom('deliveries')
      .select(['id', 'episode', 'attempts', 'status', 'muted_by'])
      .where('destination', '=', p('destination'))
      .where('alert_id', '=', p('alertId'))
      .where('status', 'in', ['pending', 'orphaned', 'muted'])
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

/** Whether anything of this episode reached (or may have reached) the destination: an attempt was made. */
export async function episodeReached(db: Executor, target: { destination: string; alertId: string; episode: number }): Promise<boolean> {
  return (await reachedRow.run(db, target)).length > 0;
}

const skip = template<{ id: number; payload: string; now: number }>('skip delivery', (db, p) =>
  db.updateTable('deliveries').set({ status: 'skipped', payload: p('payload'), hint: 'resolved before delivery', updated_at: p('now') }).where('id', '=', p('id')),
);

const coalesce = template<{ id: number; payload: string; priority: number; now: number }>('coalesce delivery', (db, p) =>
  db.updateTable('deliveries').set({ payload: p('payload'), priority: p('priority'), updated_at: p('now') }).where('id', '=', p('id')),
);

/** A waiting row changes between pending and muted as the mute starts or lifts (mute/), carrying the newest state. */
const restatus = template<{ id: number; payload: string; priority: number; now: number; status: 'pending' | 'muted' | 'suppressed'; mutedBy: string | null }>('mute delivery', (db, p) =>
  db
    .updateTable('deliveries')
    .set({ status: p('status'), muted_by: p('mutedBy'), payload: p('payload'), priority: p('priority'), next_attempt_at: p('now'), updated_at: p('now') })
    .where('id', '=', p('id')),
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
  let pending: Waiting | undefined;
  if (!input.newAlert) {
    await held?.before('deliveries');
    [pending] = await waitingRow.run(db, input);
  }
  if (pending && pending.episode === input.episode) {
    if (input.status === 'resolved' && pending.attempts === 0) {
      const [reached] = await reachedRow.run(db, input);
      if (!reached) {
        // incident.io never heard of this episode: sending it now would only open and close an alert at once.
        if (pending.status === 'muted') {
          // Fired and resolved inside the mute: nothing goes out, and the row says so (docs/silences.md).
          await restatus.run(db, { id: pending.id, payload: input.payload, priority: input.priority, now: input.now, status: 'suppressed', mutedBy: null });
          return 'suppressed';
        }
        await skip.run(db, { id: pending.id, payload: input.payload, now: input.now });
        return 'resolved_before_delivery';
      }
    }
    // A resolve of an episode that reached the destination goes out even when muted now; a firing state follows
    // the mute as it is now (a new silence mutes the alert's later updates). An orphaned row stays orphaned.
    const mutedBy = input.status === 'firing' ? input.mutedBy : undefined;
    // A muted row also takes the reason it is muted for now (a new silence over an expiring one), so the mute task
    // lifting the old reason leaves it alone (silences-repo.ts settleMuted).
    const changes = pending.status === 'muted' ? mutedBy !== (pending.muted_by ?? undefined) : mutedBy !== undefined;
    if (pending.status !== 'orphaned' && changes) {
      const status = mutedBy !== undefined ? 'muted' : 'pending';
      await restatus.run(db, { id: pending.id, payload: input.payload, priority: input.priority, now: input.now, status, mutedBy: mutedBy ?? null });
      return mutedBy !== undefined ? 'muted' : 'coalesced';
    }
    await coalesce.run(db, { id: pending.id, payload: input.payload, priority: input.priority, now: input.now });
    return 'coalesced';
  }
  const muted = !input.orphaned && input.status === 'firing' && input.mutedBy !== undefined;
  const row = {
    destination: input.destination,
    alert_id: input.alertId,
    episode: input.episode,
    status: input.orphaned ? ('orphaned' as const) : muted ? ('muted' as const) : ('pending' as const),
    payload: input.payload,
    priority: input.priority,
    attempts: 0,
    next_attempt_at: input.now,
    created_at: input.now,
    updated_at: input.now,
  };
  // Only a muted row has the column: the others keep the one shape the insert buffer batches together.
  const stored = muted ? { ...row, muted_by: input.mutedBy! } : row;
  if (held) await held.add('deliveries', stored);
  else await insertRows(db, 'deliveries', [stored]);
  return muted ? 'muted' : 'inserted';
}
