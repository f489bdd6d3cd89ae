import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import { claimable, claimDeliveries, nextDueAt } from './deliveries-claim.ts';
import { openSqlite } from './sqlite.ts';
import type { Db, DeliveryRow } from './schema.ts';

/** The claim's rules are properties of its query, so they are tested against real SQLite with a real backlog. */
const NOW = 1_000_000;
const open = () => openSqlite({ path: join(mkdtempSync(join(tmpdir(), 'tocsin-claim-')), 't.db') });

interface Seed {
  alert: string;
  status?: DeliveryRow['status'];
  priority?: number;
  due?: number;
  episode?: number;
  destination?: string;
}

/** Inserts rows in the given order (so ids follow it) and returns their ids. */
async function seed(db: Db, rows: Seed[]): Promise<number[]> {
  const ids: number[] = [];
  await db.transaction().execute(async (tx) => {
    for (let i = 0; i < rows.length; i += 400) {
      const chunk = rows.slice(i, i + 400).map((r) => ({
        destination: r.destination ?? 'pager',
        alert_id: r.alert,
        episode: r.episode ?? 1,
        status: r.status ?? 'pending',
        payload: '{}',
        priority: r.priority ?? 3,
        attempts: r.status === 'in_flight' ? 1 : 0,
        next_attempt_at: r.due ?? NOW,
        created_at: NOW,
        updated_at: NOW,
      }));
      const out = await tx.insertInto('deliveries').values(chunk).returning('id').execute();
      ids.push(...out.map((o) => o.id));
    }
  });
  return ids;
}

const claim = (db: Db, limit: number, now = NOW, destination = 'pager') => db.transaction().execute((tx) => claimDeliveries(tx, destination, limit, now));
const finish = (db: Db, ids: number[]) => db.updateTable('deliveries').set({ status: 'delivered' }).where('id', 'in', ids).execute();

test('with a 20,000-row backlog the claim hands out exactly the rows the rules allow, most severe first, then oldest', async () => {
  const db = await open();
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

test("never an alert's newer row before its older one, even when the newer is more severe or the older backs off", async () => {
  const db = await open();
  await seed(db, Array.from({ length: 5_000 }, (_, i) => ({ alert: `bulk${i}`, priority: 1 })));
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

test('never two rows of one alert in flight, and the waiting row goes once its predecessor is done', async () => {
  const db = await open();
  const [flying, waiting] = await seed(db, [
    { alert: 'Y', status: 'in_flight' },
    { alert: 'Y', priority: 5, episode: 2 },
  ]);
  await seed(db, Array.from({ length: 5_000 }, (_, i) => ({ alert: `bulk${i}`, priority: 1 })));
  assert.ok(!(await claim(db, 10_000)).some((r) => r.alert_id === 'Y'));
  await finish(db, [flying!]);
  assert.deepEqual((await claim(db, 10)).map((r) => r.id), [waiting]);
});

test('only due rows; nextDueAt names the earliest pending one', async () => {
  const db = await open();
  await seed(db, Array.from({ length: 2_000 }, (_, i) => ({ alert: `later${i}`, due: NOW + 1000 + i })));
  assert.deepEqual(await claim(db, 10), []);
  assert.equal(await nextDueAt(db, 'pager'), NOW + 1000);
  assert.deepEqual((await claim(db, 10, NOW + 1001)).map((r) => r.alert_id), ['later0', 'later1']);
});

test('draining a backlog batch by batch keeps per-alert order and one row in flight per alert', async () => {
  const db = await open();
  // 1,000 alerts with three episodes queued each, severities shuffled so priority pulls against age.
  const rows: Seed[] = [];
  for (let e = 1; e <= 3; e++) for (let a = 0; a < 1_000; a++) rows.push({ alert: `A${a}`, episode: e, priority: (a * 3 + e) % 5 });
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

test('the claim walks its index in hand-out order and stops: no sort of the backlog, no scan of history', async () => {
  const db = await open();
  await seed(db, Array.from({ length: 1_000 }, (_, i) => ({ alert: `A${i}` })));
  const explain = async (q: { compile(): CompiledQuery }) => {
    const c = q.compile();
    const r = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${c.sql}`, [...c.parameters]));
    return r.rows.map((x) => x.detail).join('\n');
  };
  const plan = await explain(claimable(db, 'pager', 4, NOW));
  assert.match(plan, /SEARCH d USING COVERING INDEX deliveries_claim \(destination=\? AND status=\?\)/);
  assert.doesNotMatch(plan, /TEMP B-TREE/);
  assert.equal(plan.match(/SEARCH e USING COVERING INDEX deliveries_alert_status/g)?.length, 2, plan);
});
