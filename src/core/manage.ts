import type { Clock } from '../domain/clock.ts';
import { findAlert, findAlertForUpdate, insertTransition, updateAlert } from '../storage/alerts-repo.ts';
import { findDelivery } from '../storage/deliveries-repo.ts';
import { cancelEscalations } from '../storage/escalations-repo.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { AlertRow, DeliveryRow, Tx } from '../storage/schema.ts';
import { enqueueFor, readList, toPayload } from './outbox.ts';

export type ManageOutcome<T> = { ok: true; value: T; wake?: string[] } | { ok: false; status: 404 | 409; code: string; message: string };

/**
 * Sends a dead (or skipped) delivery again. It carries the alert's latest state for that episode, not the stale one
 * it died with, and later dead rows of the same episode are folded into it: one retry brings incident.io up to date.
 */
export async function retryDelivery(commits: GroupCommit, clock: Clock, id: number, configured: ReadonlySet<string>): Promise<ManageOutcome<DeliveryRow>> {
  return commits.run(async (tx) => {
    const row = await findDelivery(tx, id);
    if (!row) return { ok: false, status: 404, code: 'not_found', message: `delivery ${id} not found` };
    if (row.status !== 'dead' && row.status !== 'orphaned') {
      return { ok: false, status: 409, code: 'conflict', message: `delivery ${id} is ${row.status}; only dead or orphaned deliveries can be retried` };
    }
    if (row.status === 'orphaned' && !configured.has(row.destination)) {
      return { ok: false, status: 409, code: 'conflict', message: `delivery ${id} is for destination "${row.destination}", which is not configured; add it back to the config and reload` };
    }
    const now = clock.now();
    const alert = await findAlert(tx, row.alert_id);
    const payload = alert && alert.episode === row.episode ? JSON.stringify(toPayload(alert, alert.state === 'resolved' ? 'resolved' : 'firing', now)) : row.payload;
    await tx
      .updateTable('deliveries')
      .set({ status: 'superseded', hint: `folded into the retry of delivery ${id}`, updated_at: now })
      .where('destination', '=', row.destination)
      .where('alert_id', '=', row.alert_id)
      .where('episode', '=', row.episode)
      .where('status', '=', 'dead')
      .where('id', '>', id)
      .execute();
    const updated = await tx
      .updateTable('deliveries')
      .set({ status: 'pending', payload, next_attempt_at: now, created_at: now, updated_at: now, hint: null, last_error: null })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ok: true, value: updated, wake: [row.destination] };
  });
}

/** A person acts on an alert through the API: acknowledge (tocsin-side only) or resolve (delivered like a source's). */
export async function actOnAlert(
  commits: GroupCommit,
  clock: Clock,
  id: string,
  action: 'acknowledge' | 'resolve',
  configured: ReadonlySet<string>,
): Promise<ManageOutcome<AlertRow>> {
  return commits.run(async (tx) => {
    const alert = await findAlertForUpdate(tx, id);
    if (!alert) return { ok: false, status: 404, code: 'not_found', message: `alert ${id} not found` };
    const now = clock.now();
    const to = action === 'resolve' ? 'resolved' : 'acknowledged';
    if (alert.state === 'resolved') return { ok: false, status: 409, code: 'conflict', message: `alert ${id} is already resolved` };
    if (alert.state === to) return { ok: true, value: alert };
    const { row, wake } = await changeState(tx, alert, action, now, configured, 'api');
    return { ok: true, value: row, wake };
  });
}

/**
 * Acknowledges or resolves an active alert locked by the caller, on behalf of `actor` (a person through the API, or
 * tocsin itself: `ttl`). Returns the new row and the destinations whose senders should look now.
 */
export async function changeState(
  tx: Tx,
  alert: AlertRow,
  action: 'acknowledge' | 'resolve',
  now: number,
  configured: ReadonlySet<string>,
  actor: string,
  content: Record<string, unknown> = {},
): Promise<{ row: AlertRow; wake: string[] }> {
  const to = action === 'resolve' ? 'resolved' : 'acknowledged';
  const changes = action === 'resolve' ? { state: to, resolved_at: now, updated_at: now, stale_at: null } : { state: to, acknowledged_at: now, updated_at: now };
  const row: AlertRow = { ...alert, ...changes } as AlertRow;
  await updateAlert(tx, alert.id, changes as Partial<AlertRow>);
  // Somebody is on it (or it is over): the escalation's later steps are not needed.
  await cancelEscalations(tx, alert.id, alert.episode, to, now);
  await insertTransition(tx, { alert_id: alert.id, episode: alert.episode, kind: to, from_state: alert.state, to_state: to, actor, content: JSON.stringify(content), at: now });
  // Sticky: a resolve goes to every destination the episode was queued to.
  const destinations = readList(alert.routed_to);
  if (action === 'resolve') await enqueueFor(tx, row, destinations, now, configured);
  return { row, wake: action === 'resolve' ? destinations : [] };
}
