/**
 * The claim's rules on SQLite and PostgreSQL alike, against a real backlog: most severe first, then oldest; never an
 * alert's newer row before its older one; never two rows of one alert in flight; only due rows.
 */
import assert from 'node:assert/strict';
import { contract, deliveryRow, seedDeliveries } from '../../test/storage-dialects.ts';
import { claimDeliveries, nextDueAt, pendingCount, requeueInFlight, requeueRows } from './deliveries-claim.ts';
import type { Db, DeliveryRow } from './schema.ts';

const NOW = 1_000_000;

interface Seed {
  alert: string;
  status?: DeliveryRow['status'];
  priority?: number;
  due?: number;
  episode?: number;
  destination?: string;
}

/** Inserts rows in the given order (so ids follow it) and returns their ids. */
const seed = (db: Db, rows: Seed[]) =>
  seedDeliveries(
    db,
    rows.map((r) => {
      const over = { priority: r.priority ?? 3, next_attempt_at: r.due ?? NOW, episode: r.episode ?? 1, destination: r.destination ?? 'pager', created_at: NOW, updated_at: NOW };
      return deliveryRow(r.alert, r.status ? { ...over, status: r.status } : over);
    }),
  );

const claim = (db: Db, limit: number, now = NOW, destination = 'pager') => db.transaction().execute((tx) => claimDeliveries(tx, destination, limit, now));
const finish = (db: Db, ids: number[]) => db.updateTable('deliveries').set({ status: 'delivered' }).where('id', 'in', ids).execute();

contract('with a 20,000-row backlog the claim hands out exactly the rows the rules allow, most severe first, then oldest', async ({ db }) => {
  // A mix: five severities, one row in ten backing off, one alert in fifty with a row in flight (its pending row
  // waits), one in fifty with two episodes queued (the newer waits), a second destination that must not leak in.
  const rows: Seed[] = [];
  for (let i = 0; i < 20_000; i++) {
    const alert = `A${i}`;
    if (i % 50 === 1) rows.push({ alert, status: 'in_flight', priority: 5 });
    if (i % 50 === 2) rows.push({ alert, priority: 0, episode: 1 });
    rows.push({ alert, priority: (i * 7) % 5, due: i % 10 === 3 ? NOW + 1 : NOW, episode: i % 50 === 2 ? 2 : 1 });
    if (i % 100 === 5) rows.push({ alert, priority: 5, destination: 'log' });
  }
  const ids = await seed(db, rows);
  const withIds = rows.map((r, i) => ({ ...r, id: ids[i]! }));
  // The rules, restated over the seed: the alert's oldest pending row, due, with nothing of the alert in flight.
  const firstPending = new Map<string, number>();
  for (const r of withIds) if ((r.destination ?? 'pager') === 'pager' && (r.status ?? 'pending') === 'pending' && !firstPending.has(r.alert)) firstPending.set(r.alert, r.id);
  const inFlight = new Set(withIds.filter((r) => r.status === 'in_flight').map((r) => r.alert));
  const expected = withIds
    .filter((r) => (r.destination ?? 'pager') === 'pager' && (r.status ?? 'pending') === 'pending')
    .filter((r) => (r.due ?? NOW) <= NOW && !inFlight.has(r.alert) && firstPending.get(r.alert) === r.id)
    .sort((a, b) => (b.priority ?? 3) - (a.priority ?? 3) || a.id - b.id)
    .slice(0, 300)
    .map((r) => r.id);

  const got: number[] = [];
  for (let i = 0; i < 10; i++) got.push(...(await claim(db, 30)).map((r) => r.id));
  assert.deepEqual(got, expected);
  const claimed = await db.selectFrom('deliveries').selectAll().where('id', 'in', got).execute();
  assert.ok(claimed.every((r) => r.status === 'in_flight' && r.attempts === 1 && r.destination === 'pager'));
});

