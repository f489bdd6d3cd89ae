/**
 * Group commit on SQLite and PostgreSQL alike: jobs that arrive together share one transaction and learn their outcome
 * after its commit; a job that fails (a bug, not storage) fails alone while its neighbours commit.
 */
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { contract } from '../../test/storage-dialects.ts';
import { insertTransition, type NewTransition } from './alerts-repo.ts';
import { GroupCommit } from './group-commit.ts';
import type { Executor } from './schema.ts';

const note = (content: string): NewTransition => ({ alert_id: 'a', episode: 1, kind: 'note', from_state: null, to_state: 'firing', actor: 'test', content, at: 0 });
const contents = async (db: Executor) => (await db.selectFrom('transitions').select('content').orderBy('id').execute()).map((r) => r.content);

contract('jobs that arrive together share one transaction; each gets its own result once it is committed', async ({ db, connect }) => {
  const other = await connect();
  const commits = new GroupCommit(db);
  const seenInside: string[][] = [];
  const results = await Promise.all([
    commits.run(async (tx) => (await insertTransition(tx, note('a')), 'first')),
    commits.run(async (tx) => {
      // The job before it wrote in the same transaction: visible here, not yet to another connection.
      seenInside.push(await contents(tx), await contents(other));
      await insertTransition(tx, note('b'));
      return 2;
    }),
    commits.run(async () => undefined),
  ]);
  assert.deepEqual(results, ['first', 2, undefined]);
  assert.deepEqual(seenInside, [['a'], []]);
  assert.deepEqual(await contents(other), ['a', 'b']);
});

contract('a failing job fails alone: its neighbours commit, and what it wrote before failing is rolled back', async ({ db }) => {
  const commits = new GroupCommit(db);
  const runs = { a: 0, b: 0, c: 0 };
  const results = await Promise.allSettled([
    commits.run(async (tx) => (runs.a++, insertTransition(tx, note('a')))),
    commits.run(async (tx) => {
      runs.b++;
      await insertTransition(tx, note('b'));
      throw new Error('a bug in job b');
    }),
    commits.run(async (tx) => (runs.c++, insertTransition(tx, note('c')))),
    commits.run(async (tx) => void (await sql`insert into no_such_table values (1)`.execute(tx))),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'rejected'],
  );
  assert.match(String((results[1] as PromiseRejectedResult).reason), /a bug in job b/);
  assert.match(String((results[3] as PromiseRejectedResult).reason), /no_such_table/);
  // The shared transaction stopped at b; then each job ran alone.
  assert.deepEqual(runs, { a: 2, b: 2, c: 1 });
  assert.deepEqual(await contents(db), ['a', 'c']);
  // The failures were bugs, not storage: it still counts as writable.
  assert.equal(await commits.writable(), undefined);
  commits.stop();
});

contract('more jobs than one transaction takes (maxJobs) commit in several, in the order they came', async ({ db }) => {
  const commits = new GroupCommit(db, { maxJobs: 3 });
  const jobs = Array.from({ length: 10 }, (_, i) => commits.run(async (tx) => (await insertTransition(tx, note(`n${i}`)), i)));
  assert.deepEqual(
    await Promise.all(jobs),
    Array.from({ length: 10 }, (_, i) => i),
  );
  assert.deepEqual(
    await contents(db),
    Array.from({ length: 10 }, (_, i) => `n${i}`),
  );
});

contract('writable(): storage that takes writes is ready, from a background probe write', async ({ db }) => {
  const commits = new GroupCommit(db);
  assert.equal(await commits.writable(), undefined);
  commits.stop();
});
