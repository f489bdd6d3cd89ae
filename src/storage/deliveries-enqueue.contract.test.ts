/**
 * The outbox rule on SQLite and PostgreSQL alike: one waiting row per (destination, alert) that newer states coalesce
 * into; a row in flight is never rewritten; an episode incident.io never heard of is not sent just to be resolved.
 */
import assert from 'node:assert/strict';
import { contract, deliveryRow, seedDeliveries } from '../../test/storage-dialects.ts';
import { claimDeliveries } from './deliveries-claim.ts';
import { enqueueDelivery, type EnqueueInput } from './deliveries-enqueue.ts';
import { InsertBuffer } from './insert-buffer.ts';
import type { Db } from './schema.ts';

const input = (over: Partial<EnqueueInput> = {}): EnqueueInput => ({
  destination: 'pager',
  alertId: 'A',
  episode: 1,
  payload: '{"v":1}',
  status: 'firing',
  priority: 2,
  now: 1_000,
  ...over,
});

const rows = (db: Db) =>
  db.selectFrom('deliveries').select(['id', 'destination', 'alert_id', 'episode', 'status', 'payload', 'priority', 'attempts', 'next_attempt_at', 'updated_at', 'hint']).orderBy('id').execute();
const claim = (db: Db, now = 2_000) => db.transaction().execute((tx) => claimDeliveries(tx, 'pager', 10, now));

contract('a first state inserts a pending row, due now, with no attempts', async ({ db }) => {
  assert.equal(await enqueueDelivery(db, input({ now: 1_764_000_000_000 })), 'inserted');
  const [r] = await rows(db);
  assert.deepEqual(
    { ...r, id: typeof r?.id },
    {
      id: 'number',
      destination: 'pager',
      alert_id: 'A',
      episode: 1,
      status: 'pending',
      payload: '{"v":1}',
      priority: 2,
      attempts: 0,
      next_attempt_at: 1_764_000_000_000,
      updated_at: 1_764_000_000_000,
      hint: null,
    },
  );
});

contract('a newer state coalesces into the pending row (payload, priority, updated_at), per destination', async ({ db }) => {
  await enqueueDelivery(db, input());
  await enqueueDelivery(db, input({ destination: 'log' }));
  assert.equal(await enqueueDelivery(db, input({ payload: '{"v":2}', priority: 4, now: 1_500 })), 'coalesced');
  assert.equal(await enqueueDelivery(db, input({ payload: '{"v":3}', priority: 1, now: 1_600 })), 'coalesced');
  const [pager, log] = await rows(db);
  assert.deepEqual([pager?.payload, pager?.priority, pager?.updated_at, pager?.next_attempt_at], ['{"v":3}', 1, 1_600, 1_000]);
  assert.deepEqual([log?.destination, log?.payload], ['log', '{"v":1}']);
  assert.equal((await rows(db)).length, 2);
});

contract('never into a row in flight: the newer state queues behind it, and goes after it', async ({ db }) => {
  await enqueueDelivery(db, input());
  const [flying] = await claim(db);
  assert.equal(await enqueueDelivery(db, input({ payload: '{"v":2}', now: 2_100 })), 'inserted');
  assert.equal(await enqueueDelivery(db, input({ payload: '{"v":3}', now: 2_200 })), 'coalesced');
  const [a, b] = await rows(db);
  assert.deepEqual([a?.id, a?.status, a?.payload], [flying?.id, 'in_flight', '{"v":1}']);
  assert.deepEqual([b?.status, b?.payload], ['pending', '{"v":3}']);
  assert.deepEqual(await claim(db, 3_000), [], 'the newer row waits for the one in flight');
  await db.updateTable('deliveries').set({ status: 'delivered' }).where('id', '=', flying!.id).execute();
  assert.deepEqual(
    (await claim(db, 3_000)).map((r) => r.payload),
    ['{"v":3}'],
  );
});

