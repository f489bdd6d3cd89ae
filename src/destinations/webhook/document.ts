/**
 * tocsin's alert document: what a `webhook` destination posts by default, and the input of its JSONata template.
 * Every key is always present (absent values are null), so receivers and templates can rely on the shape.
 * docs/destinations.md documents it; change both together.
 */
import type { JsonObject } from '../../domain/alert.ts';
import { labelsOf } from '../../domain/labels.ts';
import { shownState, type DeliveryPayload } from '../types.ts';

export interface AlertDocument {
  /** `alert.firing`, `alert.acknowledged` or `alert.resolved` (the Standard Webhooks convention of a dotted event type). */
  type: 'alert.firing' | 'alert.acknowledged' | 'alert.resolved';
  /** tocsin's alert id (a ULID): the same for every state and episode of this alert. */
  id: string;
  source: string;
  /** The sender's deduplication key within its source. */
  dedup_key: string;
  /** `<source>:<dedup_key>` (hashed when long): the key incident.io sees. */
  key: string;
  status: 'firing' | 'resolved';
  title: string;
  description: string | null;
  severity: string | null;
  /** What routes match on: metadata flattened, plus `source` and `severity`; each label can have several values. */
  labels: Record<string, string[]>;
  metadata: JsonObject;
  source_url: string | null;
  /** 1 for the first firing; a firing after a resolve opens the next episode. */
  episode: number;
  /** When the alert reached this state (ISO 8601, UTC). */
  at: string;
  /** true only for `tocsin test-connection`. */
  test: boolean;
  /** Somebody acknowledged the episode (status stays firing): when (ISO 8601) and by whom, when known. */
  acknowledged: { at: string; by: string | null } | null;
  /** The signed link that acknowledges this episode (docs/acknowledge.md), while it is firing and `ack:` is set. */
  ack_url: string | null;
}

export function alertDocument(p: DeliveryPayload, ackUrl?: string): AlertDocument {
  const shown = shownState(p);
  return {
    type: `alert.${shown}`,
    id: p.alertId,
    source: p.source,
    dedup_key: p.dedupKey,
    key: p.externalKey,
    status: p.status,
    title: p.title,
    description: p.description ?? null,
    severity: p.severity ?? null,
    labels: labelsOf({ source: p.source, severity: p.severity, metadata: p.metadata }),
    metadata: p.metadata,
    source_url: p.sourceUrl ?? null,
    episode: p.episode,
    at: new Date(p.at).toISOString(),
    test: p.test === true,
    acknowledged: shown === 'acknowledged' && p.acknowledged ? { at: new Date(p.acknowledged.at).toISOString(), by: p.acknowledged.by ?? null } : null,
    ack_url: shown === 'firing' ? (ackUrl ?? null) : null,
  };
}
