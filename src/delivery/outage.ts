/**
 * A destination that is down as a whole — connection refused or reset, timeouts, 5xx — fails every row the same way.
 * Trying each queued row once before backing off cost a 90,000-row backlog a core for minutes (every row one
 * refused connection, one database write, one log line) and told nobody more than the first failure had. So the
 * first such failure marks the destination down: the worker sends one row at a time (a probe), paused between probes
 * by the retry backoff (capped, so recovery is noticed within seconds), and it is up again at the first answer that
 * is not an outage — delivered, or refused with a 4xx (the destination is up; that row is the problem). A probe that
 * fails is retried on its own schedule, so the next probe is usually another row. Pure: the caller owns the clock and
 * the waiting.
 */
import { backoffMs, type BackoffOptions } from './retry-policy.ts';
import type { SendOutcome } from '../destinations/types.ts';

/** The longest pause between probes: an outage's end is noticed within this, whatever retry_max_delay says. */
export const MAX_PROBE_PAUSE_MS = 30_000;

export type OutageChange =
  | { kind: 'none' }
  /** The destination just went down, or a probe failed: wait `pauseMs` before the next one. */
  | { kind: 'down'; pauseMs: number; first: boolean }
  | { kind: 'up'; downForMs: number };

/** 429 is not here: it is a rate limit with its own pause (Retry-After), not an outage. */
export function isOutage(outcome: SendOutcome): boolean {
  if (outcome.kind !== 'retry') return false;
  const s = outcome.statusCode;
  return s === undefined || s === 408 || s >= 500;
}

export class OutageGate {
  private failures = 0;
  private since = 0;

  constructor(
    private readonly backoff: () => BackoffOptions,
    private readonly random: () => number,
  ) {}

  get down(): boolean {
    return this.failures > 0;
  }

  /**
   * One attempt's outcome, with when it was started. Sends already in flight when the destination went down fail
   * too; they are one failure, not one each, or the pause would jump by the concurrency at once.
   */
  observe(outcome: SendOutcome, started: number, now: number): OutageChange {
    if (!isOutage(outcome)) {
      if (!this.down || outcome.kind === 'retry') return { kind: 'none' };
      const downForMs = now - this.since;
      this.failures = 0;
      return { kind: 'up', downForMs };
    }
    const first = !this.down;
    if (first) this.since = now;
    else if (started < this.since) return { kind: 'none' };
    this.failures++;
    const b = this.backoff();
    return { kind: 'down', first, pauseMs: backoffMs(this.failures, this.random, { baseMs: b.baseMs, capMs: Math.min(b.capMs, MAX_PROBE_PAUSE_MS) }) };
  }
}
