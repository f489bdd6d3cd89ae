import * as crypto from 'node:crypto';
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

/**
 * JSON with sorted object keys, so equal content always hashes the same whatever order a source sent it in. (Built
 * by appending: it runs for every event, and its output is what stored hashes were made from, so it must not change.)
 */
export function stableStringify(value: JsonValue | undefined): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + stableStringify(value[i]);
    return `${out}]`;
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) out += `${i ? ',' : ''}${JSON.stringify(keys[i])}:${stableStringify(value[keys[i]!])}`;
  return `${out}}`;
}

/** One-shot hashing (Node ≥ 20.12) skips a Hash object per call; the same digest either way. */
const sha256 = typeof crypto.hash === 'function' ? (s: string) => crypto.hash('sha256', s, 'base64url') : (s: string) => createHash('sha256').update(s).digest('base64url');

export function contentHash(content: JsonValue): string {
  return sha256(stableStringify(content)).slice(0, 22);
}
