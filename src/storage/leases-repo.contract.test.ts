/**
 * Named leases on SQLite and PostgreSQL alike: acquire, renew, release, takeover at expiry or when the holder is known
 * dead, the fencing epoch, and compare-and-set when two instances take over at once (each on its own connection).
 */
import assert from 'node:assert/strict';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { contract } from '../../test/storage-dialects.ts';
import { GroupCommit } from './group-commit.ts';
import { acquireLease, holdsLease, listLeases, releaseLease, renewLease, type AcquireInput, type AcquireOutcome } from './leases-repo.ts';
import type { Db, Executor } from './schema.ts';

const TTL = 15_000;
const T0 = 1_764_000_000_000;
const input = (me: string, now: number, holderGone: AcquireInput['holderGone'] = () => false): AcquireInput => ({ name: 'sender:pager', me, now, ttlMs: TTL, holderGone });
const tenure = (me: string, epoch: number, now: number) => ({ name: 'sender:pager', me, epoch, now, ttlMs: TTL });

contract('a free lease is acquired at epoch 1; its row reads back with numbers', async ({ db }) => {
  assert.deepEqual(await acquireLease(db, input('A', T0)), { kind: 'acquired', epoch: 1 });
  assert.deepEqual(await listLeases(db), [{ name: 'sender:pager', holder: 'A', epoch: 1, expires_at: T0 + TTL, acquired_at: T0, renewed_at: T0 }]);
});

contract('the holder keeps its epoch when it acquires again or renews; another instance is told who holds it until when', async ({ db }) => {
  await acquireLease(db, input('A', T0));
  assert.deepEqual(await acquireLease(db, input('A', T0 + 1_000)), { kind: 'acquired', epoch: 1 });
  assert.equal(await renewLease(db, tenure('A', 1, T0 + 2_000)), true);
  assert.deepEqual(await acquireLease(db, input('B', T0 + 2_000 + TTL - 1)), { kind: 'held', holder: 'A', expiresAt: T0 + 2_000 + TTL });
  assert.equal(await renewLease(db, tenure('A', 2, T0 + 3_000)), false, 'another epoch');
  assert.equal(await renewLease(db, tenure('B', 1, T0 + 3_000)), false, 'another holder');
  assert.equal(await renewLease(db, { ...tenure('A', 1, T0 + 3_000), name: 'other' }), false, 'another lease');
  const [row] = await listLeases(db);
  assert.deepEqual(row, { name: 'sender:pager', holder: 'A', epoch: 1, expires_at: T0 + 2_000 + TTL, acquired_at: T0, renewed_at: T0 + 2_000 });
});

contract('an expired lease is taken over with the next epoch; the old holder is fenced off', async ({ db }) => {
  await acquireLease(db, input('A', T0));
  // Expiry is inclusive: at expires_at the lease is free.
  assert.deepEqual(await acquireLease(db, input('B', T0 + TTL)), { kind: 'acquired', epoch: 2, from: { holder: 'A', expired: true } });
  assert.equal(await renewLease(db, tenure('A', 1, T0 + TTL + 1)), false, 'the stalled holder renews nothing');
  assert.equal(await releaseLease(db, tenure('A', 1, T0 + TTL + 1)), false, 'nor releases it');
  assert.deepEqual(await acquireLease(db, input('A', T0 + TTL + 2)), { kind: 'held', holder: 'B', expiresAt: T0 + 2 * TTL });
  assert.equal(await renewLease(db, tenure('B', 2, T0 + TTL + 3)), true);
  assert.deepEqual(
    (await listLeases(db)).map((l) => [l.holder, l.epoch, l.acquired_at]),
    [['B', 2, T0 + TTL]],
  );
});

contract('a released lease is taken at once, with no previous holder to warn about', async ({ db }) => {
  await acquireLease(db, input('A', T0));
  assert.equal(await releaseLease(db, tenure('A', 1, T0 + 10)), true);
  assert.deepEqual(
    (await listLeases(db)).map((l) => [l.holder, l.expires_at, l.renewed_at]),
    [['A', 0, T0 + 10]],
  );
  assert.deepEqual(await acquireLease(db, input('B', T0 + 20)), { kind: 'acquired', epoch: 2, from: undefined });
  assert.equal(await renewLease(db, tenure('A', 1, T0 + 30)), false);
});

contract('a holder known to be gone is taken over before its expiry; one not known gone is waited for', async ({ db }) => {
  await acquireLease(db, input('A', T0));
  const asked: string[] = [];
  assert.deepEqual(await acquireLease(db, input('B', T0 + 1, (h) => (asked.push(h), false))), { kind: 'held', holder: 'A', expiresAt: T0 + TTL });
  assert.deepEqual(await acquireLease(db, input('B', T0 + 2, (h) => (asked.push(h), h === 'A'))), { kind: 'acquired', epoch: 2, from: { holder: 'A', expired: false } });
  assert.deepEqual(asked, ['A', 'A']);
  assert.equal(await renewLease(db, tenure('A', 1, T0 + 3)), false);
});

