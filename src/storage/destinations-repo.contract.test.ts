/** destinations-repo.ts on SQLite and PostgreSQL alike: orphaned rows and their revival, destination targets. */
import assert from 'node:assert/strict';
import { contract, deliveryRow, seedDeliveries } from '../../test/storage-dialects.ts';
import { claimDeliveries } from './deliveries-claim.ts';
import { enqueueDelivery } from './deliveries-enqueue.ts';
import { recordTargets, reconcileOrphans } from './destinations-repo.ts';
import type { Db } from './schema.ts';

const statuses = async (db: Db) =>
  (await db.selectFrom('deliveries').select(['alert_id', 'destination', 'status', 'next_attempt_at', 'updated_at', 'hint']).orderBy('id').execute()).map(
    (r) => `${r.alert_id}@${r.destination}:${r.status}:${r.next_attempt_at}:${r.updated_at}:${r.hint ?? '-'}`,
  );

contract('rows queued or in flight for a destination no longer configured become orphaned; sent rows stay as they are', async ({ db }) => {
  await seedDeliveries(db, [
    deliveryRow('A', { destination: 'gone' }),
    deliveryRow('B', { destination: 'gone', status: 'in_flight' }),
    deliveryRow('C', { destination: 'gone', status: 'delivered' }),
    deliveryRow('D', { destination: 'gone', status: 'dead' }),
    deliveryRow('E', { destination: 'pager' }),
    deliveryRow('F', { destination: 'also-gone', next_attempt_at: 9_000 }),
  ]);
  const r = await reconcileOrphans(db, ['pager'], 2_000);
  assert.deepEqual(r, { orphaned: new Map([['gone', 2], ['also-gone', 1]]), revived: 0 });
  assert.deepEqual(await statuses(db), [
    'A@gone:orphaned:1000:2000:-',
    'B@gone:orphaned:1000:2000:-',
    'C@gone:delivered:1000:1000:-',
    'D@gone:dead:1000:1000:-',
    'E@pager:pending:1000:1000:-',
    'F@also-gone:orphaned:9000:2000:-',
  ]);
  assert.deepEqual(await db.transaction().execute((tx) => claimDeliveries(tx, 'gone', 10, 5_000)), [], 'orphans are never claimed');
  // The same config again changes nothing and reports the same orphans.
  assert.deepEqual(await reconcileOrphans(db, ['pager'], 3_000), { orphaned: new Map([['gone', 2], ['also-gone', 1]]), revived: 0 });
});

contract('orphans of a destination configured again go back to pending, due now, hint cleared; the rest stay orphaned', async ({ db }) => {
  await seedDeliveries(db, [
    deliveryRow('A', { destination: 'back', status: 'orphaned', hint: 'destination removed' }),
    deliveryRow('B', { destination: 'back', status: 'orphaned', next_attempt_at: 9_000 }),
    deliveryRow('C', { destination: 'gone', status: 'orphaned' }),
  ]);
  const r = await reconcileOrphans(db, ['back', 'pager'], 2_000);
  assert.deepEqual(r, { orphaned: new Map([['gone', 1]]), revived: 2 });
  assert.deepEqual(await statuses(db), ['A@back:pending:2000:2000:-', 'B@back:pending:2000:2000:-', 'C@gone:orphaned:1000:1000:-']);
  // A revived row is claimed and coalesced into like any pending row.
  assert.equal(await enqueueDelivery(db, { destination: 'back', alertId: 'A', episode: 1, payload: '{"v":2}', status: 'firing', priority: 3, now: 2_100 }), 'coalesced');
  assert.deepEqual(
    (await db.transaction().execute((tx) => claimDeliveries(tx, 'back', 10, 2_000))).map((d) => [d.alert_id, d.payload]),
    [
      ['A', '{"v":2}'],
      ['B', '{}'],
    ],
  );
});

contract('no destination configured: every queued row is orphaned, nothing revived', async ({ db }) => {
  await seedDeliveries(db, [deliveryRow('A'), deliveryRow('B', { destination: 'log', status: 'in_flight' }), deliveryRow('C', { status: 'orphaned' })]);
  assert.deepEqual(await reconcileOrphans(db, [], 2_000), { orphaned: new Map([['pager', 2], ['log', 1]]), revived: 0 });
});

contract('recordTargets stores each destination\'s target and names those re-pointed since last time', async ({ db }) => {
  assert.deepEqual(await recordTargets(db, new Map(), 1_000), new Set());
  assert.deepEqual(await recordTargets(db, new Map([['pager', 'incident.io:src1'], ['log', 'stdout']]), 1_000), new Set(), 'first sight is no change');
  assert.deepEqual(await recordTargets(db, new Map([['pager', 'incident.io:src1'], ['log', 'stdout']]), 2_000), new Set());
  assert.deepEqual(await recordTargets(db, new Map([['pager', 'incident.io:src2'], ['new', 'x']]), 3_000), new Set(['pager']));
  assert.deepEqual(await db.selectFrom('destination_targets').selectAll().orderBy('destination').execute(), [
    { destination: 'log', target: 'stdout', updated_at: 1_000 },
    { destination: 'new', target: 'x', updated_at: 3_000 },
    { destination: 'pager', target: 'incident.io:src2', updated_at: 3_000 },
  ]);
});
