/**
 * tocsin's alert document: what a `webhook` destination posts by default, and the input of its JSONata template.
 * Every key is always present (absent values are null), so receivers and templates can rely on the shape.
 * docs/destinations.md documents it; change both together.
 */
import type { JsonObject } from '../../domain/alert.ts';
import { labelsOf } from '../../domain/labels.ts';
import type { DeliveryPayload } from '../types.ts';

export interface AlertDocument {
  /** `alert.firing` or `alert.resolved` (the Standard Webhooks convention of a dotted event type). */
  type: 'alert.firing' | 'alert.resolved';
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
}

export function alertDocument(p: DeliveryPayload): AlertDocument {
  return {
    type: p.status === 'resolved' ? 'alert.resolved' : 'alert.firing',
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
  };
}
