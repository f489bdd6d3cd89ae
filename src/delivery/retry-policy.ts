/**
 * When to try again: exponential backoff with full jitter, never sooner than the server asked — nor later than
 * tocsin is willing to wait, and never past the delivery's max_retry_age. Pure.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, capMs: 5 * 60_000 };

/** Storage trouble (database locked, disk full): try again soon, and notice quickly when it clears. */
export const STORAGE_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 10_000 };

/**
 * The longest `Retry-After` honoured (`delivery.max_retry_after`). incident.io's own limits ask for seconds; a
 * server asking for hours or a year is misbehaving, and obeying it would stall the destination for as long.
 */
export const DEFAULT_MAX_RETRY_AFTER_MS = 10 * 60_000;

/** setTimeout's largest delay: a longer one fires after 1 ms instead, with a TimeoutOverflowWarning each time. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay setTimeout takes as meant: 0 for negative or NaN, at most MAX_TIMER_MS (callers wait again if needed). */
export function timerMs(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/** Delay before attempt `attempt + 1`, given `attempt` failed attempts so far (1-based). */
export function backoffMs(attempt: number, random: () => number, o: BackoffOptions = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(o.capMs, o.baseMs * 2 ** Math.max(0, attempt - 1));
  // Half fixed, half jitter: spreads a thundering herd without ever retrying immediately.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * `Retry-After` is documented by incident.io as seconds, but other tools (and incident.io's own terraform provider)
 * read it as an HTTP date: accept both. Returns milliseconds from `now` (possibly Infinity for an absurd number of
 * seconds: capRetryAfter bounds it), or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.ceil(Number(s) * 1000);
  // An HTTP date names its month; Date.parse alone would read `-5` or `2` as a year.
  if (!/[a-z]{3}/i.test(s)) return undefined;
  const at = Date.parse(s);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

export interface RetryAfter {
  /** What the server asked for. */
  askedMs: number;
  /** What tocsin will wait: the ask, at most `maxMs`. */
  waitMs: number;
  capped: boolean;
}

export function capRetryAfter(askedMs: number | undefined, maxMs: number): RetryAfter | undefined {
  if (askedMs === undefined || Number.isNaN(askedMs)) return undefined;
  const capped = askedMs > maxMs;
  return { askedMs, waitMs: capped ? maxMs : Math.max(0, askedMs), capped };
}

export function nextAttemptDelay(attempt: number, retryAfterMs: number | undefined, random: () => number, o?: BackoffOptions): number {
  const b = backoffMs(attempt, random, o);
  return retryAfterMs === undefined ? b : Math.max(retryAfterMs, Math.min(b, 1000));
}

export interface RetryInput {
  now: number;
  /** When the delivery was queued: max_retry_age counts from here. */
  createdAt: number;
  /** Failed attempts so far, this one included. */
  attempts: number;
  /** The server's Retry-After, already capped. */
  retryAfter: RetryAfter | undefined;
  maxRetryAgeMs: number;
  backoff: BackoffOptions;
  random: () => number;
}

export type RetryPlan = { kind: 'retry'; at: number } | { kind: 'give_up'; hint: string };

/**
 * Retry, or dead-letter now: a delivery whose next attempt would fall after max_retry_age is given up at once, with a
 * hint — waiting for an attempt that will never be allowed would leave it pending, unseen, for ever.
 */
export function planRetry(i: RetryInput): RetryPlan {
  const age = formatDuration(i.maxRetryAgeMs);
  const deadline = i.createdAt + i.maxRetryAgeMs;
  if (i.now > deadline) {
    return { kind: 'give_up', hint: `Gave up after retrying for ${age} (delivery.max_retry_age). Retry it once the destination is reachable.` };
  }
  const delay = nextAttemptDelay(i.attempts, i.retryAfter?.waitMs, i.random, i.backoff);
  if (i.now + delay <= deadline) return { kind: 'retry', at: i.now + delay };
  const asked = i.retryAfter && i.retryAfter.waitMs >= delay ? `incident.io asked to wait ${formatDuration(i.retryAfter.askedMs)} (Retry-After)` : `the next retry would be in ${formatDuration(delay)}`;
  return {
    kind: 'give_up',
    hint: `Gave up: ${asked}, past delivery.max_retry_age (${age} after it was queued). Retry it once the destination accepts again.`,
  };
}

/** `450 ms`, `30 s`, `10 min`, `1.5 h`, `365 d`: for hints and log lines people read. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'for ever';
  const round = (n: number) => String(Math.round(n * 10) / 10);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${round(ms / 1000)} s`;
  if (ms < 2 * 3_600_000) return `${round(ms / 60_000)} min`;
  if (ms < 2 * 86_400_000) return `${round(ms / 3_600_000)} h`;
  return `${round(ms / 86_400_000)} d`;
}
