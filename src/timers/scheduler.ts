import type { Logger } from 'pino';
import type { HolderId } from '../cluster/holder.ts';
import { Lease } from '../cluster/lease.ts';
import type { Clock } from '../domain/clock.ts';
import { backoffMs, STORAGE_BACKOFF } from '../delivery/retry-policy.ts';
import { Waits } from '../delivery/waits.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { Db } from '../storage/schema.ts';
import type { TimerContext, TimerTask } from './task.ts';

export interface SchedulerOptions {
  db: Db;
  commits: GroupCommit;
  clock: Clock;
  logger: Logger;
  holder: HolderId;
  leaseTtlMs: number;
  /** How late a due timer may fire at most (and how soon a newly scheduled one is noticed). */
  pollIntervalMs: number;
  /** The destinations configured now: an escalation to one that is gone queues an orphaned row, kept until it is back. */
  configured: () => ReadonlySet<string>;
  /** Rows were queued for these destinations: their senders should look now. */
  wake: (destinations: Iterable<string>) => void;
  /** The timer tasks, in the order they run each tick (read every tick: a reload may change them). */
  tasks: () => readonly TimerTask[];
}

/** The lease under which timers run: one instance fires every due timer, once, whatever the number of instances. */
export const SCHEDULER_LEASE = 'scheduler';

/**
 * Durable timers (`timers/*-task.ts`): due times are rows in the database, so a restart neither loses nor repeats one.
 * Every instance runs this loop, but only the holder of the `scheduler` lease fires anything, each transaction fenced
 * by that lease — so a timer fires once per due time across the cluster. Each task gets its own transactions: one
 * failing never holds up the others.
 */
export class Scheduler {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly waits = new Waits();
  readonly lease: Lease;

  constructor(private readonly o: SchedulerOptions) {
    this.lease = new Lease({
      db: o.db,
      commits: o.commits,
      clock: o.clock,
      logger: o.logger,
      name: SCHEDULER_LEASE,
      me: o.holder,
      ttlMs: o.leaseTtlMs,
      onLost: () => {
        this.waits.wake();
        void this.stopTasks();
      },
    });
  }

  start(): void {
    this.running = true;
    this.waits.reset();
    this.loop = this.run();
  }

  /** Something was scheduled: look now rather than at the next poll. */
  poke(): void {
    this.waits.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.waits.abort();
    await this.loop;
    await this.stopTasks();
    await this.lease.release();
  }

  private async stopTasks(): Promise<void> {
    for (const t of this.o.tasks()) {
      try {
        await t.stop?.();
      } catch (e) {
        this.o.logger.warn({ err: e, task: t.name }, 'a timer task did not stop cleanly');
      }
    }
  }

  private context(now: number): TimerContext {
    return {
      now,
      db: this.o.db,
      logger: this.o.logger,
      configured: this.o.configured(),
      fenced: (fn) => this.o.commits.run(async (tx) => ((await this.lease.fence(tx)) ? { v: await fn(tx) } : undefined)).then((r) => r?.v),
    };
  }

  private async run(): Promise<void> {
    const { clock, logger } = this.o;
    let failures = 0;
    while (this.running) {
      try {
        if (!this.lease.held() && !(await this.lease.acquire())) {
          await this.waits.sleep(Math.max(100, Math.floor(this.o.leaseTtlMs / 4)));
          continue;
        }
        let more = false;
        let failed: unknown;
        const tasks = this.o.tasks();
        for (const task of tasks) {
          if (!this.running || !this.lease.held()) break;
          try {
            const r = await task.tick(this.context(clock.now()));
            if (r?.woken) this.o.wake(r.woken);
            if (r?.more) more = true;
          } catch (e) {
            failed ??= e;
            logger.error({ err: e, task: task.name }, 'a timer task failed; it runs again at the next tick (due timers fire late, never lost)');
          }
        }
        if (failed) throw failed;
        failures = 0;
        if (more) continue;
        let next = clock.now() + this.o.pollIntervalMs;
        for (const task of tasks) {
          const at = await task.nextDueAt?.(this.o.db, clock.now());
          if (at !== undefined && at < next) next = at;
        }
        await this.waits.sleep(Math.max(0, next - clock.now()));
      } catch (e) {
        failures++;
        const wait = backoffMs(failures, Math.random, STORAGE_BACKOFF);
        logger.error({ err: e, failures, retry_in_ms: wait }, 'scheduler cannot use storage; retrying (due timers fire late, never lost)');
        await this.waits.nap(wait);
      }
    }
  }
}
