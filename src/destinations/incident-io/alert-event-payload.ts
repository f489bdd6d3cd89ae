import type { JsonObject, JsonValue } from '../../domain/alert.ts';
import type { DeliveryPayload } from '../types.ts';
import { MAX_BODY_BYTES, type AlertEventPayload } from './contract.ts';

/** Room under incident.io's 512 KB for headers and our own estimate's slack. */
const BUDGET = MAX_BODY_BYTES - 16 * 1024;
const MAX_DESCRIPTION = 60_000;

function cap(value: JsonValue, maxString: number, maxItems: number, depth = 0): JsonValue {
  if (typeof value === 'string') return value.length > maxString ? `${value.slice(0, maxString)}…` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[nested too deep]';
  if (Array.isArray(value)) return value.slice(0, maxItems).map((v) => cap(v, maxString, maxItems, depth + 1));
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value).slice(0, maxItems)) out[k] = cap(v, maxString, maxItems, depth + 1);
  return out;
}

const bytes = (p: AlertEventPayload) => Buffer.byteLength(JSON.stringify(p));

/**
 * What tocsin adds to an event's metadata. Each key only fills a gap: the sender's metadata wins, then the
 * destination's configured `metadata`, then these. `tocsin_source` and `tocsin_severity` always hold tocsin's own
 * values (unless a sender used those very names), so an incident.io attribute can be bound to them whatever the
 * senders call their keys; plain `source` and `severity` are kept for the many alert sources already bound to them.
 */
function additions(p: DeliveryPayload, ackUrl: string | undefined): JsonObject {
  const a: JsonObject = { source: p.source, tocsin_source: p.source };
  if (p.severity) {
    a.severity = p.severity;
    a.tocsin_severity = p.severity;
  }
  // metadata takes any JSON (CONTRACT.md): the link that stops tocsin's escalation, for a responder in incident.io.
  if (ackUrl) a.tocsin_ack_url = ackUrl;
  return a;
}

/** The cut is said in `tocsin_truncated`, unless the sender's metadata already has that key. */
const marked = (m: JsonObject): JsonObject => ('tocsin_truncated' in m ? m : { ...m, tocsin_truncated: true });

/**
 * The alert event body exactly as incident.io's schema has it: optional keys left out rather than null, and
 * never over 512 KB — metadata is cut step by step and the cut is said in `tocsin_truncated`. The sender's
 * metadata is sent as the sender gave it: no key of it is ever replaced (see {@link additions}).
 */
export function buildAlertEvent(p: DeliveryPayload, configured: JsonObject, ackUrl?: string): AlertEventPayload {
  const added = additions(p, ackUrl);
  // tocsin's keys first: capping keeps the first keys of an object, so they survive a cut.
  const metadata: JsonObject = { ...added, ...configured, ...p.metadata };
  const body: AlertEventPayload = { title: p.title, status: p.status, deduplication_key: p.externalKey, metadata };
  let truncated = false;
  if (p.description) {
    truncated = p.description.length > MAX_DESCRIPTION;
    body.description = truncated ? `${p.description.slice(0, MAX_DESCRIPTION)}…` : p.description;
  }
  if (p.sourceUrl) body.source_url = p.sourceUrl;
  if (bytes(body) <= BUDGET && !truncated) return body;
  for (const [maxString, maxItems] of [
    [10_000, 200],
    [1_000, 50],
    [200, 20],
  ] as const) {
    body.metadata = marked(cap(metadata, maxString, maxItems) as JsonObject);
    if (bytes(body) <= BUDGET) return body;
  }
  // Last resort: keep what routing in incident.io most likely uses, with the values the merge gave them.
  const kept: JsonObject = {};
  for (const key of Object.keys(added)) kept[key] = metadata[key]!;
  body.metadata = marked(cap(kept, 200, 20) as JsonObject);
  if (body.description && bytes(body) > BUDGET) body.description = `${body.description.slice(0, 10_000)}…`;
  if (bytes(body) > BUDGET) body.title = `${body.title.slice(0, 1_000)}…`;
  return body;
}