contract('a new episode never merges into the previous episode\'s waiting row', async ({ db }) => {
  await enqueueDelivery(db, input({ status: 'resolved', payload: '{"resolved":1}' }));
  assert.equal(await enqueueDelivery(db, input({ episode: 2, payload: '{"v":2}' })), 'inserted');
  assert.deepEqual(
    (await rows(db)).map((r) => [r.episode, r.status, r.payload]),
    [
      [1, 'pending', '{"resolved":1}'],
      [2, 'pending', '{"v":2}'],
    ],
  );
});

contract('resolved before delivery: the waiting row is skipped (with the resolve), nothing is sent', async ({ db }) => {
  await enqueueDelivery(db, input());
  assert.equal(await enqueueDelivery(db, input({ status: 'resolved', payload: '{"resolved":1}', now: 1_200 })), 'resolved_before_delivery');
  const [r] = await rows(db);
  assert.deepEqual([r?.status, r?.payload, r?.hint, r?.updated_at], ['skipped', '{"resolved":1}', 'resolved before delivery', 1_200]);
  assert.deepEqual(await claim(db), []);
  // The next episode starts a row of its own.
  assert.equal(await enqueueDelivery(db, input({ episode: 2 })), 'inserted');
});

contract('a resolve coalesces (and is sent) once the episode may have reached the destination', async ({ db }) => {
  // Retried: the waiting row itself was tried.
  await seedDeliveries(db, [deliveryRow('A', { attempts: 1, payload: '{"v":1}' })]);
  assert.equal(await enqueueDelivery(db, input({ status: 'resolved', payload: '{"r":1}' })), 'coalesced');
  // An earlier row of the episode was delivered (or is in flight): the waiting row has no attempts of its own.
  for (const status of ['delivered', 'in_flight'] as const) {
    const alertId = `B-${status}`;
    await seedDeliveries(db, [deliveryRow(alertId, { status }), deliveryRow(alertId, { payload: '{"v":2}' })]);
    assert.equal(await enqueueDelivery(db, input({ alertId, status: 'resolved', payload: '{"r":1}' })), 'coalesced', status);
  }
  // Another episode's delivery does not count.
  await seedDeliveries(db, [deliveryRow('C', { status: 'delivered', episode: 1 }), deliveryRow('C', { episode: 2 })]);
  assert.equal(await enqueueDelivery(db, input({ alertId: 'C', episode: 2, status: 'resolved' })), 'resolved_before_delivery');
  assert.deepEqual(
    (await rows(db)).filter((r) => r.status === 'skipped').map((r) => r.alert_id),
    ['C'],
  );
});

contract('orphaned: a row for an unconfigured destination is kept as orphaned, and newer states coalesce into it', async ({ db }) => {
  assert.equal(await enqueueDelivery(db, input({ destination: 'gone', orphaned: true })), 'inserted');
  assert.equal(await enqueueDelivery(db, input({ destination: 'gone', orphaned: true, payload: '{"v":2}' })), 'coalesced');
  assert.deepEqual(
    (await rows(db)).map((r) => [r.destination, r.status, r.payload]),
    [['gone', 'orphaned', '{"v":2}']],
  );
});

contract('newAlert skips the lookup: the alert is new, so a row is inserted at once', async ({ db }) => {
  assert.equal(await enqueueDelivery(db, input({ newAlert: true })), 'inserted');
  assert.equal(await enqueueDelivery(db, input({ alertId: 'B', newAlert: true })), 'inserted');
  assert.deepEqual(
    (await rows(db)).map((r) => r.alert_id),
    ['A', 'B'],
  );
});

contract('held inserts: a second state in the same unit of work finds the held row and coalesces into it', async ({ db }) => {
  await db.transaction().execute(async (tx) => {
    const held = new InsertBuffer(tx);
    assert.equal(await enqueueDelivery(tx, input({ newAlert: true }), held), 'inserted');
    assert.equal(await enqueueDelivery(tx, input({ alertId: 'B', newAlert: true }), held), 'inserted');
    assert.equal(await enqueueDelivery(tx, input({ payload: '{"v":2}' }), held), 'coalesced');
    await held.flush();
  });
  assert.deepEqual(
    (await rows(db)).map((r) => [r.alert_id, r.payload]),
    [
      ['A', '{"v":2}'],
      ['B', '{"v":1}'],
    ],
  );
});
