import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupCommit } from '../storage/group-commit.ts';
import type { Tx } from '../storage/schema.ts';
import { openSqlite } from '../storage/sqlite.ts';
import { Batcher } from './batching.ts';

/**
 * The group commit's contract as the batcher sees it: `run(work)` settles with work's result or an error — and the
 * error can come before `work` ever ran (a neighbour in a shared transaction met a locked database).
 */
function commitsFailingFirstWithoutRunning(): GroupCommit {
  let calls = 0;
  return {
    run: async <T>(work: (tx: Tx) => Promise<T>): Promise<T> => {
      await new Promise((r) => setImmediate(r));
      if (calls++ === 0) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      return work({} as Tx);
    },
  } as unknown as GroupCommit;
}

test('a batch whose job failed before its work ran is closed: the next item gets a job of its own', async () => {
  const batcher = new Batcher<string, string>(commitsFailingFirstWithoutRunning(), async (_tx, items) => items.map((i) => `done ${i}`));
  await assert.rejects(batcher.run('first'), /locked/);
  const second = await Promise.race([batcher.run('second'), new Promise((r) => setTimeout(() => r('hung'), 1000))]);
  assert.equal(second, 'done second');
});

test('items that arrive together share one job, and each gets its own output', async () => {
  let jobs = 0;
  const commits = { run: async <T>(work: (tx: Tx) => Promise<T>) => (jobs++, await new Promise((r) => setImmediate(r)), work({} as Tx)) } as unknown as GroupCommit;
  const batcher = new Batcher<number, number>(commits, async (_tx, items) => items.map((i) => i * 2));
  assert.deepEqual(await Promise.all([batcher.run(1), batcher.run(2), batcher.run(3)]), [2, 4, 6]);
  assert.equal(jobs, 1);
});


/** A real group commit over SQLite; item n writes a row, and a negative item fails (-99 as storage trouble). */
async function setup(lingerMs = 1) {
  const db = await openSqlite({ path: join(mkdtempSync(join(tmpdir(), 'tocsin-batching-')), 't.db') });
  const commits = new GroupCommit(db);
  const jobs: number[][] = [];
  const batcher = new Batcher<number, string>(commits, async (tx, items) => {
    jobs.push(items);
    for (const n of items) {
      await tx.insertInto('destination_targets').values({ destination: `d${n}`, target: 't', updated_at: n }).execute();
      if (n < 0) throw Object.assign(new Error(`bad item ${n}`), n === -99 ? { code: 'SQLITE_FULL' } : {});
    }
    return items.map((n) => `done ${n}`);
  }, lingerMs);
  const stored = async () => (await db.selectFrom('destination_targets').select('updated_at').orderBy('updated_at').execute()).map((r) => r.updated_at);
  const close = async () => (commits.stop(), await db.destroy());
  return { jobs, batcher, stored, close };
}

test('a bad item fails alone: its neighbours are worked on again, each in its own job, and committed', async () => {
  const { batcher, stored, close } = await setup();
  const results = await Promise.allSettled([1, -2, 3].map((n) => batcher.run(n)));
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.match(String((results[1] as PromiseRejectedResult).reason), /bad item -2/);
  assert.deepEqual(await stored(), [1, 3], 'nothing of the failed item, nothing twice');
  await close();
});

test('storage trouble fails the whole batch at once: each item alone would fail the same way', async () => {
  const { batcher, jobs, close } = await setup();
  const results = await Promise.allSettled([1, -99, 3].map((n) => batcher.run(n)));
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
  assert.ok(jobs.every((j) => j.length === 3), 'never split');
  await close();
});

test('after a batch of n, the next batch waits (a millisecond at most) for n items rather than committing the first alone', async () => {
  // A long wait here, so a loaded machine still gathers the three; the default is 1 ms.
  const { batcher, jobs, close } = await setup(300);
  await Promise.all([1, 2, 3].map((n) => batcher.run(n)));
  // The next three arrive one event-loop turn apart, as answers to a shared commit come back.
  const next: Promise<string>[] = [];
  for (const n of [4, 5, 6]) {
    next.push(batcher.run(n));
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(next);
  assert.deepEqual(jobs, [[1, 2, 3], [4, 5, 6]]);
  // Fewer than that: committed after the wait anyway.
  assert.equal(await batcher.run(7), 'done 7');
  assert.deepEqual(jobs.at(-1), [7]);
  // After a batch of one, the next item never waits.
  await batcher.run(8);
  assert.deepEqual(jobs.at(-1), [8]);
  await close();
});
