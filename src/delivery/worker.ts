import type { JsonObject } from '../domain/alert.ts';
import type { Destination, DeliveryPayload, SendContext, SendOutcome } from '../destinations/types.ts';
import type { Lease } from '../cluster/lease.ts';
import { claimDeliveries, nextDueAt, requeueRows } from '../storage/deliveries-claim.ts';
import { reviveOrphans } from '../storage/destinations-repo.ts';
import { attemptsSince, earlierAttemptMayHaveLanded, loadDestinationState } from '../storage/deliveries-repo.ts';
import type { DeliveryRow } from '../storage/schema.ts';
import { withoutAckToken } from '../ack/token.ts';
import { RetryAfterCap } from './overlong-waits.ts';
import { recordOutcome } from './record.ts';
import { senderLease } from './sender-lease.ts';
import { OutageGate } from './outage.ts';
import { tellOutage } from './outage-log.ts';
import { persistUntilStored } from './persist.ts';
import type { WorkerOptions } from './worker-options.ts';
import { backoffMs, DEFAULT_MAX_RETRY_AFTER_MS, STORAGE_BACKOFF } from './retry-policy.ts';
import { TokenBucket } from './token-bucket.ts';
import { Waits } from './waits.ts';

export type { DeliveryObserver, WorkerOptions } from './worker-options.ts';

/**
 * One loop per destination (DESIGN.md): it alone talks to the destination, so the rate limit and per-alert order
 * hold. Across instances sharing a database, only the holder of the destination's lease sends; the others stand by
 * and take over when it stops renewing (cluster/lease.ts). Claims and outcomes are fenced by the lease, so an
 * instance that was taken over writes nothing more. It claims only as many rows as it has tokens for, so rows
 * waiting on the rate limit stay pending and keep coalescing instead of sitting in flight with stale payloads.
 *
 * Storage can fail under it (database locked, disk full). Then it backs off and tries again; an outcome it could
 * not record is kept in memory and recorded once storage is back. If the process stops first, the row is still in
 * flight in the database and is sent again after the restart, with the same key: at least once, never lost.
 */
export class DestinationWorker {
  private destination: Destination;
  private bucket: TokenBucket | undefined;
  private running = false;
  private inFlight = new Set<Promise<void>>();
  private pausedUntil = 0;
  private readonly outage: OutageGate;
  private loop: Promise<void> | undefined;
  /** stop() ends every wait, the storage backoffs of sends still in flight too. */
  private readonly waits = new Waits();
  private readonly retryAfterCap: RetryAfterCap;
  readonly lease: Lease;
  /** Rows claimed but not sent because the lease lapsed first: put back in the queue if the tenure resumes. */
  private readonly unsent = new Set<number>();
  private orphansCheckedAt = 0;

  constructor(private readonly o: WorkerOptions) {
    this.destination = o.destination;
    this.retryAfterCap = new RetryAfterCap(o.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS, o.logger);
    this.outage = new OutageGate(() => this.o.backoff, o.random);
    this.lease = senderLease({
      db: o.db,
      commits: o.commits,
      clock: o.clock,
      logger: o.logger,
      holder: o.holder,
      ttlMs: o.leaseTtlMs,
      destination: () => this.destination,
      onNewTenure: () => this.unsent.clear(),
      onHeld: (held, tookOver) => o.observer.senderState?.(this.name, held, tookOver),
      onLost: () => this.wake(),
    });
  }

  get name(): string {
    return this.destination.name;
  }

  /** Returns at once: the loop prepares itself, waiting for storage if it has to. */
  async start(): Promise<void> {
    this.running = true;
    this.waits.reset();
    this.o.observer.destinationDown?.(this.name, this.outage.down);
    this.loop = this.run();
  }

  /** After taking the lease: the bucket starts from what every sender spent in the last minute. */
  private async prepare(): Promise<void> {
    const { db, clock } = this.o;
    // A new sender (a restart, or a takeover) must not hand out a full burst that the last minute already spent.
    const recent = await attemptsSince(db, this.name, clock.now() - 60_000);
    const { perMinute, burst } = this.destination.rateLimit;
    this.bucket = new TokenBucket(perMinute, burst, clock, Math.min(burst, perMinute - recent));
  }

  /** Config reload: the new settings apply from the next send. */
  replace(destination: Destination): void {
    const old = this.destination;
    this.destination = destination;
    const { perMinute, burst } = destination.rateLimit;
    if (perMinute !== old.rateLimit.perMinute || burst !== old.rateLimit.burst) this.bucket = new TokenBucket(perMinute, burst, this.o.clock, 0);
    void old.close?.();
    this.wake();
  }

  wake(): void {
    this.waits.wake();
  }

