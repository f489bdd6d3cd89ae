import type { JsonObject } from '../../domain/alert.ts';
import type { LogEvent } from '../event.ts';
import type { Rule } from './config.ts';
import { sampleOf } from './sample.ts';

/**
 * The in-memory state of one alert a rule can raise (one per group value): what matched since the alert was last
 * sent, and whether it is open. Pure: time comes in as `now`; the engine owns the timers.
 *
 * - Closed: matches are counted until `count` of them fall within `windowMs` (a sliding window: the times of the last
 *   `count` matches); then the alert fires at once, in the request that met the threshold.
 * - Open (fired, and the last match less than `quietMs` ago): matches are only counted; the engine sends one update
 *   per window at most (`flush`), never one event per log line.
 * - No match for `quietMs`: the alert event's own time to live resolves it in the database (durable, the scheduler's
 *   job); here the instance simply counts as closed again.
 */
export class RuleWindow {
  /** Times of the most recent matches, as a ring of `rule.count` slots (the sliding threshold). */
  private hits: number[];
  private next = 0;
  /** Matches since the alert was last sent (or, while closed, since the tally started). */
  matched = 0;
  samples: JsonObject[] = [];
  private tallySince = 0;
  open = false;
  lastMatchAt = 0;
  lastSentAt = 0;
  /** The alert's title, rendered from the event that opened it and kept for the episode (a title change is an update). */
  title = '';

  constructor(
    public rule: Rule,
    readonly key: string,
    readonly group: Readonly<Record<string, string>> | undefined,
  ) {
    this.hits = new Array<number>(rule.count).fill(-Infinity);
  }

  /** The rule as a reload redefined it (same name, same alerts); a new threshold starts its count again. */
  adopt(rule: Rule): void {
    if (rule === this.rule) return;
    if (rule.count !== this.rule.count) {
      this.hits = new Array<number>(rule.count).fill(-Infinity);
      this.next = 0;
    }
    this.rule = rule;
  }

  /** Still open at `now`: fired, and matched within the quiet time (else its time to live has run out). */
  isOpen(now: number): boolean {
    return this.open && now - this.lastMatchAt < this.rule.quietMs;
  }

  /**
   * One match at `now`. `fire`: the alert is to be sent now (the threshold was just met on a closed alert); `pending`:
   * counted toward the next update of an open alert; `held`: below the threshold.
   * The event is copied only while a sample is still wanted (copying costs).
   */
  match(now: number, event: LogEvent): 'fire' | 'pending' | 'held' {
    return this.record(now, () => sampleOf(event));
  }

  /**
   * `match` for a match read elsewhere (a worker thread, src/logs/pool/): `sample` gives its copy, already made, or
   * undefined when none was kept for it; it is called only while a sample is still wanted.
   */
  record(now: number, sample: () => JsonObject | undefined): 'fire' | 'pending' | 'held' {
    const wasOpen = this.isOpen(now);
    this.lastMatchAt = now;
    if (!wasOpen) {
      this.open = false;
      // A tally older than the window no longer says anything about the threshold: start it again.
      if (now - this.tallySince > this.rule.windowMs) this.reset(now);
    }
    this.matched++;
    if (this.samples.length < this.rule.sample) {
      const copy = sample();
      if (copy) this.samples.push(copy);
    }
    if (wasOpen) return 'pending';
    this.hits[this.next] = now;
    this.next = (this.next + 1) % this.hits.length;
    // The oldest of the last `count` matches is the slot about to be overwritten.
    if (now - this.hits[this.next]! > this.rule.windowMs) return 'held';
    this.open = true;
    return 'fire';
  }

  /** What to send (the matches since the last send) and the tally started again. */
  take(now: number): { matched: number; samples: JsonObject[] } {
    const out = { matched: this.matched, samples: this.samples };
    this.lastSentAt = now;
    this.reset(now);
    return out;
  }

  /** A send that failed: its matches go back into the tally, so the next update reports them. */
  giveBack(taken: { matched: number; samples: JsonObject[] }): void {
    this.matched += taken.matched;
    this.samples = [...taken.samples, ...this.samples].slice(0, this.rule.sample);
  }

  /** The alert could not be sent: closed again (the next match fires it), its matches kept. */
  unfire(taken: { matched: number; samples: JsonObject[] }): void {
    this.open = false;
    this.giveBack(taken);
  }

  /** When the next update may go out. */
  dueAt(): number {
    return this.lastSentAt + this.rule.windowMs;
  }

  /** Nothing left to do or remember: closed, and nothing that could still meet the threshold. */
  idle(now: number): boolean {
    return !this.isOpen(now) && (this.matched === 0 || now - this.lastMatchAt > this.rule.windowMs);
  }

  private reset(now: number) {
    this.matched = 0;
    this.samples = [];
    this.tallySince = now;
  }
}
