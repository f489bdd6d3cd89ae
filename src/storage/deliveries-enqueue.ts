import type { Executor } from './schema.ts';

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
