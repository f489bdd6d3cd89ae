import type { JsonObject } from '../domain/alert.ts';
import { severityRank } from '../domain/alert.ts';
import { stringifyWith } from '../domain/json.ts';
import type { DeliveryPayload } from '../destinations/types.ts';
import { enqueueDelivery, type EnqueueResult } from '../storage/deliveries-enqueue.ts';
import type { InsertBuffer } from '../storage/insert-buffer.ts';
import { currentMuteCheck } from '../mute/hook.ts';
import type { AlertRow, Tx } from '../storage/schema.ts';

/** The payload's fields other than metadata, from the stored row (so merged fields are sent, not the bare event). */
function payloadFields(row: AlertRow, status: 'firing' | 'resolved', at: number): Omit<DeliveryPayload, 'metadata'> {
  const p: Omit<DeliveryPayload, 'metadata'> = {
    alertId: row.id,
    source: row.source,
    dedupKey: row.dedup_key,
    externalKey: row.external_key,
    episode: row.episode,
    status,
    title: row.title,
    at,
  };
  if (row.description !== null) p.description = row.description;
  if (row.severity !== null) p.severity = row.severity as NonNullable<DeliveryPayload['severity']>;
  if (row.source_url !== null) p.sourceUrl = row.source_url;
  // Chat messages keep saying acknowledged while later events update the alert (src/ack/).
  if (row.state === 'acknowledged' && row.acknowledged_at !== null) p.acknowledged = { at: Number(row.acknowledged_at) };
  return p;
}

/** The alert state a delivery carries, taken from the stored row (so merged fields are sent, not the bare event). */
export function toPayload(row: AlertRow, status: 'firing' | 'resolved', at: number): DeliveryPayload {
  return { ...payloadFields(row, status, at), metadata: JSON.parse(row.metadata) as JsonObject };
}

/** `JSON.stringify(toPayload(…))`, with the stored metadata text put in as it is rather than parsed and serialised. */
export function payloadJson(row: AlertRow, status: 'firing' | 'resolved', at: number): string {
  return stringifyWith(payloadFields(row, status, at), 'metadata', row.metadata);
}

/** JSON array columns (`routed_to`). */
export const readList = (json: string): string[] => JSON.parse(json) as string[];

export interface EnqueueOptions {
  /** The alert was created in this transaction: it has no deliveries to coalesce into. */
  newAlert?: boolean;
  /** New rows wait in this buffer, written with the others of the batch (insert-buffer.ts). */
  held?: InsertBuffer;
  /** The payload JSON to queue instead of the row's own state (an acknowledgement names who: src/ack/). */
  payload?: string;
}

/**
 * Puts the alert's current state in the outbox for each destination, in the same transaction as the state change.
 * A destination the config no longer has gets an `orphaned` row: kept and counted, sent once it is configured again.
 */
export async function enqueueFor(
  tx: Tx,
  row: AlertRow,
  destinations: readonly string[],
  now: number,
  configured: ReadonlySet<string>,
  options: EnqueueOptions = {},
): Promise<EnqueueResult[]> {
  if (destinations.length === 0) return [];
  const status = row.state === 'resolved' ? 'resolved' : 'firing';
  const payload = options.payload ?? payloadJson(row, status, now);
  // Silences, time intervals, inhibition (mute/): a muted firing state waits as a `muted` row.
  const asked = currentMuteCheck()?.reasons(tx, row, destinations, now);
  const muted = asked && (await asked);
  const out: EnqueueResult[] = [];
  for (const [i, destination] of destinations.entries()) {
    out.push(
      await enqueueDelivery(
        tx,
        {
          destination,
          alertId: row.id,
          episode: row.episode,
          payload,
          status,
          priority: severityRank(row.severity),
          now,
          newAlert: options.newAlert ?? false,
          orphaned: !configured.has(destination),
          mutedBy: muted?.[i],
        },
        options.held,
      ),
    );
  }
  return out;
}
