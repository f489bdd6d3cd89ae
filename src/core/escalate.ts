import type { EscalationStep } from '../routing/routes.ts';
import { findAlertForUpdate, insertTransition, updateAlert } from '../storage/alerts-repo.ts';
import { dueEscalations, finishEscalation } from '../storage/escalations-repo.ts';
import type { InsertBuffer } from '../storage/insert-buffer.ts';
import type { AlertRow, EscalationRow, Tx } from '../storage/schema.ts';
import { enqueueFor, readList } from './outbox.ts';

/** The actor of an escalation's transitions. */
export const ESCALATION_ACTOR = 'escalation';

/**
 * Versus' `?oncall_wait_minutes=N` for one alert: the first later step (the on-call page) is due after N minutes
 * instead of its configured `after`, and the steps after it keep their spacing. 0 pages at once.
 */
export function withOncallWait(steps: readonly EscalationStep[], waitMs: number | undefined): readonly EscalationStep[] {
  if (waitMs === undefined || !steps.length) return steps;
  const shift = waitMs - steps[0]!.afterMs;
  return steps.map((s) => ({ ...s, afterMs: Math.max(0, s.afterMs + shift) }));
}

/** A new episode's later steps become rows due `afterMs` after it fired; step 0 went out with the alert itself. */
export async function scheduleEscalations(held: InsertBuffer, alert: AlertRow, steps: readonly EscalationStep[], now: number): Promise<void> {
  for (const [i, s] of steps.entries()) {
    if (!s.to.length) continue;
    await held.add('escalations', {
      alert_id: alert.id,
      episode: alert.episode,
      step: i + 1,
      due_at: now + s.afterMs,
      destinations: JSON.stringify(s.to),
      status: 'pending',
      reason: null,
      created_at: now,
      updated_at: now,
    });
  }
}

/** Why a due step does not fire, or undefined when it does: only a firing, unacknowledged alert of its episode. */
export function stepCancelled(alert: AlertRow | undefined, step: Pick<EscalationRow, 'episode'>): string | undefined {
  if (!alert) return 'alert gone';
  if (alert.episode !== step.episode) return 'a later episode began';
  if (alert.state === 'acknowledged') return 'acknowledged';
  if (alert.state === 'resolved') return 'resolved';
  return undefined;
}

/**
 * Fires the steps due now, in the caller's transaction: the step's destinations join the episode's (sticky: the
 * resolve goes there too) and get the alert's current state through the outbox; the step is marked fired in the same
 * commit, so it fires once whatever restarts. Returns the destinations that got something, to wake their senders.
 */
export async function fireDueEscalations(tx: Tx, now: number, configured: ReadonlySet<string>, limit = 100): Promise<{ fired: number; cancelled: number; woken: Set<string> }> {
  const out = { fired: 0, cancelled: 0, woken: new Set<string>() };
  for (const step of await dueEscalations(tx, now, limit)) {
    const alert = await findAlertForUpdate(tx, step.alert_id);
    const cancelled = stepCancelled(alert, step);
    if (cancelled || !alert) {
      await finishEscalation(tx, step.id, 'cancelled', cancelled ?? 'alert gone', now);
      out.cancelled++;
      continue;
    }
    const before = readList(alert.routed_to);
    const added = readList(step.destinations).filter((d) => !before.includes(d));
    if (added.length) {
      const row: AlertRow = { ...alert, routed_to: JSON.stringify([...before, ...added]), updated_at: now };
      await updateAlert(tx, alert.id, { routed_to: row.routed_to, updated_at: now });
      await insertTransition(tx, {
        alert_id: alert.id,
        episode: alert.episode,
        kind: 'escalated',
        from_state: alert.state,
        to_state: alert.state,
        actor: ESCALATION_ACTOR,
        content: JSON.stringify({ step: step.step, to: added }),
        at: now,
      });
      await enqueueFor(tx, row, added, now, configured);
      for (const d of added) out.woken.add(d);
    }
    await finishEscalation(tx, step.id, 'fired', added.length ? null : 'already notified', now);
    out.fired++;
  }
  return out;
}
