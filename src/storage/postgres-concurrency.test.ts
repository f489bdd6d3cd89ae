/**
 * PostgreSQL only: instances on one database meeting on the same rows, each on its own pool, in real concurrent
 * transactions. Every interleaving is forced with explicit transactions and promises (and the server's own view of
 * who waits for a lock), not with sleeps.
 */
import assert from 'node:assert/strict';
import { alertRow, contract, deliveryRow, lockWaiters, seedDeliveries } from '../../test/storage-dialects.ts';
import { findAlert, findAlertForUpdate, findAlertsByIdentity, insertAlert, listActiveAlerts, touchAlert, updateAlert } from './alerts-repo.ts';
import { claimDeliveries } from './deliveries-claim.ts';
import { enqueueDelivery, type EnqueueInput } from './deliveries-enqueue.ts';
import { GroupCommit } from './group-commit.ts';
import { acquireLease, renewLease } from './leases-repo.ts';
import { mutedDeliveries, settleMuted } from './silences-repo.ts';
import type { Db, Tx } from './schema.ts';
import { storageBusy } from './unavailable.ts';

const only = { only: ['postgres'] as const };

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

contract(
  'two instances ingesting the same new alert at once: one waits on the other, loses, and its group commit runs it again',
  async ({ db, connect }) => {
    const other = await connect();
    /** Ingest's decision, reduced: continue the alert if it exists, else create it. */
    const ingest = async (tx: Tx, id: string, afterInsert?: () => Promise<void>) => {
      const [found] = await findAlertsByIdentity(tx, 'prom', ['disk-full']);
      if (found) {
        await touchAlert(tx, found.id, 2_000, { staleAt: null, ttl: null });
        return `continued ${found.id}`;
      }
      await insertAlert(tx, alertRow(id, { dedup_key: 'disk-full' }));
      await afterInsert?.();
      return `created ${id}`;
    };
    const inserted = deferred();
    const commitA = deferred();
    const a = new GroupCommit(db).run((tx) =>
      ingest(tx, 'A', async () => {
        inserted.resolve();
        await commitA.promise;
      }),
    );
    await inserted.promise;
    const errorsOfB: unknown[] = [];
    let runsOfB = 0;
    const b = new GroupCommit(other).run(async (tx) => {
      runsOfB++;
      try {
        return await ingest(tx, 'B');
      } catch (e) {
        errorsOfB.push(e);
        throw e;
      }
    });
    // B found nothing (A has not committed) and its insert now waits on A's uncommitted row of the same identity.
    await lockWaiters(db, 1);
    commitA.resolve();
    assert.equal(await a, 'created A');
    assert.equal(await b, 'continued A');
    assert.equal(runsOfB, 2);
    assert.equal(errorsOfB.length, 1);
    assert.equal((errorsOfB[0] as { code?: string }).code, '23505');
    assert.ok(storageBusy(errorsOfB[0]), 'the duplicate identity is a conflict worth running again');
    assert.deepEqual(
      (await db.selectFrom('alerts').select(['id', 'event_count']).execute()).map((r) => [r.id, r.event_count]),
      [['A', 2]],
    );
  },
  only,
);

contract(
  'two instances continuing the same alert at once: the second reads it only after the first committed (no lost update)',
  async ({ db, connect }) => {
    const other = await connect();
    await insertAlert(db, alertRow('A', { dedup_key: 'disk-full', event_count: 1 }));
    /** Ingest's read-decide-write: the new count is computed from the row read, as merges and decisions are. */
    const bump = async (tx: Tx) => {
      const [found] = await findAlertsByIdentity(tx, 'prom', ['disk-full']);
      await updateAlert(tx, found!.id, { event_count: found!.event_count + 1 });
      return found!.event_count;
    };
    const first = await db.startTransaction().execute();
    assert.equal(await bump(first), 1);
    const second = other.transaction().execute(bump);
    await lockWaiters(db, 1);
    await first.commit().execute();
    assert.equal(await second, 2, 'the second read the first one\'s committed row');
    assert.equal((await findAlert(db, 'A'))?.event_count, 3);
  },
  only,
);

const enqueue = (over: Partial<EnqueueInput>): EnqueueInput => ({ destination: 'pager', alertId: 'A', episode: 1, payload: '{"v":2}', status: 'firing', priority: 3, now: 2_000, ...over });
const claim = (db: Db, limit = 10) => db.transaction().execute((tx) => claimDeliveries(tx, 'pager', limit, 5_000));

contract(
  'the claim passes over a pending row an ingest is coalescing into (SKIP LOCKED), and takes it afterwards with the newer payload',
  async ({ db, connect }) => {
    const sender = await connect();
    const [rowA, rowB] = await seedDeliveries(db, [deliveryRow('A', { payload: '{"v":1}', priority: 4 }), deliveryRow('B', { payload: '{"v":1}' })]);
    const ingest = await db.startTransaction().execute();
    try {
      assert.equal(await enqueueDelivery(ingest, enqueue({})), 'coalesced');
      // A's row is locked by the open ingest: passed over, not waited for (waiting would end in lock_timeout, since
      // the ingest commits only after the claim returns).
      assert.deepEqual(
        (await claim(sender)).map((r) => r.id),
        [rowB],
      );
      await ingest.commit().execute();
    } catch (e) {
      await ingest.rollback().execute();
      throw e;
    }
    const [taken] = await claim(sender);
    assert.deepEqual([taken?.id, taken?.payload, taken?.status], [rowA, '{"v":2}', 'in_flight']);
  },
  only,
);

