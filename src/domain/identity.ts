import { createHash } from 'node:crypto';
import type { JsonValue } from './alert.ts';

/** incident.io gives no documented limit on deduplication_key; we keep keys under 255 so every store and UI takes them. */
export const MAX_EXTERNAL_KEY_LENGTH = 255;

/**
 * The key incident.io sees: namespaced by source so two sources never collide, byte-identical on every send of the
 * same alert (resolve only works with the exact firing key), hashed when it would be too long.
 */
export function externalDedupKey(source: string, dedupKey: string): string {
  const key = `${source}:${dedupKey}`;
  if (key.length <= MAX_EXTERNAL_KEY_LENGTH) return key;
  return `${source}:sha256:${createHash('sha256').update(dedupKey).digest('hex')}`;
}

/** JSON with sorted object keys, so equal content always hashes the same whatever order a source sent it in. */
export function stableStringify(value: JsonValue | undefined): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v)).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`).join(',')}}`;
}

export function contentHash(content: JsonValue): string {
  return createHash('sha256').update(stableStringify(content)).digest('base64url').slice(0, 22);
}