  /** Whether the destination in force shows acknowledgements (src/ack/ queues them only to such destinations). */
  updatesOnAcknowledge(): boolean {
    return this.destination.updatesOnAcknowledge === true;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.waits.abort();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    await this.lease.release();
    await this.destination.close?.();
  }

  /** `work` until storage takes it (persist.ts); gives up only when the worker is stopping. */
  private persist<T>(what: string, fields: object, work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    const { logger, random } = this.o;
    return persistUntilStored({ what, fields: { destination: this.name, ...fields }, work, logger, random, running: () => this.running, nap: (ms) => this.waits.nap(ms) });
  }

  /**
   * Rows of this destination left `orphaned` by another instance whose config lacked it (a rolling config change):
   * this instance has the destination and sends for it, so they are pending again. Looked at when idle, every ten
   * poll intervals (at least 5 s apart): one indexed update.
   */
  private async adoptOrphans(now: number): Promise<void> {
    if (now - this.orphansCheckedAt < Math.max(5000, 10 * this.o.pollIntervalMs)) return;
    this.orphansCheckedAt = now;
    const n = await this.o.commits.run(async (tx) => ((await this.lease.fence(tx)) ? reviveOrphans(tx, this.name, now) : 0));
    if (n) this.o.logger.info({ destination: this.name, deliveries: n }, 'orphaned deliveries of this destination are pending again: it is configured here');
  }

  /** The tenure resumed: rows claimed but never sent go back to pending (fenced, like every write under the lease). */
  private async requeueUnsent(): Promise<void> {
    const ids = [...this.unsent];
    await this.o.commits.run(async (tx) => {
      if (await this.lease.fence(tx)) await requeueRows(tx, ids, this.o.clock.now());
    });
    for (const id of ids) this.unsent.delete(id);
  }

  private async run(): Promise<void> {
    const { db, clock, logger } = this.o;
    let failures = 0;
    while (this.running) {
      try {
        if (!this.lease.held()) {
          const tenure = await this.lease.acquire();
          if (!tenure) {
            // Another instance sends for this destination: stand by, and take over when it stops renewing.
            await this.waits.sleep(Math.max(100, Math.floor(this.o.leaseTtlMs / 4)));
            continue;
          }
          if (tenure === 'new') await this.prepare();
          else if (this.unsent.size) await this.requeueUnsent();
        }
        await this.o.beforeClaim?.();
        const now = clock.now();
        if (this.pausedUntil > now) {
          await this.waits.sleep(this.pausedUntil - now);
          continue;
        }
        // A destination that is down gets one row at a time (outage.ts).
        const free = this.outage.down ? (this.inFlight.size ? 0 : 1) : this.o.concurrency - this.inFlight.size;
        if (free <= 0) {
          await Promise.race([...this.inFlight, this.waits.sleep(this.o.pollIntervalMs)]);
          continue;
        }
        const tokens = this.bucket!.available();
        if (tokens < 1) {
          const waitMs = this.bucket!.waitMs();
          if ((await nextDueAt(db, this.name)) !== undefined) this.o.observer.rateLimitWait(this.name, waitMs);
          await this.waits.sleep(Math.min(waitMs, this.o.pollIntervalMs));
          continue;
        }
        const rows = await this.o.commits.run(async (tx) => ((await this.lease.fence(tx)) ? claimDeliveries(tx, this.name, Math.min(free, tokens), now) : []));
        if (!this.lease.held()) continue;
        if (rows.length === 0) {
          await this.adoptOrphans(now);
          const due = await nextDueAt(db, this.name);
          await this.waits.sleep(due === undefined ? this.o.pollIntervalMs : Math.min(this.o.pollIntervalMs, due - clock.now()));
          continue;
        }
        failures = 0;
        for (const row of rows) {
          this.bucket!.take();
          const p: Promise<void> = this.deliver(row)
            .catch((e: unknown) => logger.error({ err: e, destination: this.name, delivery: row.id }, 'delivery crashed (a bug); the row stays in flight until the restart'))
            .finally(() => {
              this.inFlight.delete(p);
              this.wake();
            });
          this.inFlight.add(p);
        }
      } catch (e) {
        // Storage trouble (database locked, disk full): keep the loop alive and back off; rows stay queued.
        failures++;
        const retryInMs = backoffMs(failures, this.o.random, STORAGE_BACKOFF);
        logger.error({ err: e, destination: this.name, failures, retry_in_ms: retryInMs }, 'delivery loop cannot use storage; retrying');
        await this.waits.sleep(retryInMs);
      }
    }
  }

