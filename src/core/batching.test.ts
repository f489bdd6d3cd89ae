import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { Tx } from '../storage/schema.ts';
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