contract('a claimed row comes back whole and in flight: attempts counted, updated_at moved, numbers as numbers', async ({ db }) => {
  const [low, high] = await seed(db, [{ alert: 'L', priority: 1 }, { alert: 'H', priority: 4 }]);
  await db.updateTable('deliveries').set({ attempts: 2, last_status_code: 503, payload: '{"title":"ü"}' }).where('id', '=', low!).execute();
  const rows = await claim(db, 10, NOW + 5);
  assert.deepEqual(
    rows.map((r) => r.id),
    [high, low],
  );
  const l = rows[1]!;
  assert.deepEqual(
    { ...l },
    {
      ...deliveryRow('L', { priority: 1, next_attempt_at: NOW, created_at: NOW }),
      id: low,
      status: 'in_flight',
      attempts: 3,
      updated_at: NOW + 5,
      payload: '{"title":"ü"}',
      last_status_code: 503,
      delivered_at: null,
      last_error: null,
      request_id: null,
      response_excerpt: null,
      hint: null,
      latency_ms: null,
      muted_by: null,
    },
  );
  assert.deepEqual(await claim(db, 10, NOW + 5), [], 'nothing left to claim');
  assert.deepEqual(await claim(db, 0, NOW + 5), []);
});

contract("never an alert's newer row before its older one, even when the newer is more severe or the older backs off", async ({ db }) => {
  await seed(db, Array.from({ length: 2_000 }, (_, i) => ({ alert: `bulk${i}`, priority: 1 })));
  const [older, newer] = await seed(db, [
    { alert: 'X', priority: 0, due: NOW + 60_000, episode: 1 },
    { alert: 'X', priority: 5, episode: 2 },
  ]);
  const early = await claim(db, 10);
  assert.ok(!early.some((r) => r.alert_id === 'X'), 'the newer row jumped its backing-off older row');
  const later = await claim(db, 10_000, NOW + 60_000);
  const x = later.filter((r) => r.alert_id === 'X').map((r) => r.id);
  assert.deepEqual(x, [older], 'only the older row of X, once due');
  await finish(db, [older!]);
  const [next] = await claim(db, 1, NOW + 60_000);
  assert.equal(next?.id, newer, 'the newer row, most severe, comes next');
});

contract('never two rows of one alert in flight, and the waiting row goes once its predecessor is done', async ({ db }) => {
  const [flying, waiting] = await seed(db, [
    { alert: 'Y', status: 'in_flight' },
    { alert: 'Y', priority: 5, episode: 2 },
  ]);
  await seed(db, Array.from({ length: 2_000 }, (_, i) => ({ alert: `bulk${i}`, priority: 1 })));
  assert.ok(!(await claim(db, 10_000)).some((r) => r.alert_id === 'Y'));
  await finish(db, [flying!]);
  assert.deepEqual(
    (await claim(db, 10)).map((r) => r.id),
    [waiting],
  );
});

contract('only due rows; nextDueAt names the earliest pending one (a number), or undefined', async ({ db }) => {
  assert.equal(await nextDueAt(db, 'pager'), undefined);
  await seed(db, Array.from({ length: 2_000 }, (_, i) => ({ alert: `later${i}`, due: 1_764_000_000_000 + i })));
  await seed(db, [{ alert: 'sent', due: NOW, status: 'delivered' }, { alert: 'elsewhere', due: NOW, destination: 'log' }]);
  assert.deepEqual(await claim(db, 10, NOW), []);
  assert.equal(await nextDueAt(db, 'pager'), 1_764_000_000_000);
  assert.deepEqual(
    (await claim(db, 10, 1_764_000_000_001)).map((r) => r.alert_id),
    ['later0', 'later1'],
  );
});

contract('draining a backlog batch by batch keeps per-alert order and one row in flight per alert', async ({ db }) => {
  // 500 alerts with three episodes queued each, severities shuffled so priority pulls against age.
  const rows: Seed[] = [];
  for (let e = 1; e <= 3; e++) for (let a = 0; a < 500; a++) rows.push({ alert: `A${a}`, episode: e, priority: (a * 3 + e) % 5 });
  await seed(db, rows);
  const sent = new Map<string, number[]>();
  let total = 0;
  for (let round = 0; total < rows.length; round++) {
    assert.ok(round < 1_000, 'the drain stalled');
    const batch = await claim(db, 64);
    const alerts = batch.map((r) => r.alert_id);
    assert.equal(new Set(alerts).size, alerts.length, 'two rows of one alert in one batch');
    for (const r of batch) sent.set(r.alert_id, [...(sent.get(r.alert_id) ?? []), r.episode]);
    total += batch.length;
    await finish(
      db,
      batch.map((r) => r.id),
    );
  }
  for (const [alert, episodes] of sent) assert.deepEqual(episodes, [1, 2, 3], `order of ${alert}`);
});