  private noteOutage(outcome: SendOutcome, started: number, now: number): void {
    const said = tellOutage(this.outage.observe(outcome, started, now), outcome, this.name, this.o.logger, this.o.observer);
    if (said.pauseMs) this.pausedUntil = Math.max(this.pausedUntil, now + said.pauseMs);
    if (said.up) this.wake();
  }

  private async deliver(row: DeliveryRow): Promise<void> {
    const { db, clock, logger, observer } = this.o;
    const destination = this.destination;
    const payload = JSON.parse(row.payload) as DeliveryPayload;
    const fields = { delivery: row.id, alert: row.alert_id };
    const history = await this.persist('reading the delivery history', fields, async () => {
      const stored = await loadDestinationState(db, destination.name, row.alert_id, row.episode);
      // Only a resolve with nothing remembered can need it (to settle an unknown create): spare every other send
      // the two history queries.
      const unsettled = payload.status === 'resolved' && stored === undefined;
      const context: SendContext = { earlierAttemptMayHaveLanded: unsettled && (await earlierAttemptMayHaveLanded(db, row)), ackUrl: this.o.ackLink?.(payload) };
      return { previous: stored ? (JSON.parse(stored) as JsonObject) : undefined, context };
    });
    if (!history.ok) return;
    // The lease lapsed since the claim (a pause, storage trouble): another instance may be sending for this destination
    // now. Sending would race it; the row is left to whoever holds the lease next.
    if (!this.lease.held()) {
      this.unsent.add(row.id);
      logger.warn({ ...fields, destination: destination.name }, 'not sent: the lease on this destination lapsed after the claim; the row goes back to the queue');
      return;
    }
    const started = clock.now();
    let outcome: SendOutcome;
    try {
      outcome = await destination.send(payload, history.value.previous, history.value.context);
    } catch (e) {
      // A bug in a destination must not lose the alert: retry it, and say so loudly.
      logger.error({ err: e, destination: destination.name, delivery: row.id }, 'destination threw; will retry');
      outcome = { kind: 'retry', error: `internal error in destination: ${(e as Error).message}` };
    }
    // The ack link is a credential made for this send (src/ack/): never stored with what the answer echoed.
    if (history.value.context.ackUrl) outcome = withoutAckToken(outcome, history.value.context.ackUrl);
    const now = clock.now();
    const latencyMs = Math.round(now - started);
    observer.attempt(destination.name, outcome.kind, latencyMs);
    const retryAfter = this.retryAfterCap.apply(destination.name, outcome, started, now);
    if (outcome.kind === 'retry' && outcome.statusCode === 429) {
      // The limit is per alert source: everything to this destination waits, not just this alert.
      this.bucket!.drain();
      this.pausedUntil = Math.max(this.pausedUntil, now + (retryAfter?.waitMs ?? 1000));
    }
    this.noteOutage(outcome, started, now);
    // The send happened: its outcome must reach the database, however long storage takes to come back — unless
    // another instance took the destination over meanwhile: it put the row back in the queue and sends it again.
    const { maxRetryAgeMs, backoff, random } = this.o;
    const subscribers = payload.outcome ? [] : (this.o.outcomeSubscribers?.() ?? []);
    const refreshes = this.o.refreshes?.() ?? false;
    const input = { destination: destination.name, row, outcome, retryAfter, started, now, latencyMs, maxRetryAgeMs, backoff, random, payload, subscribers, refreshes };
    const recorded = await this.persist('recording the delivery outcome', { ...fields, outcome: outcome.kind }, () =>
      this.o.commits.run(async (tx) => ((await this.lease.fence(tx)) ? recordOutcome(tx, input) : ('fenced' as const))),
    );
    if (!recorded.ok) return;
    const status = recorded.value;
    if (status === 'fenced') {
      logger.warn({ ...fields, destination: destination.name, outcome: outcome.kind }, 'another instance took this destination over during the send: the outcome is not recorded; it sends the row again (same key)');
      return;
    }
    if ((status === 'delivered' || status === 'dead') && subscribers.length) this.o.wakeOthers?.(subscribers.map((s) => s.name));
    const log = { destination: destination.name, delivery: row.id, alert: row.alert_id, status: payload.status, attempt: row.attempts, http: outcome.statusCode, request_id: outcome.requestId, latency_ms: latencyMs };
    if (status === 'delivered') logger.info(log, 'delivered');
    else if (status === 'dead') logger.warn({ ...log, error: outcome.kind === 'delivered' ? undefined : outcome.error, hint: outcome.kind === 'failed' ? outcome.hint : undefined }, 'delivery failed; dead-lettered');
    else if (status === 'pending') logger.info({ ...log, error: outcome.kind === 'retry' ? outcome.error : undefined }, 'delivery will be retried');
  }
}
