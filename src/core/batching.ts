import type { GroupCommit } from '../storage/group-commit.ts';
import type { Tx } from '../storage/schema.ts';
import { storageUnavailable } from '../storage/unavailable.ts';

interface Waiting<I, O> {
  item: I;
  resolve(o: O): void;
  reject(e: unknown): void;
}

/**
 * Items that arrive together are worked on together: one job in the group commit for all of them, so they share
 * what a job pays once (a lookup, a few multi-row inserts) instead of each paying it. A batch takes every item that
 * arrives until its job starts (the group commit starts jobs after the event loop's I/O callbacks, so every request
 * parsed in the same turn joins).
 *
 * A failed batch is split: each item runs again in a job of its own, so one bad item never fails its neighbours,
 * as the group commit does for jobs. Unless storage itself failed (full, locked for too long): each would fail the
 * same way, so all fail at once.
 */
export class Batcher<I, O> {
  private open: Waiting<I, O>[] | undefined;
  /** Submits the open batch now, when it is still lingering. */
  private submitOpen: (() => void) | undefined;
  /** How many items the last batch took: the next one waits (briefly) for as many. */
  private lastSize = 1;

  constructor(
    private readonly commits: GroupCommit,
    /** Works on the items in order, in one transaction; one output per item, in the same order. */
    private readonly work: (tx: Tx, items: I[]) => Promise<O[]>,
    /**
     * How long a batch may wait for as many items as the last one took (PostgreSQL's commit_delay, adaptive). Under
     * load, requests answered by one commit come back spread over a millisecond or so; without waiting, the first
     * few are committed alone (an fsync for a handful) while the rest queue for the next. At one request at a
     * time the last batch had one item, so nothing ever waits.
     */
    private readonly lingerMs = 1,
  ) {}

  run(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const waiting = { item, resolve, reject };
      if (this.open) {
        this.open.push(waiting);
        if (this.open.length >= this.lastSize) this.submitOpen?.();
        return;
      }
      const batch = (this.open = [waiting]);
      let submitted = false;
      const submit = () => {
        if (submitted) return;
        submitted = true;
        clearTimeout(timer);
        this.submitOpen = undefined;
        this.submit(batch);
      };
      const timer = this.lastSize > 1 ? setTimeout(submit, this.lingerMs) : undefined;
      this.submitOpen = submit;
      if (!timer) submit();
    });
  }

  private submit(batch: Waiting<I, O>[]): void {
    this.commits
      .run((tx) => {
        // Closed when its job starts; a job run again (a locked database, a failed neighbour) keeps its batch.
        if (this.open === batch) {
          this.open = undefined;
          this.lastSize = batch.length;
        }
        return this.work(tx, batch.map((w) => w.item));
      })
      .then(
        (outputs) => batch.forEach((w, i) => w.resolve(outputs[i]!)),
        (e: unknown) => {
          // A job can fail before its work ever ran (a neighbour in the shared transaction met a locked database
          // and the wait ran out): the batch must not stay open, or every later item would join a settled batch.
          if (this.open === batch) this.open = undefined;
          this.split(batch, e);
        },
      );
  }

  private split(batch: Waiting<I, O>[], e: unknown): void {
    if (batch.length === 1 || storageUnavailable(e)) return batch.forEach((w) => w.reject(e));
    for (const w of batch) {
      this.commits.run((tx) => this.work(tx, [w.item])).then(
        ([output]) => w.resolve(output!),
        (err: unknown) => w.reject(err),
      );
    }
  }
}
