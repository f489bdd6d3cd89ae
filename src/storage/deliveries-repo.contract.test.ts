/** deliveries-repo.ts on SQLite and PostgreSQL alike: outcomes, attempts, listings, counts and per-episode state. */
import assert from 'node:assert/strict';
import { contract, deliveryRow, seedDeliveries } from '../../test/storage-dialects.ts';
import {
  attemptsSince,
  earlierAttemptMayHaveLanded,
  findDelivery,
  finishDelivery,
  listAttempts,
  listDeliveries,
  loadDestinationState,
  newerPendingExists,
  queueDepths,
  recordAttempt,
  saveDestinationState,
  type NewAttempt,
} from './deliveries-repo.ts';

contract('finishDelivery writes the outcome given and leaves the rest (undefined keeps, null clears)', async ({ db }) => {
  const [a, b] = await seedDeliveries(db, [deliveryRow('A', { status: 'in_flight' }), deliveryRow('B', { status: 'in_flight' })]);
  await finishDelivery(db, a!, { status: 'pending', now: 2_000, nextAttemptAt: 1_764_000_000_000, statusCode: 503, error: 'busy', requestId: 'r1', responseExcerpt: '{}', hint: 'later', latencyMs: 12 });
  await finishDelivery(db, a!, { status: 'delivered', now: 3_000, statusCode: 202, error: null, hint: null, latencyMs: 8 });
  const row = await findDelivery(db, a!);
  assert.deepEqual(row, {
    ...deliveryRow('A', { status: 'delivered', attempts: 1 }),
    id: a,
    next_attempt_at: 1_764_000_000_000,
    updated_at: 3_000,
    delivered_at: 3_000,
    last_status_code: 202,
    last_error: null,
    request_id: 'r1',
    response_excerpt: '{}',
    hint: null,
    latency_ms: 8,
    muted_by: null,
  });
  await finishDelivery(db, b!, { status: 'dead', now: 4_000, error: 'refused' });
  const dead = await findDelivery(db, b!);
  assert.deepEqual([dead?.status, dead?.delivered_at, dead?.last_error, dead?.last_status_code], ['dead', null, 'refused', null]);
  assert.equal(await findDelivery(db, 999_999), undefined);
});

contract('newerPendingExists: only a newer pending row of the same destination, alert and episode counts', async ({ db }) => {
  const [old] = await seedDeliveries(db, [deliveryRow('A', { status: 'in_flight' })]);
  const row = { id: old!, destination: 'pager', alert_id: 'A', episode: 1 };
  assert.equal(await newerPendingExists(db, row), false);
  await seedDeliveries(db, [deliveryRow('A', { destination: 'log' }), deliveryRow('A', { episode: 2 }), deliveryRow('B'), deliveryRow('A', { status: 'delivered' })]);
  assert.equal(await newerPendingExists(db, row), false);
  await seedDeliveries(db, [deliveryRow('A')]);
  assert.equal(await newerPendingExists(db, row), true);
});

const attempt = (deliveryId: number, at: number, over: Partial<NewAttempt> = {}): NewAttempt => ({
  delivery_id: deliveryId,
  destination: 'pager',
  at,
  outcome: 'retry',
  status_code: 503,
  latency_ms: 5,
  request_id: null,
  error: null,
  ...over,
});

contract('attempts are listed per delivery in order, read back with their types, and counted since a time', async ({ db }) => {
  const [a, b] = await seedDeliveries(db, [deliveryRow('A'), deliveryRow('B')]);
  await recordAttempt(db, attempt(a!, 1_764_000_000_000));
  await recordAttempt(db, attempt(b!, 1_764_000_000_500, { destination: 'log' }));
  await recordAttempt(db, attempt(a!, 1_764_000_001_000, { outcome: 'delivered', status_code: 202, request_id: 'req', error: null }));
  await recordAttempt(db, attempt(a!, 1_764_000_002_000, { outcome: 'failed', status_code: null, error: 'ECONNRESET' }));
  const list = await listAttempts(db, a!);
  assert.deepEqual(
    list.map(({ id: _id, ...x }) => x),
    [
      attempt(a!, 1_764_000_000_000),
      attempt(a!, 1_764_000_001_000, { outcome: 'delivered', status_code: 202, request_id: 'req' }),
      attempt(a!, 1_764_000_002_000, { outcome: 'failed', status_code: null, error: 'ECONNRESET' }),
    ],
  );
  assert.ok(list.every((x) => typeof x.id === 'number' && typeof x.delivery_id === 'number'));
  assert.equal(await attemptsSince(db, 'pager', 1_764_000_001_000), 2, 'since is inclusive');
  assert.equal(await attemptsSince(db, 'pager', 0), 3);
  assert.equal(await attemptsSince(db, 'log', 0), 1);
  assert.equal(await attemptsSince(db, 'none', 0), 0);
  assert.deepEqual(await listAttempts(db, 999_999), []);
});

