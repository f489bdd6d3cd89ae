import type { JsonObject, JsonValue } from '../../domain/alert.ts';
import { messageOf, type LogEvent } from '../event.ts';

/**
 * One matched event as an alert's `metadata.data` keeps it: at most this many bytes of JSON, so `sample` of them (100 at
 * most) stay well inside incident.io's 512 KB per event.
 */
export const MAX_SAMPLE_BYTES = 2048;
const MAX_DEPTH = 6;
const MAX_ITEMS = 20;
const MAX_STRING = 1000;
const SHORT_STRING = 256;

/** Keys that would be a prototype, not data, should anything downstream assign them. */
const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function put(o: JsonObject, key: string, value: JsonValue) {
  o[key] = value;
}

function clone(v: unknown, depth: number): JsonValue | undefined {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') return cut(v, MAX_STRING);
  if (typeof v !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(v)) {
    const out: JsonValue[] = [];
    for (const item of v.slice(0, MAX_ITEMS)) out.push(clone(item, depth + 1) ?? null);
    if (v.length > MAX_ITEMS) out.push(`… ${v.length - MAX_ITEMS} more`);
    return out;
  }
  const out: JsonObject = {};
  let n = 0;
  for (const k of Object.keys(v)) {
    if (UNSAFE.has(k)) continue;
    if (n++ >= MAX_ITEMS * 2) break;
    const c = clone((v as Record<string, unknown>)[k], depth + 1);
    if (c !== undefined) put(out, k, c);
  }
  return out;
}

/**
 * A copy of a matched event fit to keep: plain JSON (no prototype keys), bounded depth and width, at most
 * MAX_SAMPLE_BYTES. An event too big for that keeps its message and its top-level scalars, as many as fit, and says
 * `_truncated: true`.
 */
export function sampleOf(event: LogEvent): JsonObject {
  const full = clone(event, 0) as JsonObject;
  if (JSON.stringify(full).length <= MAX_SAMPLE_BYTES) return full;
  const out: JsonObject = { _truncated: true };
  const message = messageOf(event);
  if (message) out.message = cut(message, SHORT_STRING * 2);
  let size = JSON.stringify(out).length;
  for (const [k, v] of Object.entries(full)) {
    if (k === 'message' || v === null || typeof v === 'object') continue;
    const value = typeof v === 'string' ? cut(v, SHORT_STRING) : v;
    const more = JSON.stringify(k).length + JSON.stringify(value).length + 2;
    if (size + more > MAX_SAMPLE_BYTES) break;
    put(out, k, value);
    size += more;
  }
  return out;
}
