import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupCommit } from '../storage/group-commit.ts';
import { openSqlite } from '../storage/sqlite.ts';
import { Batcher } from './batching.ts';

async function setup() {
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
  });
  const stored = async () => (await db.selectFrom('destination_targets').select('updated_at').orderBy('updated_at').execute()).map((r) => r.updated_at);
  return { db, commits, jobs, batcher, stored };
}

test('items that arrive together share one job, each gets its own output', async () => {
  const { batcher, jobs, stored, commits, db } = await setup();
  assert.deepEqual(await Promise.all([1, 2, 3].map((n) => batcher.run(n))), ['done 1', 'done 2', 'done 3']);
  assert.deepEqual(jobs, [[1, 2, 3]]);
  assert.deepEqual(await batcher.run(4), 'done 4');
  assert.deepEqual(jobs, [[1, 2, 3], [4]]);
  assert.deepEqual(await stored(), [1, 2, 3, 4]);
  commits.stop();
  await db.destroy();
});

test('a bad item fails alone: its neighbours are worked on again, each in its own job, and committed', async () => {
  const { batcher, stored, commits, db } = await setup();
  const results = await Promise.allSettled([1, -2, 3].map((n) => batcher.run(n)));
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.match(String((results[1] as PromiseRejectedResult).reason), /bad item -2/);
  assert.deepEqual(await stored(), [1, 3], 'nothing of the failed item, nothing twice');
  commits.stop();
  await db.destroy();
});

test('storage trouble fails the whole batch at once: each item alone would fail the same way', async () => {
  const { batcher, jobs, commits, db } = await setup();
  const results = await Promise.allSettled([1, -99, 3].map((n) => batcher.run(n)));
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
  assert.ok(jobs.every((j) => j.length === 3), 'never split');
  commits.stop();
  await db.destroy();
});
