/** Group commit against real SQLite files: a storage outage fails a batch at once; one bad job fails alone. */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { GroupCommit } from './group-commit.ts';
import type { Db, Tx } from './schema.ts';
import { openSqlite } from './sqlite.ts';
import { storageUnavailable } from './unavailable.ts';

const opened: Db[] = [];
after(async () => {
  for (const db of opened) await db.destroy();
});

async function open(): Promise<{ db: Db; path: string }> {
  const path = join(mkdtempSync(join(tmpdir(), 'tocsin-gc-')), 'tocsin.db');
  const db = await openSqlite({ path });
  opened.push(db);
  return { db, path };
}

const note = (tx: Tx, content: string) =>
  sql`insert into transitions (alert_id, episode, kind, to_state, actor, content, at) values ('a', 1, 'note', 'firing', 'test', ${content}, 0)`.execute(tx);
const count = async (db: Db) => Number((await sql<{ n: number }>`select count(*) as n from transitions`.execute(db)).rows[0]!.n);

describe('GroupCommit under storage failure', () => {
  it('database full: every job of the shared transaction fails with the storage error at once', async () => {
    const { db } = await open();
    const commits = new GroupCommit(db);
    const pages = Number((await sql<{ page_count: number }>`pragma page_count`.execute(db)).rows[0]!.page_count);
    // SQLITE_FULL for real, without a small filesystem: this connection may not grow the file.
    await sql.raw(`pragma max_page_count = ${pages}`).execute(db);
    let runs = 0;
    const big = 'x'.repeat(64 * 1024);
    const results = await Promise.allSettled([1, 2, 3].map(() => commits.run(async (tx) => (runs++, note(tx, big)))));
    // The shared transaction stops at the first job; re-running each alone would make it 4.
    assert.equal(runs, 1, 'jobs were re-run one by one after a storage failure');
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(storageUnavailable(r.reason), String(r.reason));
    }
    assert.equal(await count(db), 0);

    await sql.raw('pragma max_page_count = 1073741823').execute(db);
    await commits.run((tx) => note(tx, big));
    assert.equal(await count(db), 1);
  });

  it('one bad job (a bug, not storage) still fails alone', async () => {
    const { db } = await open();
    const commits = new GroupCommit(db);
    const results = await Promise.allSettled([
      commits.run((tx) => note(tx, 'a')),
      commits.run(async (tx) => void (await sql`insert into no_such_table values (1)`.execute(tx))),
      commits.run((tx) => note(tx, 'c')),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(await count(db), 2);
    assert.equal(await commits.writable(), undefined);
    commits.stop();
  });

  it('database locked by another process: the event loop keeps running, jobs fail after their budget, writable() says so', async () => {
    const { db, path } = await open();
    const commits = new GroupCommit(db, { busyBudgetMs: 600 });
    const other = new BetterSqlite3(path);
    other.exec('BEGIN IMMEDIATE');
    let worstLag = 0;
    let last = Date.now();
    const ticker = setInterval(() => {
      const now = Date.now();
      worstLag = Math.max(worstLag, now - last - 5);
      last = now;
    }, 5);
    const started = Date.now();
    const results = await Promise.allSettled([1, 2, 3].map((i) => commits.run((tx) => note(tx, `n${i}`))));
    const waited = Date.now() - started;
    clearInterval(ticker);
    for (const r of results) assert.ok(r.status === 'rejected' && storageUnavailable(r.reason), String((r as PromiseRejectedResult).reason));
    assert.ok(waited >= 550 && waited < 1500, `the jobs failed after ${waited} ms, not after their 600 ms budget`);
    // SQLite's own busy wait is synchronous: it may hold the loop for its few milliseconds, never for the lock.
    assert.ok(worstLag < 100, `the event loop stood still for ${worstLag} ms`);

    const trouble = await commits.writable();
    assert.match(trouble?.message ?? '', /database is locked/);
    other.exec('ROLLBACK');
    other.close();
    // The background probe notices by itself: no write from us.
    const clearedBy = Date.now() + 3000;
    while ((await commits.writable()) !== undefined && Date.now() < clearedBy) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await commits.writable(), undefined);
    commits.stop();
    await commits.run((tx) => note(tx, 'after'));
    assert.equal(await count(db), 1);
  });

  it('a lock shorter than the budget is ridden out: every job commits, with those that arrived meanwhile', async () => {
    const { db, path } = await open();
    const commits = new GroupCommit(db, { busyBudgetMs: 2000 });
    const other = new BetterSqlite3(path);
    other.exec('BEGIN EXCLUSIVE');
    setTimeout(() => (other.exec('ROLLBACK'), other.close()), 400);
    const early = [1, 2, 3].map((i) => commits.run((tx) => note(tx, `early${i}`)));
    await new Promise((r) => setTimeout(r, 150));
    // Reads do not wait for the writer (WAL), and do not block the loop.
    const readStarted = Date.now();
    assert.equal(await count(db), 0);
    assert.ok(Date.now() - readStarted < 100);
    const late = [1, 2].map((i) => commits.run((tx) => note(tx, `late${i}`)));
    const results = await Promise.allSettled([...early, ...late]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
    );
    assert.equal(await count(db), 5);
    assert.equal((await sql<{ n: number }>`select count(distinct content) as n from transitions`.execute(db)).rows[0]!.n, 5, 'a job ran twice');
  });

  it('a bad job meeting a locked database fails alone; its neighbours wait for the lock and commit', async () => {
    const { db, path } = await open();
    const commits = new GroupCommit(db, { busyBudgetMs: 2000 });
    const other = new BetterSqlite3(path);
    other.exec('BEGIN IMMEDIATE');
    setTimeout(() => (other.exec('ROLLBACK'), other.close()), 300);
    const results = await Promise.allSettled([
      commits.run((tx) => note(tx, 'a')),
      commits.run(async (tx) => void (await sql`insert into no_such_table values (1)`.execute(tx))),
      commits.run((tx) => note(tx, 'c')),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(await count(db), 2);
  });
});
