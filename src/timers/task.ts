import type { Logger } from 'pino';
import type { Db, Tx } from '../storage/schema.ts';

/** What a timer task gets on each tick of the scheduler. */
export interface TimerContext {
  now: number;
  db: Db;
  logger: Logger;
  /** The destinations configured now: a row for one that is gone is queued orphaned, kept until it is back. */
  configured: ReadonlySet<string>;
  /**
   * Runs `fn` in a transaction fenced by the scheduler lease (group commit). Undefined when the lease was lost: then
   * nothing was written and the task should stop this tick. Keep transactions short: no network I/O inside.
   */
  fenced<T>(fn: (tx: Tx) => Promise<T>): Promise<T | undefined>;
}

export interface TimerOutcome {
  /** Destinations that got rows: their senders are woken at once. */
  woken?: Iterable<string>;
  /** More is due now (a batch limit was hit): tick again without sleeping. */
  more?: boolean;
}

/**
 * One kind of durable timer (escalation steps, resolve_after, silences ending, heartbeats, scheduled queries …).
 * Due times live in the database, so a restart neither loses nor repeats one; the scheduler runs every task on the
 * instance holding the `scheduler` lease only. A tick must not block for long (the other tasks wait for it): work
 * that takes seconds (a query against another database) is started in the background and recorded under `fenced`.
 */
export interface TimerTask {
  readonly name: string;
  tick(ctx: TimerContext): Promise<TimerOutcome | undefined>;
  /** The earliest due time this task knows of, so the scheduler sleeps until then rather than a full poll interval. */
  nextDueAt?(db: Db, now: number): Promise<number | undefined>;
  /** The scheduler stopped (or lost its lease): stop background work. */
  stop?(): Promise<void> | void;
}