contract('leases are independent by name and listed in name order', async ({ db }) => {
  await acquireLease(db, { ...input('A', T0), name: 'sender:zeta' });
  await acquireLease(db, { ...input('B', T0), name: 'sender:alpha' });
  assert.deepEqual(
    (await listLeases(db)).map((l) => [l.name, l.holder, l.epoch]),
    [
      ['sender:alpha', 'B', 1],
      ['sender:zeta', 'A', 1],
    ],
  );
});

/**
 * Holds the first read made through it until `release` is called: an instance that has read the lease row but not
 * yet written it, so another instance can act in between. `reached` resolves once that read returned.
 */
function pauseAfterFirstRead(): { plugin: KyselyPlugin; reached: Promise<void>; release(): void } {
  let held: string | undefined;
  let used = false;
  let reached!: () => void;
  let release!: () => void;
  const reachedP = new Promise<void>((r) => (reached = r));
  const gate = new Promise<void>((r) => (release = r));
  const plugin: KyselyPlugin = {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      if (!used && args.node.kind === 'SelectQueryNode') ((used = true), (held = args.queryId.queryId));
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      if (args.queryId.queryId === held) {
        held = undefined;
        reached();
        await gate;
      }
      return args.result;
    },
  };
  return { plugin, reached: reachedP, release };
}

/** B reads the lease, A acts on its own connection, then B goes on from what it read. */
async function race(a: (ex: Executor) => Promise<AcquireOutcome>, b: (ex: Executor) => Promise<AcquireOutcome>, dbA: Db, dbB: Db, run = (db: Db, f: (ex: Executor) => Promise<AcquireOutcome>) => f(db)) {
  const pause = pauseAfterFirstRead();
  const second = run(dbB.withPlugin(pause.plugin), b);
  await pause.reached;
  const first = await run(dbA, a);
  pause.release();
  return [first, await second] as const;
}

contract('two instances take over an expired lease at once: the compare-and-set lets one win', async ({ db, connect }) => {
  const other = await connect();
  await acquireLease(db, input('OLD', T0));
  const [a, b] = await race((ex) => acquireLease(ex, input('A', T0 + TTL)), (ex) => acquireLease(ex, input('B', T0 + TTL)), db, other);
  assert.deepEqual(a, { kind: 'acquired', epoch: 2, from: { holder: 'OLD', expired: true } });
  assert.equal(b.kind, 'held');
  assert.deepEqual(
    (await listLeases(db)).map((l) => [l.holder, l.epoch]),
    [['A', 2]],
  );
  assert.equal(await renewLease(other, tenure('B', 2, T0 + TTL + 1)), false);
});

contract('two instances take over at once, each in a group-commit transaction: one wins, the other is told it is held', async ({ db, connect, dialect }) => {
  const other = await connect();
  await acquireLease(db, input('OLD', T0));
  // On SQLite the second transaction's write meets a newer snapshot (busy) and the group commit runs it again; on
  // PostgreSQL its compare-and-set finds the epoch changed. Either way: held, never two holders.
  const inCommit = (d: Db, f: (ex: Executor) => Promise<AcquireOutcome>) => {
    const commits = new GroupCommit(d);
    return commits.run((tx) => f(tx));
  };
  let runsOfB = 0;
  const [a, b] = await race((ex) => acquireLease(ex, input('A', T0 + TTL)), (ex) => (runsOfB++, acquireLease(ex, input('B', T0 + TTL))), db, other, inCommit);
  assert.equal(a.kind, 'acquired');
  assert.equal(b.kind, 'held');
  assert.equal(runsOfB, dialect === 'sqlite' ? 2 : 1);
  assert.deepEqual(
    (await listLeases(db)).map((l) => [l.holder, l.epoch]),
    [['A', 2]],
  );
});

contract('two instances acquire a lease never held before at once: one inserts it, the other is told it is held', async ({ db, connect }) => {
  const other = await connect();
  const [a, b] = await race((ex) => acquireLease(ex, input('A', T0)), (ex) => acquireLease(ex, input('B', T0)), db, other);
  assert.deepEqual(a, { kind: 'acquired', epoch: 1 });
  assert.deepEqual(b, { kind: 'held', holder: 'A', expiresAt: T0 + TTL });
  assert.deepEqual(
    (await listLeases(db)).map((l) => [l.holder, l.epoch]),
    [['A', 1]],
  );
});

contract('holdsLease: true for the current tenure only, and it writes nothing', async ({ db }) => {
  await acquireLease(db, input('A', T0));
  const before = await listLeases(db);
  assert.equal(await holdsLease(db, { name: 'sender:pager', me: 'A', epoch: 1 }), true);
  assert.equal(await holdsLease(db, { name: 'sender:pager', me: 'A', epoch: 2 }), false);
  assert.equal(await holdsLease(db, { name: 'sender:pager', me: 'B', epoch: 1 }), false);
  assert.deepEqual(await listLeases(db), before);
  await acquireLease(db, input('B', T0 + TTL));
  assert.equal(await holdsLease(db, { name: 'sender:pager', me: 'A', epoch: 1 }), false, 'taken over');
});
