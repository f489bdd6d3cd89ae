import type { JsonObject, JsonValue } from '../../domain/alert.ts';
import { stableStringify } from '../../domain/identity.ts';
import { hashKey, isObject } from './candidate.ts';

/**
 * Which fields of a payload with no id and no title say what the problem *is*, so that the same error reported again
 * (a new log line, a new timestamp, another pod of the same deployment) is the same alert, and a different error is
 * another. Documented in docs/sources.md ("versus": anything else); change both together.
 */

/** `@timestamp`, `request_id`, `requestId`, `Request-ID` all read as one name. */
const norm = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Keys whose value changes from one report of the same problem to the next: when it was seen, which request or
 * trace saw it, how many times, and which pod/container instance (replaced on every restart) logged it.
 */
const OCCURRENCE = new Set(
  [
    // when
    'date', 'time', 'timestamp', 'ts', 'datetime', 'eventtime', 'logtime', 'timelocal', 'createdat', 'updatedat',
    'receivedat', 'startsat', 'endsat', 'firstseen', 'lastseen', 'statechangetime', 'observedtimestamp',
    // which occurrence
    'id', 'requestid', 'reqid', 'traceid', 'spanid', 'eventid', 'messageid', 'correlationid', 'uuid', 'seq',
    'sequence', 'offset', 'count', 'counter', 'occurrences', 'pid', 'tid', 'threadid', 'duration', 'elapsed', 'latency',
    // which instance
    'podname', 'podid', 'podip', 'hostip', 'dockerid', 'containerid', 'containerhash', 'containerimage', 'imageid',
  ].map(norm),
);

/** What state the alert is in (a resolve must find its firing) and how it is to be handled: not what it is. */
const STATE = new Set(['status', 'state', 'alertstate', 'severity', 'level', 'loglevel', 'priority', 'oncallenable', 'oncallwaitminutes'].map(norm));

export const isOccurrenceKey = (key: string) => OCCURRENCE.has(norm(key));
export const isVolatileKey = (key: string) => isOccurrenceKey(key) || STATE.has(norm(key));

// Single-token values that identify an occurrence rather than a problem.
const TIMESTAMP = /^\d{4}[-/]\d{2}[-/]\d{2}([T ][\d:.,]+)?(Z|[+-]\d{2}:?\d{2})?$/i;
const NUMBER = /^[+-]?\d+([.,]\d+)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LONG_HEX = /^(sha\d*:)?[0-9a-f]{16,}$/i;
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Free text (anything with a space, or long) is compared with its variable parts masked. */
const FREE_TEXT_MIN = 65;
const MAX_TEXT = 2000;
const MAX_DEPTH = 4;
const MAX_FIELDS = 100;

/**
 * A log line or message with what varies between reports of the same error masked: every token holding a digit
 * (timestamps, request and trace ids, counters, durations, line numbers, IPs, pod names) becomes `#`.
 * `[2025/01/22 09:46:49] [ERROR] pool exhausted after 30s (req-7f3a)` → `[# #] [ERROR] pool exhausted after # (#)`.
 */
export function maskVariable(text: string): string {
  return text
    .slice(0, MAX_TEXT)
    .replace(/[^\s[\](){}<>"'`,;=|]+/g, (token) => (/\d/.test(token) ? '#' : token))
    .replace(/\s+/g, ' ')
    .trim();
}

/** A value's contribution to the identity; undefined when it identifies an occurrence, not a problem. */
function stableValue(v: unknown): JsonValue | undefined {
  if (typeof v === 'boolean') return v;
  // Numbers are measurements (a value, a count, a latency): a different reading is the same problem.
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s === '') return undefined;
  if (/\s/.test(s) || s.length >= FREE_TEXT_MIN) return maskVariable(s);
  if (TIMESTAMP.test(s) || NUMBER.test(s) || UUID.test(s) || LONG_HEX.test(s) || URL_LIKE.test(s)) return undefined;
  return s;
}

/**
 * Fluent Bit's Kubernetes filter describes the pod instance (name, uid, node, container id and image, annotations):
 * all replaced on a restart or a rollout. What survives them is the namespace, the container name and the labels
 * (minus the ones that are hashes of a revision).
 */
function kubernetesFields(k: Record<string, unknown>, prefix: string, out: JsonObject): void {
  for (const key of ['namespace_name', 'container_name']) {
    const v = stableValue(k[key]);
    if (v !== undefined) out[`${prefix}.${key}`] = v;
  }
  if (isObject(k.labels)) {
    for (const [name, value] of Object.entries(k.labels)) {
      if (/hash$|pod-name$/i.test(name)) continue;
      const v = stableValue(value);
      if (v !== undefined) out[`${prefix}.labels.${name}`] = v;
    }
  }
}

function collect(o: Record<string, unknown>, prefix: string, depth: number, out: JsonObject): void {
  for (const [key, value] of Object.entries(o)) {
    if (Object.keys(out).length >= MAX_FIELDS) return;
    if (isVolatileKey(key)) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (norm(key) === 'kubernetes' && isObject(value)) {
      kubernetesFields(value, path, out);
    } else if (isObject(value)) {
      if (depth < MAX_DEPTH) collect(value, path, depth + 1, out);
    } else if (Array.isArray(value)) {
      const kept = value.map(stableValue).filter((v): v is JsonValue => v !== undefined);
      if (kept.length) out[path] = kept;
    } else {
      const v = stableValue(value);
      if (v !== undefined) out[path] = v;
    }
  }
}

/** The fields the identity of a payload without an id or a title is made of (exported for tests and docs). */
export function identityFields(item: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  collect(item, '', 0, out);
  return out;
}

/** `auto:<hash>` of the identity fields: the same problem reported again gets the same key. */
export function stableIdentity(item: Record<string, unknown>): string {
  return hashKey('auto', stableStringify(identityFields(item)));
}

/** The top-level keys of a payload that change on every report: kept in metadata, not compared for an update. */
export const volatileKeys = (item: Record<string, unknown>): string[] => Object.keys(item).filter(isOccurrenceKey);
