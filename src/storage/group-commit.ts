import type { Db, Tx } from './schema.ts';

type Work<T> = (tx: Tx) => Promise<T>;
interface Job {
  work: Work<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/**
 * Runs concurrent units of work in shared transactions: one commit (one fsync) for everything that arrived while
 * the previous commit was running. Each caller still learns of its own outcome only after the commit. If a shared
 * transaction fails, its jobs are retried one per transaction so one bad job cannot fail its neighbours.
 */
export class GroupCommit {
  private queue: Job[] = [];
  private running = false;

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

  private async runTogether(jobs: Job[]): Promise<void> {
    let results: unknown[];
    try {
      results = await this.db.transaction().execute(async (tx) => {
        const out: unknown[] = [];
        for (const j of jobs) out.push(await j.work(tx));
        return out;
      });
    } catch {
      for (const j of jobs) await this.runAlone(j);
      return;
    }
    jobs.forEach((j, i) => j.resolve(results[i]));
  }

  private async runAlone(job: Job): Promise<void> {
    try {
      job.resolve(await this.db.transaction().execute((tx) => job.work(tx)));
    } catch (e) {
      job.reject(e);
    }
  }
}
