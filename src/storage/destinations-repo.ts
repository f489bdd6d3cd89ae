import type { Executor } from './schema.ts';

/**
 * What follows the config rather than a single alert: deliveries of destinations that come and go, and which target
 * each destination name pointed at.
 */

/**
 * Rows queued (or left in flight) for a destination the config no longer has become `orphaned`: kept, visible and
 * counted, never sent anywhere else. Orphans of a destination that is configured again go back to pending.
 * Returns the orphaned count per missing destination, and how many came back.
 */
export async function reconcileOrphans(db: Executor, configured: readonly string[], now: number): Promise<{ orphaned: Map<string, number>; revived: number }> {
  let orphan = db.updateTable('deliveries').set({ status: 'orphaned', updated_at: now }).where('status', 'in', ['pending', 'in_flight']);
  if (configured.length) orphan = orphan.where('destination', 'not in', configured);
  await orphan.execute();
  const revived = configured.length
    ? Number(
        (
          await db
            .updateTable('deliveries')
            .set({ status: 'pending', next_attempt_at: now, updated_at: now, hint: null })
            .where('status', '=', 'orphaned')
            .where('destination', 'in', configured)
            .executeTakeFirst()
        ).numUpdatedRows,
      )
    : 0;
  const rows = await db
    .selectFrom('deliveries')
    .select(['destination', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', '=', 'orphaned')
    .groupBy('destination')
    .execute();
  return { orphaned: new Map(rows.map((r) => [r.destination, Number(r.n)])), revived };
}

/** Orphaned rows of one destination that is configured (again): pending again. Returns how many. */
export async function reviveOrphans(db: Executor, destination: string, now: number): Promise<number> {
  const r = await db
    .updateTable('deliveries')
    .set({ status: 'pending', next_attempt_at: now, updated_at: now, hint: null })
    .where('destination', '=', destination)
    .where('status', '=', 'orphaned')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Records each destination's target; returns the names whose stored target was different (re-pointed). */
export async function recordTargets(db: Executor, targets: ReadonlyMap<string, string>, now: number): Promise<Set<string>> {
  const changed = new Set<string>();
  if (targets.size === 0) return changed;
  const stored = await db.selectFrom('destination_targets').selectAll().where('destination', 'in', [...targets.keys()]).execute();
  const before = new Map(stored.map((r) => [r.destination, r.target]));
  for (const [destination, target] of targets) {
    const old = before.get(destination);
    if (old === target) continue;
    if (old !== undefined) changed.add(destination);
    await db
      .insertInto('destination_targets')
      .values({ destination, target, updated_at: now })
      .onConflict((oc) => oc.column('destination').doUpdateSet({ target, updated_at: now }))
      .execute();
  }
  return changed;
}
