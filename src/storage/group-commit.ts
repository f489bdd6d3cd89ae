import { sql } from 'kysely';
import type { Db, Tx } from './schema.ts';
import { describeStorageError, storageUnavailable } from './unavailable.ts';

type Work<T> = (tx: Tx) => Promise<T>;
interface Job {
  work: Work<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** Why storage takes no writes, since when (epoch ms). */
export interface StorageTrouble {
  since: number;
  message: string;
  /** The latest failed write: a probe is pointless sooner than PROBE_EVERY_MS after it. */
  lastFailure: number;
}

/** Readiness asks storage at most this often while it is failing: a locked database holds each try for seconds. */
const PROBE_EVERY_MS = 2000;

/**
 * Runs concurrent units of work in shared transactions: one commit (one fsync) for everything that arrived while
 * the previous commit was running. Each caller still learns of its own outcome only after the commit. If a shared
 * transaction fails, its jobs are retried one per transaction so one bad job cannot fail its neighbours — unless
 * storage itself failed (locked, full): then every job fails at once, since each retry would fail the same way
 * (and a locked database holds each try for its busy timeout).
 */
export class GroupCommit {
  private queue: Job[] = [];
  private running = false;
  private trouble: StorageTrouble | undefined;
  private probing: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly maxJobs = 200,
  ) {}

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work: work as Work<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.running) {
        // Start after this turn's I/O callbacks: every request parsed in the same event-loop turn joins the commit.
        // Starting at once would commit the first request alone, since a transaction runs to its end in microtasks.
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  /**
   * Undefined when storage takes writes; otherwise since when and why it has not. While it fails, this tries a
   * small write (at most every few seconds), so readiness comes back by itself even with no traffic.
   */
  async writable(): Promise<StorageTrouble | undefined> {
    if (this.trouble && Date.now() - this.trouble.lastFailure >= PROBE_EVERY_MS) await this.probe();
    return this.trouble;
  }

  private probe(): Promise<void> {
    if (this.probing) return this.probing;
    // A real write (the migration lock row exists in every tocsin database), so the lock and the disk are exercised.
    const write = this.run((tx) => sql`update kysely_migration_lock set is_locked = is_locked`.execute(tx));
    this.probing = write.then(
      () => void (this.trouble = undefined),
      () => undefined,
    );
    return this.probing.finally(() => (this.probing = undefined));
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        const jobs = this.queue.splice(0, this.maxJobs);
        if (jobs.length === 1) await this.runAlone(jobs[0]!);
        else await this.runTogether(jobs);
      }
    } finally {
      this.running = false;
    }
  }

  /** One transaction; rejects with the error that caused the failure, not the failed rollback that may follow it. */
  private async transaction<T>(work: Work<T>): Promise<T> {
    let first: unknown;
    try {
      const result = await this.db.transaction().execute(async (tx) => {
        try {
          return await work(tx);
        } catch (e) {
          first = e;
          throw e;
        }
      });
      return result;
    } catch (e) {
      const cause = first ?? e;
      if (storageUnavailable(cause) || storageUnavailable(e)) {
        const now = Date.now();
        this.trouble = { since: this.trouble?.since ?? now, message: describeStorageError(cause), lastFailure: now };
      }
      throw cause;
    }
  }

  private async runTogether(jobs: Job[]): Promise<void> {
    let results: unknown[];
    try {
      results = await this.transaction(async (tx) => {
        const out: unknown[] = [];
        for (const j of jobs) out.push(await j.work(tx));
        return out;
      });
    } catch (e) {
      if (storageUnavailable(e)) {
        for (const j of jobs) j.reject(e);
        return;
      }
      for (const j of jobs) await this.runAlone(j);
      return;
    }
    jobs.forEach((j, i) => j.resolve(results[i]));
  }

  private async runAlone(job: Job): Promise<void> {
    try {
      job.resolve(await this.transaction((tx) => job.work(tx)));
    } catch (e) {
      job.reject(e);
    }
  }
}
