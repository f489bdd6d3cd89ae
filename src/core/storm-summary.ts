import type { JsonObject } from '../domain/alert.ts';
import { contentHash, externalDedupKey } from '../domain/identity.ts';
import type { TransitionKind } from '../domain/lifecycle.ts';
import { STORM_ACTOR, STORM_PRIORITY, STORM_SOURCE, type SummaryContent } from '../domain/storm.ts';
import { insertAlert, insertTransition, updateAlert } from '../storage/alerts-repo.ts';
import { enqueueDelivery } from '../storage/deliveries-enqueue.ts';
import { findSummaryAlert } from '../storage/storm-repo.ts';
import type { AlertRow, Tx } from '../storage/schema.ts';
import { toPayload } from './outbox.ts';

/**
 * The storm summary is a real alert of the internal source `tocsin:storm`, keyed by destination, so it rides the
 * machinery every alert has: its state is a row committed with its outbox delivery (a restart finds it, sends what
 * was queued, and never opens a second one), its key is computed once and stored, a pending update coalesces into
 * the queued send, and a resolve of a firing that never left the queue sends nothing. Each function here is one
 * transaction's worth of work; each reads the row again inside it, so a person acting on the summary through the
 * API at the same moment is never overwritten.
 */

export type SummaryWrite = 'started' | 'updated' | 'ended' | 'unchanged';

function labelsOf(destination: string, content: SummaryContent): string {
  return JSON.stringify({ source: [STORM_SOURCE], severity: [content.severity], destination: [destination] });
}

async function enqueue(tx: Tx, row: AlertRow, destination: string, status: 'firing' | 'resolved', now: number, newAlert: boolean): Promise<void> {
  await enqueueDelivery(tx, {
    destination,
    alertId: row.id,
    episode: row.episode,
    payload: JSON.stringify(toPayload(row, status, now)),
    status,
    // Ahead of every alert in the backlog: the point of the summary is to arrive now, not in 40 minutes.
    priority: STORM_PRIORITY,
    now,
    newAlert,
  });
}

async function transition(tx: Tx, row: AlertRow, kind: TransitionKind, from: AlertRow['state'] | null, content: JsonObject, now: number): Promise<void> {
  await insertTransition(tx, { alert_id: row.id, episode: row.episode, kind, from_state: from, to_state: row.state, actor: STORM_ACTOR, content: JSON.stringify(content), at: now });
}

function fields(destination: string, content: SummaryContent, now: number) {
  const stored = { title: content.title, description: content.description, severity: content.severity, metadata: content.metadata, sourceUrl: content.sourceUrl };
  return {
    title: content.title,
    description: content.description,
    severity: content.severity,
    metadata: JSON.stringify(content.metadata),
    source_url: content.sourceUrl,
    content_hash: contentHash(stored as unknown as JsonObject),
    labels: labelsOf(destination, content),
    updated_at: now,
    last_event_at: now,
  };
}

/** Opens the summary: a new alert, or a new episode of the last storm's (incident.io opens a new alert for it). */
export async function startSummary(tx: Tx, destination: string, content: SummaryContent, now: number, newId: () => string): Promise<SummaryWrite> {
  const current = await findSummaryAlert(tx, STORM_SOURCE, destination);
  if (current && current.state !== 'resolved') return 'unchanged';
  const common = {
    ...fields(destination, content, now),
    state: 'firing' as const,
    // Sticky to its destination, whatever the routes say: rerouting at start and reload leaves it where it is.
    routed_to: JSON.stringify([destination]),
    route_override: destination,
    parser_labels: null,
    resolved_at: null,
    acknowledged_at: null,
    event_ttl_ms: null,
    stale_at: null,
  };
  let row: AlertRow;
  if (!current) {
    row = {
      ...common,
      id: newId(),
      source: STORM_SOURCE,
      dedup_key: destination,
      external_key: externalDedupKey(STORM_SOURCE, destination),
      episode: 1,
      event_count: 1,
      created_at: now,
    };
    await insertAlert(tx, row);
  } else {
    row = { ...current, ...common, episode: current.episode + 1, event_count: current.event_count + 1 };
    await updateAlert(tx, row.id, { ...common, episode: row.episode, event_count: row.event_count });
  }
  await transition(tx, row, current ? 'refired' : 'created', current ? 'resolved' : null, content.metadata, now);
  await enqueue(tx, row, destination, 'firing', now, !current);
  return 'started';
}

/** New counts for an active summary. A send still queued takes them (coalescing); otherwise one more send. */
export async function updateSummary(tx: Tx, destination: string, content: SummaryContent, now: number): Promise<SummaryWrite> {
  const current = await findSummaryAlert(tx, STORM_SOURCE, destination);
  if (!current || current.state === 'resolved') return 'unchanged';
  const changes = fields(destination, content, now);
  const row: AlertRow = { ...current, ...changes, event_count: current.event_count + 1 };
  await updateAlert(tx, row.id, { ...changes, event_count: row.event_count });
  await transition(tx, row, 'updated', current.state, content.metadata, now);
  await enqueue(tx, row, destination, 'firing', now, false);
  return 'updated';
}

/** Resolves the summary where it was sent. A firing that never left the queue is dropped instead (nothing sent). */
export async function endSummary(tx: Tx, destination: string, now: number, reason: string): Promise<SummaryWrite> {
  const current = await findSummaryAlert(tx, STORM_SOURCE, destination);
  if (!current || current.state === 'resolved') return 'unchanged';
  const row: AlertRow = { ...current, state: 'resolved', resolved_at: now, updated_at: now };
  await updateAlert(tx, row.id, { state: 'resolved', resolved_at: now, updated_at: now });
  await transition(tx, row, 'resolved', current.state, { reason }, now);
  await enqueue(tx, row, destination, 'resolved', now, false);
  return 'ended';
}
