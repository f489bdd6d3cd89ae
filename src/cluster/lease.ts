import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import { acquireLease, holdsLease, releaseLease, renewLease, type Acquired } from '../storage/leases-repo.ts';
import type { Db, Tx } from '../storage/schema.ts';
import { formatHolder, holderGone, processAlive, type HolderId } from './holder.ts';

export interface LeaseOptions {
  /** Renewals go straight to the database, not through the group commit: a batch waiting on a row lock must not
   * delay them past the expiry. */
  db: Db;
  commits: GroupCommit;
  clock: Clock;
  logger: Logger;
  name: string;
  me: HolderId;
  ttlMs: number;
  /** Runs in the transaction that takes the lease over: put right what the previous holder left (rows in flight). */
  onAcquire?: (tx: Tx, taken: Acquired) => Promise<void>;
  /** Told when the lease is lost (taken over, or not renewed in time): stop acting for it. */
  onLost?: () => void;
  /** Whether this instance holds the lease, each time that changes; `tookOver`: from a holder that failed. */
  onHeld?: (held: boolean, tookOver: boolean) => void;
  alive?: (pid: number) => boolean;
}

/**
 * One instance's hold on one named lease (leases-repo.ts): takes it when it is free, renews it every third of its
 * time to live, and says whether this instance may act for it now. Acting is also fenced in the database: `fence`
 * checks the tenure inside the transaction that does the work, and fails there if another instance took it over.
 */
export class Lease {
  private epoch: number | undefined;
  /** Until when this instance may act without renewing: the last renewal that committed, plus the time to live. */
  private validUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly me: string;

  constructor(private readonly o: LeaseOptions) {
    this.me = formatHolder(o.me);
  }

  /**
   * Whether this instance holds the lease now. It stops a little before the expiry (a fifth of the time to live, at
   * most a second), for clocks that differ between machines; a renewal that failed (storage away) ends it there.
   */
  held(): boolean {
    const margin = Math.min(1000, this.o.ttlMs / 5);
    return this.epoch !== undefined && this.o.clock.now() < this.validUntil - margin;
  }

  /** The fencing token of the current tenure, for logs and the cluster view. */
  get tenure(): number | undefined {
    return this.epoch;
  }

  /**
   * Tries to take the lease: `new` when this instance starts a tenure (onAcquire ran), `resumed` when its tenure was
   * still its own (a pause ended), false when another instance holds it. Storage errors are thrown.
   */
  async acquire(): Promise<'new' | 'resumed' | false> {
    if (this.held()) return 'resumed';
    const { clock, ttlMs, name } = this.o;
    const now = clock.now();
    const outcome = await this.o.commits.run(async (tx) => {
      // A tenure of ours that a pause (storage trouble, a frozen process) interrupted may still be ours: renewing it
      // keeps its epoch. If it is not, another instance took over meanwhile.
      if (this.epoch !== undefined) {
        if (await renewLease(tx, { name, me: this.me, epoch: this.epoch, now, ttlMs })) return { kind: 'acquired' as const, epoch: this.epoch, resumed: true };
        this.lost('taken over by another instance while this one did not renew');
      }
      const r = await acquireLease(tx, { name, me: this.me, now, ttlMs, holderGone: (h) => holderGone(h, this.o.me, this.o.alive ?? processAlive) });
      if (r.kind === 'acquired') await this.o.onAcquire?.(tx, r);
      return { ...r, resumed: false };
    });
    if (outcome.kind !== 'acquired') {
      this.epoch = undefined;
      return false;
    }
    const resumed = outcome.resumed;
    this.epoch = outcome.epoch;
    this.validUntil = now + ttlMs;
    if (!outcome.resumed) {
      this.o.onHeld?.(true, outcome.from !== undefined);
      const log = { lease: name, epoch: outcome.epoch, ...(outcome.from ? { previous_holder: outcome.from.holder } : {}) };
      if (outcome.from) this.o.logger.warn(log, outcome.from.expired ? `took over ${name}: its holder stopped renewing it` : `took over ${name}: its holder's process is gone`);
      else this.o.logger.info(log, `holding ${name}`);
    }
    this.schedule();
    return resumed ? 'resumed' : 'new';
  }

  /**
   * Inside a transaction that acts for the lease: returns false (and lets go) when another instance holds it now; the
   * caller writes nothing then. A read, not a write — an idle sender's claims commit nothing (no fsync per poll) — that
   * holds the lease row until the transaction ends on PostgreSQL (FOR SHARE), so a takeover waits for it and then
   * finds what it claimed in flight. Renewing is the timer's job.
   */
  async fence(tx: Tx): Promise<boolean> {
    if (this.epoch === undefined) return false;
    const ok = await holdsLease(tx, { name: this.o.name, me: this.me, epoch: this.epoch });
    if (!ok) this.lost('taken over by another instance');
    return ok;
  }

  /** Lets the lease go (a clean stop): the next instance takes it at once. */
  async release(): Promise<void> {
    this.stopTimer();
    const epoch = this.epoch;
    this.epoch = undefined;
    if (epoch === undefined) return;
    this.o.onHeld?.(false, false);
    try {
      await this.o.commits.run((tx) => releaseLease(tx, { name: this.o.name, me: this.me, epoch, now: this.o.clock.now() }));
      this.o.logger.info({ lease: this.o.name, epoch }, `released ${this.o.name}`);
    } catch (e) {
      this.o.logger.warn({ err: e, lease: this.o.name }, `could not release ${this.o.name}: another instance takes it when it expires`);
    }
  }

  private lost(why: string): void {
    if (this.epoch === undefined) return;
    this.o.logger.warn({ lease: this.o.name, epoch: this.epoch }, `lost ${this.o.name}: ${why}; stopped acting for it`);
    this.epoch = undefined;
    this.o.onHeld?.(false, false);
    this.stopTimer();
    this.o.onLost?.();
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.stopTimer();
    this.timer = setTimeout(() => void this.renew(), Math.max(100, Math.floor(this.o.ttlMs / 3)));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    const epoch = this.epoch;
    if (epoch === undefined) return;
    const now = this.o.clock.now();
    try {
      const ok = await renewLease(this.o.db, { name: this.o.name, me: this.me, epoch, now, ttlMs: this.o.ttlMs });
      if (this.epoch !== epoch) return;
      if (!ok) return this.lost('taken over by another instance');
      this.validUntil = now + this.o.ttlMs;
    } catch (e) {
      // Storage away: keep trying; past the expiry this instance stops acting (held() is false) until it renews.
      this.o.logger.warn({ err: e, lease: this.o.name }, `cannot renew ${this.o.name}; retrying`);
      if (this.o.clock.now() >= this.validUntil) this.o.onLost?.();
    }
    if (this.epoch === epoch) this.schedule();
  }
}
