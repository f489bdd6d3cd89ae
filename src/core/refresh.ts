import { backlogUpTo, dueForRefresh, forgetSent, lockAlerts, markSent } from '../storage/refresh-repo.ts';
import type { Tx } from '../storage/schema.ts';
import { enqueueFor, readList } from './outbox.ts';

/** A destination whose active alerts are re-sent every `refreshAfterMs` (incident.io alert sources: `refresh_after`). */
export interface RefreshTarget {
  name: string;
  refreshAfterMs: number;
  /** Its rate limit: a tick queues no more refreshes than drain in a minute, so refreshes never make a storm. */
  perMinute: number;
}

/** The most refreshes one tick queues per destination, and the backlog above which it queues none. */
export const REFRESH_BATCH = 100;

/**
 * `refresh_after` (issue 9): incident.io groups alert events into an incident only within a rolling 48 h window, so an
 * alert that keeps firing is sent again (same key, current state) once its last delivery there is that old. The
 * refresh goes through the outbox like any state (coalescing into a row already queued, paced by the sender's rate
 * limit, behind storm mode), and only while the destination's queue is short: a refresh is never urgent, so it must
 * not build a backlog that delays real transitions. Runs in the scheduler's fenced transaction.
 */
export async function refreshDue(tx: Tx, now: number, targets: readonly RefreshTarget[], configured: ReadonlySet<string>): Promise<{ refreshed: number; woken: Set<string>; more: boolean }> {
  const out = { refreshed: 0, woken: new Set<string>(), more: false };
  for (const t of targets) {
    if (!configured.has(t.name) || t.refreshAfterMs <= 0) continue;
    const cap = Math.min(REFRESH_BATCH, t.perMinute);
    // What is due first (usually nothing: one index probe), then how much room the queue leaves.
    const candidates = await dueForRefresh(tx, t.name, now - t.refreshAfterMs, cap);
    if (candidates.length === 0) continue;
    const room = cap - (await backlogUpTo(tx, t.name, cap));
    if (room <= 0) continue;
    const due = candidates.slice(0, room);
    const alerts = await lockAlerts(
      tx,
      due.map((d) => d.alert_id),
    );
    const byId = new Map(alerts.map((a) => [a.id, a]));
    const gone: string[] = [];
    for (const d of due) {
      const a = byId.get(d.alert_id);
      // Resolved (its resolve not delivered there yet, or dead), deleted, or an episode that does not go there: the
      // row is stale. A refresh to a destination outside routed_to would open an alert its resolve never reaches.
      if (!a || a.state === 'resolved' || !readList(a.routed_to).includes(t.name)) {
        gone.push(d.alert_id);
        continue;
      }
      await enqueueFor(tx, a, [t.name], now, configured);
      // Counted from when it was queued: a refresh waiting on the rate limit is not queued again every tick.
      await markSent(tx, t.name, a.id, now);
      out.refreshed++;
      out.woken.add(t.name);
    }
    await forgetSent(tx, t.name, gone);
    if (due.length === room) out.more = true;
  }
  return out;
}
