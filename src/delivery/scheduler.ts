import type { Logger } from 'pino';
import type { HolderId } from '../cluster/holder.ts';
import { Lease } from '../cluster/lease.ts';
import { fireDueEscalations } from '../core/escalate.ts';
import { resolveStale } from '../core/ttl.ts';
import type { Clock } from '../domain/clock.ts';
import { nextEscalationAt } from '../storage/escalations-repo.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { Db } from '../storage/schema.ts';
import { backoffMs, STORAGE_BACKOFF } from './retry-policy.ts';
import { Waits } from './waits.ts';

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
  /** The sources in force, for `resolve_after`. */
  sources: () => readonly { name: string; resolveAfterMs?: number | undefined }[];
}

/** The lease under which timers run: one instance fires every due timer, once, whatever the number of instances. */
export const SCHEDULER_LEASE = 'scheduler';

/**
 * Durable timers (escalation steps, and `resolve_after` for sources that never resolve): due times are rows in the
 * database (a step's due_at, an alert's last_event_at), so a restart neither loses nor repeats one. Every instance runs this loop, but only the holder of the `scheduler` lease fires anything, each
 * batch in a transaction fenced by that lease — so a timer fires once per due time across the cluster.
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
      onLost: () => this.waits.wake(),
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
    await this.lease.release();
  }

  private async run(): Promise<void> {
    const { clock, logger, commits } = this.o;
    let failures = 0;
    while (this.running) {
      try {
        if (!this.lease.held() && !(await this.lease.acquire())) {
          await this.waits.sleep(Math.max(100, Math.floor(this.o.leaseTtlMs / 4)));
          continue;
        }
        const now = clock.now();
        const r = await commits.run(async (tx) => {
          if (!(await this.lease.fence(tx))) return undefined;
          const steps = await fireDueEscalations(tx, now, this.o.configured());
          return { ...steps, ttl: await resolveStale(tx, now, this.o.sources(), this.o.configured()) };
        });
        failures = 0;
        if (r && (r.fired || r.cancelled || r.ttl.resolved)) {
          if (r.fired) logger.info({ steps: r.fired, destinations: [...r.woken] }, 'escalation steps fired: not acknowledged in time');
          if (r.cancelled) logger.info({ steps: r.cancelled }, 'escalation steps cancelled: acknowledged or resolved before they were due');
          if (r.ttl.resolved) logger.info({ alerts: r.ttl.resolved }, 'alerts resolved by resolve_after: no new event from their source for that long');
          this.o.wake([...r.woken, ...r.ttl.woken]);
          if (r.fired + r.cancelled >= 100 || r.ttl.resolved >= 100) continue;
        }
        const next = await nextEscalationAt(this.o.db);
        await this.waits.sleep(next === undefined ? this.o.pollIntervalMs : Math.max(0, Math.min(this.o.pollIntervalMs, next - clock.now())));
      } catch (e) {
        failures++;
        const wait = backoffMs(failures, Math.random, STORAGE_BACKOFF);
        logger.error({ err: e, failures, retry_in_ms: wait }, 'scheduler cannot use storage; retrying (due timers fire late, never lost)');
        await this.waits.nap(wait);
      }
    }
  }
}
