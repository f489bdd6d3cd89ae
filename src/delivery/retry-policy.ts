/**
 * When to try again: exponential backoff with full jitter, never sooner than the server asked. Pure.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, capMs: 5 * 60_000 };

/** Storage trouble (database locked, disk full): try again soon, and notice quickly when it clears. */
export const STORAGE_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 10_000 };

/** Delay before attempt `attempt + 1`, given `attempt` failed attempts so far (1-based). */
export function backoffMs(attempt: number, random: () => number, o: BackoffOptions = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(o.capMs, o.baseMs * 2 ** Math.max(0, attempt - 1));
  // Half fixed, half jitter: spreads a thundering herd without ever retrying immediately.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * `Retry-After` is documented by incident.io as seconds, but other tools (and incident.io's own terraform provider)
 * read it as an HTTP date: accept both. Returns milliseconds from `now`, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.ceil(Number(s) * 1000);
  const at = Date.parse(s);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

export function nextAttemptDelay(attempt: number, retryAfterMs: number | undefined, random: () => number, o?: BackoffOptions): number {
  const b = backoffMs(attempt, random, o);
  return retryAfterMs === undefined ? b : Math.max(retryAfterMs, Math.min(b, 1000));
}
