import { sql } from 'kysely';
import type { Db, Tx } from './schema.ts';
import { databaseFile } from './sqlite.ts';
import { describeStorageError, storageBusy, storageUnavailable } from './unavailable.ts';
import { WriteHealth, type StorageTrouble } from './write-health.ts';

export type { StorageTrouble } from './write-health.ts';

type Work<T> = (tx: Tx) => Promise<T>;
interface Job {
  work: Work<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  /** When it was queued: a job waits for a locked database at most `busyBudgetMs` from here. */
  since: number;
}

export interface GroupCommitOptions {
  /** Jobs per shared transaction. */
  maxJobs?: number;
  /**
   * How long a job may wait for a database locked by another process before it fails as storage unavailable (ingest
   * answers 503). Short locks (a backup, an operator's sqlite3 shell) are ridden out; long ones are reported.
   */
  busyBudgetMs?: number;
  random?: () => number;
}

/** Pauses between runs of a transaction that met the lock: short at first, never long enough to overshoot a budget. */
const BUSY_PAUSE = { firstMs: 10, capMs: 250 };

/**
 * Runs concurrent units of work in shared transactions: one commit (one fsync) for everything that arrived while
 * the previous commit was running. Each caller still learns of its own outcome only after the commit. If a shared
 * transaction fails, its jobs are retried one per transaction so one bad job cannot fail its neighbours — unless
 * storage itself failed (full, read-only, failing): then every job fails at once, since each retry would fail the
 * same way.
 *
 * A database locked by another process is waited for here, not in SQLite: SQLite's busy wait blocks the event loop
 * (sqlite.ts keeps it to a few milliseconds). A transaction that met the lock was rolled back and did nothing, so it
 * is run again as a whole after a pause (setTimeout), joined by jobs that arrived meanwhile, until each job's budget
 * is spent; then those jobs fail as storage unavailable.
 */
export class GroupCommit {
  private queue: Job[] = [];
  private running = false;
  private trouble: StorageTrouble | undefined;
  private health: WriteHealth | undefined;
  private readonly maxJobs: number;
  private readonly busyBudgetMs: number;
  private readonly random: () => number;

  constructor(
    private readonly db: Db,
    options: GroupCommitOptions = {},
  ) {
    this.maxJobs = options.maxJobs ?? 200;
    this.busyBudgetMs = options.busyBudgetMs ?? 2000;
    this.random = options.random ?? Math.random;
  }

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work: work as Work<unknown>, resolve: resolve as (v: unknown) => void, reject, since: Date.now() });
      if (!this.running) {
        // Start after this turn's I/O callbacks: every request parsed in the same event-loop turn joins the commit.
        // Starting at once would commit the first request alone, since a transaction runs to its end in microtasks.
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  /**
   * Undefined when storage takes writes; otherwise since when and why not. Never waits on the database: the answer
   * comes from a watcher that writes in the background (write-health.ts), started by the first call, and from the
   * free space of the database's disk.
   */
  async writable(): Promise<StorageTrouble | undefined> {
    this.health ??= new WriteHealth({ probe: () => this.probe(), file: databaseFile(this.db), writeTrouble: () => this.trouble });
    return this.health.current();
  }

  /** Stops the background watcher (tests; the process's timers are unref'd anyway). */
  stop(): void {
    this.health?.stop();
  }

  /**
   * One small real write (the migration lock row exists in every tocsin database), so the lock, the disk and the
   * file's mode are all exercised. Only a write clears trouble: a transaction that wrote nothing succeeds on a
   * locked database too.
   */
  private async probe(): Promise<void> {
    await this.run((tx) => sql`update kysely_migration_lock set is_locked = is_locked`.execute(tx));
    this.trouble = undefined;
  }

  private noteTrouble(e: unknown): void {
    const now = Date.now();
    this.trouble = { since: this.trouble?.since ?? now, message: describeStorageError(e), lastFailure: now };
  }

  private async drain(): Promise<void> {
    // Jobs that met a locked database, run again (with whatever arrived meanwhile) after a pause.
    let waiting: Job[] = [];
    let busyRuns = 0;
    try {
      while (this.queue.length || waiting.length) {
        const jobs = waiting.concat(this.queue.splice(0, Math.max(0, this.maxJobs - waiting.length)));
        const busy = await this.commit(jobs);
        if (!busy) {
          waiting = [];
          busyRuns = 0;
          continue;
        }
        busyRuns++;
        const now = Date.now();
        waiting = [];
        for (const j of busy.jobs) {
          if (now - j.since < this.busyBudgetMs) waiting.push(j);
          else {
            this.noteTrouble(busy.error);
            j.reject(busy.error);
          }
        }
        if (!waiting.length) continue;
        const ceiling = Math.min(BUSY_PAUSE.capMs, BUSY_PAUSE.firstMs * 2 ** (busyRuns - 1));
        const untilFirstDeadline = Math.min(...waiting.map((j) => j.since + this.busyBudgetMs - now));
        const pause = Math.max(1, Math.min(untilFirstDeadline, Math.round(ceiling / 2 + (this.random() * ceiling) / 2)));
        await new Promise((r) => setTimeout(r, pause));
      }
    } finally {
      this.running = false;
    }
  }

  /** One transaction; rejects with the error that caused the failure, not the failed rollback that may follow it. */
  private async transaction<T>(work: Work<T>): Promise<T> {
    const tx = await this.db.startTransaction().execute();
    let result: T;
    try {
      result = await work(tx);
      // The commit can fail on its own (the WAL write at the end: disk full, read-only file, I/O error).
      await tx.commit().execute();
    } catch (e) {
      // SQLite may have rolled back by itself already (SQLITE_FULL, I/O errors): then this rollback fails, and its
      // error ("no transaction is active") must not hide the one that says what happened. It frees the connection
      // either way.
      await tx.rollback().execute().catch(() => undefined);
      throw e;
    }
    return result;
  }

  /**
   * Settles every job, except when the database is locked: then it returns the jobs that are still to run (their
   * transaction rolled back, so running them again is safe).
   */
  private async commit(jobs: Job[]): Promise<{ jobs: Job[]; error: unknown } | undefined> {
    if (jobs.length === 1) return this.commitAlone(jobs[0]!);
    let results: unknown[];
    try {
      results = await this.transaction(async (tx) => {
        const out: unknown[] = [];
        for (const j of jobs) out.push(await j.work(tx));
        return out;
      });
    } catch (e) {
      if (storageBusy(e)) return { jobs, error: e };
      if (storageUnavailable(e)) {
        this.noteTrouble(e);
        for (const j of jobs) j.reject(e);
        return undefined;
      }
      // A bug in one job: find it by running each alone. The others may meet the lock meanwhile.
      const left: Job[] = [];
      let error: unknown;
      for (const j of jobs) {
        const busy = await this.commitAlone(j);
        if (busy) (left.push(j), (error = busy.error));
      }
      return left.length ? { jobs: left, error } : undefined;
    }
    jobs.forEach((j, i) => j.resolve(results[i]));
    return undefined;
  }

  private async commitAlone(job: Job): Promise<{ jobs: Job[]; error: unknown } | undefined> {
    try {
      job.resolve(await this.transaction((tx) => job.work(tx)));
    } catch (e) {
      if (storageBusy(e)) return { jobs: [job], error: e };
      if (storageUnavailable(e)) this.noteTrouble(e);
      job.reject(e);
    }
    return undefined;
  }
}
