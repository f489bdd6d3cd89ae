import type { Logger } from 'pino';
import type { HolderId } from '../cluster/holder.ts';
import type { Config } from '../config/load.ts';
import type { Clock } from '../domain/clock.ts';
import { ackLinkFor } from '../ack/token.ts';
import { DEFAULT_STORM, pendingLinks } from '../domain/storm.ts';
import type { Destination } from '../destinations/types.ts';
import { outcomeSubscribers } from './outcome-events.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { Db } from '../storage/schema.ts';
import { StormWatch, type StormObserver } from './storm.ts';
import { DestinationWorker, type DeliveryObserver } from './worker.ts';

export interface SendersOptions {
  db: Db;
  commits: GroupCommit;
  clock: Clock;
  logger: Logger;
  observer: DeliveryObserver & StormObserver;
  holder: HolderId;
  newId: () => string;
  /** The config in force (reloads replace it). */
  config: () => Config;
  /** Where the management API answers, for the storm summary's link. */
  apiBase: () => string;
}

/**
 * Every destination's sender: its delivery worker (which holds the destination's lease among the instances) and the
 * storm watch beside it. Started with the app, and changed by reloads: removed destinations stop, kept ones take
 * their new settings, new ones start.
 */
export class Senders {
  private readonly workers = new Map<string, DestinationWorker>();
  private readonly storms = new Map<string, StormWatch>();

  constructor(private readonly o: SendersOptions) {}

  /**
   * Something was queued for these destinations: look at their queues now. `counts`, how many one request queued
   * for each: one that alone is past a destination's storm bound (an Alertmanager group of hundreds of alerts) has
   * its storm decided before the sender starts, so the summary goes first rather than behind a burst of alerts.
   */
  wake(names: Iterable<string>, counts?: ReadonlyMap<string, number>): void {
    for (const n of names) {
      const worker = this.workers.get(n);
      const storm = this.storms.get(n);
      if (storm && storm.wouldStart(counts?.get(n) ?? 0)) void storm.lookNow().finally(() => worker?.wake());
      else {
        worker?.wake();
        storm?.poke();
      }
    }
  }

  /** The destinations of a (re)loaded config: stop the ones gone, update the ones kept, start the new ones. */
  async apply(destinations: ReadonlyMap<string, Destination>): Promise<void> {
    for (const [name, w] of this.workers) {
      if (destinations.has(name)) continue;
      await this.storms.get(name)?.stop();
      this.storms.delete(name);
      await w.stop();
      this.workers.delete(name);
    }
    for (const d of destinations.values()) {
      const w = this.workers.get(d.name);
      if (w) {
        w.replace(d);
        this.storms.get(d.name)?.replace(this.stormTarget(d));
      } else await this.start(d);
    }
  }

  /** The destinations whose messages show an acknowledgement (Destination.updatesOnAcknowledge). */
  updatingOnAcknowledge(): Set<string> {
    return new Set([...this.workers].filter(([, w]) => w.updatesOnAcknowledge()).map(([name]) => name));
  }

  /** Stops every sender: each waits for its sends in flight, then lets its lease go. */
  async stop(): Promise<void> {
    await Promise.all([...this.storms.values()].map((s) => s.stop()));
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
  }

  private stormTarget(d: Destination) {
    return { name: d.name, rateLimit: d.rateLimit, settings: this.o.config().destinations.get(d.name)?.storm ?? DEFAULT_STORM };
  }

  private async start(destination: Destination): Promise<void> {
    const { db, commits, clock, logger, observer } = this.o;
    const config = this.o.config();
    const w = new DestinationWorker({
      db,
      commits,
      destination,
      clock,
      random: Math.random,
      logger: logger.child({ component: 'delivery' }),
      observer,
      concurrency: config.delivery.concurrency,
      maxRetryAgeMs: config.delivery.maxRetryAgeMs,
      maxRetryAfterMs: config.delivery.maxRetryAfterMs,
      pollIntervalMs: config.delivery.pollIntervalMs,
      backoff: config.delivery.backoff,
      holder: this.o.holder,
      leaseTtlMs: config.cluster.leaseTtlMs,
      // Webhooks with `on:` (delivery outcome events), from the config in force at each outcome.
      outcomeSubscribers: () => outcomeSubscribers(this.o.config().destinations),
      wakeOthers: (names) => this.wake(names),
      // Read at each send: a reload that sets or changes `ack:` applies to the next message.
      ackLink: (p) => ackLinkFor(this.o.config().ack, p),
      beforeClaim: () => this.storms.get(destination.name)?.urgentLook(),
      // Kept while refresh_after is off too: a reload that turns it on then finds what is already firing there.
      refreshes: () => 'refresh_after' in (this.o.config().destinations.get(destination.name)?.config ?? {}),
    });
    this.workers.set(destination.name, w);
    await w.start();
    // Storm mode watches the same queue; its summary is sent by the worker above, within the same rate limit.
    const s = new StormWatch(
      {
        db,
        commits,
        clock,
        logger: logger.child({ component: 'storm' }),
        observer,
        newId: this.o.newId,
        links: (name) => pendingLinks(this.o.apiBase(), name),
        wake: () => w.wake(),
        // The summary is the sender's business: only the instance holding the destination's lease keeps it.
        holding: () => w.lease.held(),
      },
      this.stormTarget(destination),
    );
    this.storms.set(destination.name, s);
    s.start();
  }
}
