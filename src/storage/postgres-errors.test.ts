/**
 * PostgreSQL only: the errors a real server gives are classified as unavailable.ts means them. An outage (refused,
 * stopped) makes ingest answer 503 and senders back off; a conflict between instances (deadlock, serialization
 * failure, lock timeout, the same new alert twice) is run again by the group commit; anything else is a bug.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { sql } from 'kysely';
import { startServer } from '../../test/postgres.ts';
import { contract, lockWaiters } from '../../test/storage-dialects.ts';
import { GroupCommit } from './group-commit.ts';
import { openPostgres } from './postgres.ts';
import type { Db, Executor, Tx } from './schema.ts';
import { storageBusy, storageUnavailable } from './unavailable.ts';

const only = { only: ['postgres'] as const };

/** What unavailable.ts makes of an error: 'busy' (run again), 'unavailable' (an outage), or 'bug'. */
const kind = (e: unknown) => (storageBusy(e) ? 'busy' : storageUnavailable(e) ? 'unavailable' : 'bug');
const code = (e: unknown) => (e as { code?: string }).code;

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the statement to fail');
}

const lockLease = (tx: Tx, name: string) => sql`select name from leases where name = ${name} for update`.execute(tx);
const leases = (db: Executor) => db.insertInto('leases').values(['a', 'b'].map((name) => ({ name, holder: 'h', epoch: 1, expires_at: 0, acquired_at: 0, renewed_at: 0 }))).execute();

test('a refused connection is storage unavailable [postgres]', async () => {
  // A loopback port nobody listens on: taken, then let go.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
  const e = await rejection(openPostgres({ url: `postgres://postgres@127.0.0.1:${port}/tocsin`, poolSize: 2 }));
  assert.equal(kind(e), 'unavailable', String(e));
});

test('a server that stops under a running instance is storage unavailable, for queries and group commits alike [postgres]', { timeout: 120_000 }, async () => {
  const server = await startServer();
  let db: Db | undefined;
  try {
    db = await openPostgres({ url: `${server.base}/postgres`, poolSize: 2 });
    const commits = new GroupCommit(db);
    // One job is inside its transaction when the server goes; the next one comes after.
    let started!: () => void;
    let goOn!: () => void;
    const inside = new Promise<void>((r) => (started = r));
    const gate = new Promise<void>((r) => (goOn = r));
    const cut = commits.run(async (tx) => {
      await sql`select 1`.execute(tx);
      started();
      await gate;
      await sql`update kysely_migration_lock set is_locked = is_locked`.execute(tx);
    });
    await inside;
    server.stop();
    goOn();
    const during = await rejection(cut);
    assert.equal(kind(during), 'unavailable', String(during));
    const job = await rejection(commits.run((tx) => sql`update kysely_migration_lock set is_locked = is_locked`.execute(tx)));
    assert.equal(kind(job), 'unavailable', String(job));
    const query = await rejection(db.selectFrom('leases').selectAll().execute());
    assert.equal(kind(query), 'unavailable', String(query));
  } finally {
    server.stop();
    await db?.destroy().catch(() => undefined);
  }
});

contract(
  'a connection the server ends (an administrator, a failover: 57P01) is unavailable, and the pool replaces it',
  async ({ db, connect }) => {
    const other = await connect();
    const tx = await other.startTransaction().execute();
    const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx)).rows[0]!.pid;
    await sql`select pg_terminate_backend(${pid})`.execute(db);
    const e = await rejection(sql`select 1`.execute(tx));
    assert.equal(kind(e), 'unavailable', String(e));
    await tx.rollback().execute().catch(() => undefined);
    // The next unit of work gets a new connection.
    assert.equal(await new GroupCommit(other).run(async (t) => (await sql<{ n: number }>`select 1 as n`.execute(t)).rows[0]!.n), 1);
  },
  only,
);

contract(
  'a deadlock between two instances (40P01) is a conflict to run again',
  async ({ db, connect }) => {
    const other = await connect();
    await leases(db);
    const [t1, t2] = [await db.startTransaction().execute(), await other.startTransaction().execute()];
    try {
      // Deadlocks are looked for after this long (a superuser setting; the test server's user is one).
      for (const t of [t1, t2]) await sql`set local deadlock_timeout = '50ms'`.execute(t);
      await lockLease(t1, 'a');
      await lockLease(t2, 'b');
      const first = lockLease(t1, 'b');
      await lockWaiters(db, 1);
      const second = lockLease(t2, 'a');
      const settled = await Promise.allSettled([first, second]);
      const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      assert.equal(failed.length, 1, 'one of the two is chosen to fail');
      assert.equal(code(failed[0]!.reason), '40P01');
      assert.equal(kind(failed[0]!.reason), 'busy');
    } finally {
      for (const t of [t1, t2]) await t.rollback().execute().catch(() => undefined);
    }
  },
  only,
);

contract(
  'a row lock not free within lock_timeout (55P03) and a serialization failure (40001) are conflicts to run again',
  async ({ db, connect }) => {
    const other = await connect();
    await leases(db);
    const holder = await db.startTransaction().execute();
    const waiter = await other.startTransaction().execute();
    try {
      await lockLease(holder, 'a');
      await sql`set local lock_timeout = '50ms'`.execute(waiter);
      const e = await rejection(lockLease(waiter, 'a'));
      assert.deepEqual([code(e), kind(e)], ['55P03', 'busy']);
    } finally {
      await holder.rollback().execute();
      await waiter.rollback().execute();
    }
    const snapshot = await db.startTransaction().setIsolationLevel('repeatable read').execute();
    try {
      await snapshot.selectFrom('leases').selectAll().execute();
      await other.updateTable('leases').set({ epoch: 2 }).where('name', '=', 'a').execute();
      const e = await rejection(snapshot.updateTable('leases').set({ epoch: 3 }).where('name', '=', 'a').execute());
      assert.deepEqual([code(e), kind(e)], ['40001', 'busy']);
    } finally {
      await snapshot.rollback().execute();
    }
  },
  only,
);

contract(
  'a read-only transaction (a standby after a failover: 25006) is unavailable; other errors are bugs, not conflicts',
  async ({ db }) => {
    const ro = await db.startTransaction().execute();
    try {
      await sql`set transaction read only`.execute(ro);
      const e = await rejection(leases(ro));
      assert.deepEqual([code(e), kind(e)], ['25006', 'unavailable']);
    } finally {
      await ro.rollback().execute();
    }
    await leases(db);
    // Only a duplicate alert identity is a race worth running again; a duplicate elsewhere is a bug.
    const dup = await rejection(leases(db));
    assert.deepEqual([code(dup), kind(dup)], ['23505', 'bug']);
    const missing = await rejection(sql`select * from no_such_table`.execute(db));
    assert.deepEqual([code(missing), kind(missing)], ['42P01', 'bug']);
  },
  only,
);