contract('listDeliveries filters by status, destination and alert, newest first, and pages by id', async ({ db }) => {
  const ids = await seedDeliveries(db, [
    deliveryRow('A'),
    deliveryRow('A', { status: 'dead' }),
    deliveryRow('B', { destination: 'log' }),
    deliveryRow('B', { status: 'dead', destination: 'log' }),
    deliveryRow('C'),
  ]);
  const got = async (f: Parameters<typeof listDeliveries>[1]) => (await listDeliveries(db, f)).map((r) => ids.indexOf(r.id));
  assert.deepEqual(await got({ limit: 10 }), [4, 3, 2, 1, 0]);
  assert.deepEqual(await got({ limit: 10, status: 'dead' }), [3, 1]);
  assert.deepEqual(await got({ limit: 10, destination: 'log' }), [3, 2]);
  assert.deepEqual(await got({ limit: 10, alertId: 'A', status: 'pending' }), [0]);
  assert.deepEqual(await got({ limit: 2 }), [4, 3]);
  assert.deepEqual(await got({ limit: 2, beforeId: ids[3] }), [2, 1]);
  assert.deepEqual(await got({ limit: 2, beforeId: ids[0] }), []);
});

contract('queueDepths counts pending, in flight, dead and orphaned rows per destination, as numbers', async ({ db }) => {
  await seedDeliveries(db, [
    deliveryRow('A'),
    deliveryRow('B'),
    deliveryRow('C', { status: 'in_flight' }),
    deliveryRow('D', { status: 'dead' }),
    deliveryRow('E', { status: 'delivered' }),
    deliveryRow('F', { status: 'skipped' }),
    deliveryRow('G', { status: 'superseded' }),
    deliveryRow('H', { status: 'orphaned', destination: 'gone' }),
  ]);
  const depths = (await queueDepths(db)).sort((x, y) => `${x.destination}/${x.status}`.localeCompare(`${y.destination}/${y.status}`));
  assert.deepEqual(depths, [
    { destination: 'gone', status: 'orphaned', n: 1 },
    { destination: 'pager', status: 'dead', n: 1 },
    { destination: 'pager', status: 'in_flight', n: 1 },
    { destination: 'pager', status: 'pending', n: 2 },
  ]);
});

contract('destination state is kept per (destination, alert, episode); saving again replaces it', async ({ db }) => {
  assert.equal(await loadDestinationState(db, 'inc', 'A', 1), undefined);
  await saveDestinationState(db, 'inc', 'A', 1, '{"incident":"I1"}', 1_000);
  await saveDestinationState(db, 'inc', 'A', 2, '{"incident":"I2"}', 1_000);
  await saveDestinationState(db, 'other', 'A', 1, '{"incident":"O1"}', 1_000);
  await saveDestinationState(db, 'inc', 'A', 1, '{"incident":"I1","closed":true}', 2_000);
  assert.equal(await loadDestinationState(db, 'inc', 'A', 1), '{"incident":"I1","closed":true}');
  assert.equal(await loadDestinationState(db, 'inc', 'A', 2), '{"incident":"I2"}');
  assert.equal(await loadDestinationState(db, 'other', 'A', 1), '{"incident":"O1"}');
  const stored = await db.selectFrom('destination_state').selectAll().where('destination', '=', 'inc').where('episode', '=', 1).execute();
  assert.deepEqual(stored, [{ destination: 'inc', alert_id: 'A', episode: 1, state: '{"incident":"I1","closed":true}', updated_at: 2_000 }]);
});

contract('earlierAttemptMayHaveLanded: any earlier claim of the episode counts, except attempts refused with a 4xx', async ({ db }) => {
  // The current claim: one attempt counted, none recorded yet.
  const [first] = await seedDeliveries(db, [deliveryRow('A', { status: 'in_flight', attempts: 1 })]);
  const row = { id: first!, destination: 'pager', alert_id: 'A', episode: 1 };
  assert.equal(await earlierAttemptMayHaveLanded(db, row), false);
  // A first try refused with a 400 changed nothing at the destination.
  await db.updateTable('deliveries').set({ attempts: 2 }).where('id', '=', first!).execute();
  await recordAttempt(db, attempt(first!, 1, { status_code: 400, outcome: 'failed' }));
  assert.equal(await earlierAttemptMayHaveLanded(db, row), false);
  // A 503 (or a crash after sending: a claim with no attempt recorded) may have landed.
  await db.updateTable('deliveries').set({ attempts: 3 }).where('id', '=', first!).execute();
  await recordAttempt(db, attempt(first!, 2, { status_code: 503 }));
  assert.equal(await earlierAttemptMayHaveLanded(db, row), true);
  // Another row of the same episode counts; other episodes and destinations do not.
  const [, , b] = await seedDeliveries(db, [
    deliveryRow('B', { status: 'delivered', attempts: 4, episode: 1 }),
    deliveryRow('B', { status: 'delivered', attempts: 1, destination: 'log', episode: 2 }),
    deliveryRow('B', { status: 'in_flight', attempts: 1, episode: 2 }),
  ]);
  assert.equal(await earlierAttemptMayHaveLanded(db, { id: b!, destination: 'pager', alert_id: 'B', episode: 2 }), false);
  const [c] = await seedDeliveries(db, [deliveryRow('B', { status: 'in_flight', attempts: 1, episode: 2 })]);
  assert.equal(await earlierAttemptMayHaveLanded(db, { id: c!, destination: 'pager', alert_id: 'B', episode: 2 }), true);
});