contract('requeueInFlight puts rows in flight back to pending, due now (one destination or all), and counts them', async ({ db }) => {
  const ids = await seed(db, [
    { alert: 'a', status: 'in_flight' },
    { alert: 'b', status: 'in_flight', destination: 'log' },
    { alert: 'c', status: 'in_flight' },
    { alert: 'd', status: 'delivered' },
    { alert: 'e', due: NOW + 99 },
  ]);
  assert.equal(await requeueInFlight(db, NOW + 7, 'pager'), 2);
  const after = await db.selectFrom('deliveries').select(['id', 'status', 'next_attempt_at', 'updated_at']).orderBy('id').execute();
  assert.deepEqual(after, [
    { id: ids[0], status: 'pending', next_attempt_at: NOW + 7, updated_at: NOW + 7 },
    { id: ids[1], status: 'in_flight', next_attempt_at: NOW, updated_at: NOW },
    { id: ids[2], status: 'pending', next_attempt_at: NOW + 7, updated_at: NOW + 7 },
    { id: ids[3], status: 'delivered', next_attempt_at: NOW, updated_at: NOW },
    { id: ids[4], status: 'pending', next_attempt_at: NOW + 99, updated_at: NOW },
  ]);
  assert.equal(await requeueInFlight(db, NOW + 8), 1);
  assert.equal(await requeueInFlight(db, NOW + 9), 0);
  // Rows requeued keep their attempts: the next claim knows an earlier one may have landed.
  assert.equal((await claim(db, 10, NOW + 9)).find((r) => r.alert_id === 'a')?.attempts, 2);
});

contract('after a takeover, rows requeued not before a time hold their alert\'s newer rows back until then', async ({ db }) => {
  const [flying, newer, other] = await seed(db, [{ alert: 'a', status: 'in_flight' }, { alert: 'a', priority: 5, episode: 2 }, { alert: 'b' }]);
  assert.equal(await requeueInFlight(db, NOW, 'pager', NOW + 1_000), 1);
  const row = await db.selectFrom('deliveries').select(['status', 'next_attempt_at', 'updated_at']).where('id', '=', flying!).executeTakeFirst();
  assert.deepEqual(row, { status: 'pending', next_attempt_at: NOW + 1_000, updated_at: NOW });
  assert.deepEqual(
    (await claim(db, 10, NOW + 999)).map((r) => r.id),
    [other],
    "a's newer row waits behind its requeued one",
  );
  assert.deepEqual(
    (await claim(db, 10, NOW + 1_000)).map((r) => r.id),
    [flying],
  );
  await finish(db, [flying!]);
  assert.deepEqual(
    (await claim(db, 10, NOW + 1_000)).map((r) => r.id),
    [newer],
  );
});

contract('requeueRows puts back only the given rows that are still in flight, due now', async ({ db }) => {
  const ids = await seed(db, [{ alert: 'a', status: 'in_flight' }, { alert: 'b', status: 'in_flight' }, { alert: 'c', status: 'delivered' }]);
  assert.equal(await requeueRows(db, [], NOW + 5), 0);
  assert.equal(await requeueRows(db, [ids[0]!, ids[2]!], NOW + 5), 1);
  assert.deepEqual(
    (await db.selectFrom('deliveries').select(['status', 'next_attempt_at']).orderBy('id').execute()).map((r) => `${r.status}@${r.next_attempt_at}`),
    [`pending@${NOW + 5}`, `in_flight@${NOW}`, `delivered@${NOW}`],
  );
});

contract('pendingCount counts what a destination still has to send (pending and in flight), as a number', async ({ db }) => {
  assert.equal(await pendingCount(db, 'pager'), 0);
  await seed(db, [
    { alert: 'a' },
    { alert: 'b', status: 'in_flight' },
    { alert: 'c', due: NOW + 1_000 },
    { alert: 'd', status: 'delivered' },
    { alert: 'e', status: 'orphaned' },
    { alert: 'f', destination: 'log' },
  ]);
  assert.equal(await pendingCount(db, 'pager'), 3);
  assert.equal(await pendingCount(db, 'log'), 1);
});
