/**
 * Remembers whether a destination is in an episode of over-long `Retry-After` answers (longer than
 * delivery.max_retry_after), so that the log says so once when it starts and once when it ends — not once per
 * answer, and never once per loop. OverlongWaits is pure; RetryAfterCap adds the log lines.
 */
import type { Logger } from 'pino';
import type { SendOutcome } from '../destinations/types.ts';
import { capRetryAfter, formatDuration, type RetryAfter } from './retry-policy.ts';

export type OverlongChange = { kind: 'began' } | { kind: 'ended'; capped: number; sinceMs: number };

export class OverlongWaits {
  private since: number | undefined;
  private capped = 0;

  get active(): boolean {
    return this.since !== undefined;
  }

  /**
   * One answer from the destination. `startedAt` is when its request was sent: an answer to a request sent before
   * the episode began says nothing about whether it is over (with several requests in flight, an older one may still
   * come back 202 after the first capped 429), so only later requests can end it.
   */
  observe(answer: { startedAt: number; now: number; capped: boolean }): OverlongChange | undefined {
    if (answer.capped) {
      this.capped += 1;
      if (this.since !== undefined) return undefined;
      this.since = answer.now;
      return { kind: 'began' };
    }
    if (this.since === undefined || answer.startedAt < this.since) return undefined;
    const change: OverlongChange = { kind: 'ended', capped: this.capped, sinceMs: answer.now - this.since };
    this.since = undefined;
    this.capped = 0;
    return change;
  }
}

/** The worker's side: caps each answer's Retry-After and logs the start and end of an episode of capping. */
export class RetryAfterCap {
  private readonly episodes = new OverlongWaits();

  constructor(
    private readonly maxMs: number,
    private readonly logger: Logger,
  ) {}

  apply(destination: string, outcome: SendOutcome, startedAt: number, now: number): RetryAfter | undefined {
    const retryAfter = outcome.kind === 'retry' ? capRetryAfter(outcome.retryAfterMs, this.maxMs) : undefined;
    const capped = retryAfter?.capped === true;
    // A network error or timeout says nothing about how long the server wants us to wait: it neither starts nor ends.
    if (!capped && outcome.statusCode === undefined) return retryAfter;
    const change = this.episodes.observe({ startedAt, now, capped });
    if (change?.kind === 'began') {
      const asked = retryAfter!.askedMs;
      this.logger.warn(
        { destination, http: outcome.statusCode, retry_after_ms: Number.isFinite(asked) ? asked : null, waiting_ms: this.maxMs },
        `the destination asked to wait ${formatDuration(asked)} (Retry-After); waiting ${formatDuration(this.maxMs)} instead (delivery.max_retry_after). Logged again only once it asks for less`,
      );
    } else if (change?.kind === 'ended') {
      this.logger.info(
        { destination, capped_answers: change.capped, lasted_ms: change.sinceMs },
        'the destination no longer asks to wait longer than delivery.max_retry_after',
      );
    }
    return retryAfter;
  }
}
