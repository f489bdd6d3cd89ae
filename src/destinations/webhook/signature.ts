/**
 * Standard Webhooks signing (standardwebhooks.com): headers `webhook-id`, `webhook-timestamp` (integer Unix seconds)
 * and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the secret's bytes — the base64
 * after `whsec_`. Receivers verify with any Standard Webhooks library.
 */
import { createHash, createHmac } from 'node:crypto';
import type { DeliveryPayload } from '../types.ts';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The HMAC key of a `whsec_<base64>` secret; undefined when it is not one (or is too short to be safe). */
export function parseSecret(secret: string): Buffer | undefined {
  if (!secret.startsWith('whsec_')) return undefined;
  const b64 = secret.slice('whsec_'.length);
  if (!BASE64.test(b64) || b64.length % 4 !== 0) return undefined;
  const key = Buffer.from(b64, 'base64');
  return key.length >= 24 && key.length <= 64 ? key : undefined;
}

export function sign(key: Buffer, id: string, timestampS: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64')}`;
}

/**
 * The `webhook-id` of one alert state: the same on every attempt at it, so a receiver that saw an attempt whose answer
 * was lost recognises the retry. A newer state that replaced a queued one (coalescing) is a different message and gets
 * a different id: a receiver deduplicating on the id must not drop it.
 */
export function messageId(p: DeliveryPayload): string {
  const h = createHash('sha256').update(`${p.alertId}\n${p.episode}\n${p.status}\n${p.at}`).digest('base64url');
  return `msg_${h.slice(0, 27)}`;
}

export function signedHeaders(key: Buffer, id: string, nowMs: number, body: string): Record<string, string> {
  const ts = Math.floor(nowMs / 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sign(key, id, ts, body) };
}
