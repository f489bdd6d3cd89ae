import type { DestinationConfig } from '../config/load.ts';
import type { OutcomeDocument, OutcomeEventType } from '../destinations/outcome-document.ts';
import type { DeliveryPayload, SendOutcome } from '../destinations/types.ts';
import { insertRows } from '../storage/prepared.ts';
import type { DeliveryRow, Tx } from '../storage/schema.ts';

/** A `webhook` destination with `on:`: which outcomes it wants, of which destinations (undefined: every other one). */
export interface OutcomeSubscriber {
  name: string;
  on: ReadonlySet<OutcomeEventType>;
  from?: ReadonlySet<string> | undefined;
}

const cache = new WeakMap<object, OutcomeSubscriber[]>();

/** The subscribers a config declares (computed once per config: the destinations map is replaced on reload). */
export function outcomeSubscribers(destinations: ReadonlyMap<string, DestinationConfig>): OutcomeSubscriber[] {
  let subs = cache.get(destinations);
  if (!subs) {
    subs = [];
    for (const d of destinations.values()) {
      const c = d.config as { on?: OutcomeEventType[]; destinations?: string[] };
      if (d.type !== 'webhook' || !c.on?.length) continue;
      subs.push({ name: d.name, on: new Set(c.on), from: c.destinations ? new Set(c.destinations) : undefined });
    }
    cache.set(destinations, subs);
  }
  return subs;
}

/** Who gets an outcome of a delivery to `destination`: never the destination itself (no loops). */
export function subscribersFor(subs: readonly OutcomeSubscriber[], destination: string, type: OutcomeEventType): OutcomeSubscriber[] {
  return subs.filter((s) => s.name !== destination && s.on.has(type) && (s.from === undefined || s.from.has(destination)));
}

export interface OutcomeInput {
  destination: string;
  row: DeliveryRow;
  /** The alert state the delivery carried. An outcome event's own delivery never makes another (no loops). */
  payload: DeliveryPayload;
  outcome: SendOutcome;
  /** What the row became: only `delivered` and `dead` are outcome events. */
  status: DeliveryRow['status'];
  hint: string | null;
  now: number;
}

/**
 * Queues one outcome event per subscribed webhook, in the transaction that records the outcome: it is sent if and
 * only if the outcome is committed. Each row is its own unit in the outbox: its `alert_id` names the outcome
 * (`outcome:<delivery id>:<attempt>`), not the alert, so it never coalesces with, supersedes, or waits behind the
 * alert's own rows to that webhook (the claim orders per alert and destination), and a retry of it keeps its document.
 * The alert's id is in the payload and the document. Silences and routes do not apply: it is not an alert.
 */
export async function enqueueOutcomeEvents(tx: Tx, subs: readonly OutcomeSubscriber[], i: OutcomeInput): Promise<string[]> {
  if (i.payload.outcome || i.payload.test || (i.status !== 'delivered' && i.status !== 'dead')) return [];
  const type: OutcomeEventType = i.status === 'delivered' ? 'delivery.delivered' : 'delivery.dead';
  const to = subscribersFor(subs, i.destination, type);
  if (to.length === 0) return [];
  const p = i.payload;
  const o = i.outcome;
  const doc: OutcomeDocument = {
    type,
    delivery_id: i.row.id,
    destination: i.destination,
    attempts: i.row.attempts,
    alert_id: p.alertId,
    source: p.source,
    dedup_key: p.dedupKey,
    key: p.externalKey,
    episode: p.episode,
    alert_status: p.status,
    title: p.title,
    status_code: o.statusCode ?? null,
    request_id: o.requestId ?? null,
    detail: o.kind === 'delivered' ? (o.detail ?? null) : null,
    error: o.kind === 'delivered' ? null : o.error,
    hint: i.hint,
    at: new Date(i.now).toISOString(),
  };
  const carried: DeliveryPayload = { alertId: p.alertId, source: p.source, dedupKey: p.dedupKey, externalKey: p.externalKey, episode: p.episode, status: p.status, title: p.title, metadata: {}, at: i.now, outcome: doc };
  const payload = JSON.stringify(carried);
  await insertRows(
    tx,
    'deliveries',
    to.map((s) => ({
      destination: s.name,
      alert_id: `outcome:${i.row.id}:${i.row.attempts}`,
      episode: p.episode,
      status: 'pending' as const,
      payload,
      // Behind every alert state queued to the same webhook when there is a backlog.
      priority: 0,
      attempts: 0,
      next_attempt_at: i.now,
      created_at: i.now,
      updated_at: i.now,
    })),
  );
  return to.map((s) => s.name);
}