contract(
  'an ingest meeting a row a claim is putting in flight waits for it, then queues a new row behind it (never rewrites it)',
  async ({ db, connect }) => {
    const sender = await connect();
    const [rowA] = await seedDeliveries(db, [deliveryRow('A', { payload: '{"v":1}' })]);
    const claimTx = await sender.startTransaction().execute();
    assert.deepEqual(
      (await claimDeliveries(claimTx, 'pager', 10, 5_000)).map((r) => r.id),
      [rowA],
    );
    const ingest = db.transaction().execute((tx) => enqueueDelivery(tx, enqueue({})));
    await lockWaiters(db, 1);
    await claimTx.commit().execute();
    assert.equal(await ingest, 'inserted');
    assert.deepEqual(
      (await db.selectFrom('deliveries').select(['id', 'status', 'payload']).orderBy('id').execute()).map((r) => [r.status, r.payload]),
      [
        ['in_flight', '{"v":1}'],
        ['pending', '{"v":2}'],
      ],
    );
  },
  only,
);

contract(
  'the mute task lifting a row an ingest is re-muting (a new silence) waits for it and leaves the new mute in place',
  async ({ db, connect }) => {
    const ingestPool = await connect();
    const [id] = await seedDeliveries(db, [deliveryRow('A', { status: 'muted', muted_by: 'silence:S1', payload: '{"v":1}' })]);
    // The mute task read the row muted by S1 and decided S1 no longer holds (its view has no S2 yet).
    const [read] = await mutedDeliveries(db, 0, 10);
    assert.equal(read!.muted_by, 'silence:S1');
    const ingestTx = await ingestPool.startTransaction().execute();
    assert.equal(await enqueueDelivery(ingestTx, enqueue({ mutedBy: 'silence:S2' })), 'muted');
    const lift = db.transaction().execute((tx) => settleMuted(tx, id!, read!.muted_by, { status: 'pending' }, 3_000));
    await lockWaiters(db, 1);
    await ingestTx.commit().execute();
    assert.equal(await lift, false, 'the row is muted by something the task did not see');
    assert.deepEqual(
      (await db.selectFrom('deliveries').select(['status', 'muted_by', 'payload']).execute()).map((r) => [r.status, r.muted_by, r.payload]),
      [['muted', 'silence:S2', '{"v":2}']],
    );
  },
  only,
);

contract(
  'two pools claiming at once never hand out the same row, nor two rows of one alert, and keep per-alert order',
  async ({ db, connect }) => {
    const pools = [db, await connect()];
    const rows = [];
    for (let e = 1; e <= 2; e++) for (let a = 0; a < 300; a++) rows.push(deliveryRow(`A${a}`, { episode: e, priority: (a + e) % 5 }));
    await seedDeliveries(db, rows);
    const seen = new Set<number>();
    const order = new Map<string, number[]>();
    for (let round = 0; seen.size < rows.length; round++) {
      assert.ok(round < 200, 'the drain stalled');
      const batches = await Promise.all(pools.map((p) => claim(p, 25)));
      const flying = await db.selectFrom('deliveries').select('alert_id').where('status', '=', 'in_flight').execute();
      assert.equal(new Set(flying.map((r) => r.alert_id)).size, flying.length, 'two rows of one alert in flight');
      for (const r of batches.flat()) {
        assert.ok(!seen.has(r.id), `row ${r.id} handed out twice`);
        seen.add(r.id);
        order.set(r.alert_id, [...(order.get(r.alert_id) ?? []), r.episode]);
      }
      const ids = batches.flat().map((r) => r.id);
      if (ids.length) await db.updateTable('deliveries').set({ status: 'delivered' }).where('id', 'in', ids).execute();
    }
    for (const [alert, episodes] of order) assert.deepEqual(episodes, [1, 2], `order of ${alert}`);
  },
  only,
);

contract(
  'reads made to change an alert (findAlertForUpdate, listActiveAlerts) wait for a transaction changing it, then see its commit',
  async ({ db, connect }) => {
    const other = await connect();
    await insertAlert(db, alertRow('A', { routed_to: '["pager"]' }));
    for (const read of [(tx: Tx) => findAlertForUpdate(tx, 'A'), async (tx: Tx) => (await listActiveAlerts(tx, '', 10))[0]]) {
      const writer = await db.startTransaction().execute();
      const before = (await findAlertForUpdate(writer, 'A'))!.routed_to;
      const routed = JSON.stringify([...JSON.parse(before), 'log']);
      await updateAlert(writer, 'A', { routed_to: routed });
      const reader = other.transaction().execute(read);
      await lockWaiters(db, 1);
      await writer.commit().execute();
      assert.equal((await reader)?.routed_to, routed);
    }
  },
  only,
);

contract(
  "a standby looking at a lease never waits for the holder's open transaction (the read takes no lock)",
  async ({ db, connect }) => {
    const standby = await connect();
    assert.equal((await acquireLease(db, { name: 'sender:pager', me: 'A', now: 1_000, ttlMs: 15_000, holderGone: () => false })).kind, 'acquired');
    const holder = await db.startTransaction().execute();
    try {
      // The holder fences a unit of work: its renewal holds the lease row's lock until it commits.
      assert.equal(await renewLease(holder, { name: 'sender:pager', me: 'A', epoch: 1, now: 2_000, ttlMs: 15_000 }), true);
      // Waiting would end in lock_timeout: the holder commits only after the standby's look returns.
      const seen = await standby.transaction().execute((tx) => acquireLease(tx, { name: 'sender:pager', me: 'B', now: 3_000, ttlMs: 15_000, holderGone: () => false }));
      assert.deepEqual(seen, { kind: 'held', holder: 'A', expiresAt: 16_000 }, 'the last committed renewal');
      await holder.commit().execute();
    } catch (e) {
      await holder.rollback().execute();
      throw e;
    }
  },
  only,
);
