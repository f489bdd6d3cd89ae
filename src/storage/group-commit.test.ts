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
  });

  it('database locked by another process: one busy wait for the whole batch; writable() reports it until the lock is gone', async () => {
    const { db, path } = await open();
    const commits = new GroupCommit(db);
    const other = new BetterSqlite3(path);
    other.exec('BEGIN IMMEDIATE');
    const started = Date.now();
    const results = await Promise.allSettled([1, 2, 3].map((i) => commits.run((tx) => note(tx, `n${i}`))));
    const waited = Date.now() - started;
    assert.ok(results.every((r) => r.status === 'rejected' && storageUnavailable(r.reason)));
    assert.ok(waited < 9000, `the batch waited ${waited} ms: jobs were retried one by one`);

    const trouble = await commits.writable();
    assert.match(trouble?.message ?? '', /database is locked/);
    other.exec('ROLLBACK');
    other.close();
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal(await commits.writable(), undefined);
    await commits.run((tx) => note(tx, 'after'));
    assert.equal(await count(db), 1);
  });
});
