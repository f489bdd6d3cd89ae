/** alerts-repo.ts on SQLite and PostgreSQL alike: what is written reads back the same, in the same order. */
import assert from 'node:assert/strict';
import { alertRow, contract } from '../../test/storage-dialects.ts';
import {
  countAlertsByState,
  findAlert,
  findAlertForUpdate,
  findAlertsByIdentity,
  insertAlert,
  insertTransition,
  listActiveAlerts,
  listAlerts,
  listTransitions,
  touchAlert,
  updateAlert,
  type NewTransition,
} from './alerts-repo.ts';
import { InsertBuffer } from './insert-buffer.ts';

contract('an alert reads back as written: numbers as numbers, nulls as nulls, text unchanged', async ({ db }) => {
  const row = alertRow('01A', {
    description: 'multi\nline ✓ 🚨',
    metadata: '{"a":[1,2]}',
    // Epoch milliseconds past 2^31 (bigint columns) must come back as numbers, not strings.
    created_at: 1_764_000_000_123,
    updated_at: 1_764_000_000_456,
    last_event_at: 1_764_000_000_789,
    acknowledged_at: 1_764_000_001_000,
    event_count: 7,
    episode: 3,
  });
  await insertAlert(db, row);
  assert.deepEqual(await findAlert(db, '01A'), row);
  assert.deepEqual(await db.transaction().execute((tx) => findAlertForUpdate(tx, '01A')), row);
  assert.equal(await findAlert(db, 'nope'), undefined);
  assert.equal(await findAlertForUpdate(db, 'nope'), undefined);
});

contract('(source, dedup_key) is unique: a second alert of the same identity is refused, other pairs are not', async ({ db }) => {
  await insertAlert(db, alertRow('01A', { source: 'prom', dedup_key: 'k' }));
  await assert.rejects(insertAlert(db, alertRow('01B', { source: 'prom', dedup_key: 'k' })));
  await insertAlert(db, alertRow('01C', { source: 'prom', dedup_key: 'k2' }));
  await insertAlert(db, alertRow('01D', { source: 'dbt', dedup_key: 'k' }));
  assert.deepEqual((await listAlerts(db, { limit: 10 })).map((a) => a.id).sort(), ['01A', '01C', '01D']);
});

contract('findAlertsByIdentity: one source, every key asked for (past one 512-key lookup), duplicates once, id order per lookup', async ({ db }) => {
  const rows = Array.from({ length: 700 }, (_, i) => alertRow(`A${String(i).padStart(4, '0')}`, { dedup_key: `k${i}` }));
  await db.transaction().execute(async (tx) => {
    for (const r of rows) await insertAlert(tx, r);
    await insertAlert(tx, alertRow('B0001', { source: 'dbt', dedup_key: 'k1' }));
  });
  const keys = [...rows.map((r) => r.dedup_key).reverse(), 'k5', 'k5', 'missing'];
  const found = await findAlertsByIdentity(db, 'prom', keys);
  assert.deepEqual(
    found.map((a) => a.id).sort(),
    rows.map((r) => r.id),
  );
  assert.deepEqual(
    found.find((a) => a.id === rows[0]!.id),
    rows[0],
  );
  assert.deepEqual(
    (await findAlertsByIdentity(db, 'prom', ['k9', 'k2', 'k2', 'k7'])).map((a) => a.id),
    ['A0002', 'A0007', 'A0009'],
  );
  assert.deepEqual(await findAlertsByIdentity(db, 'prom', ['missing']), []);
  assert.deepEqual(
    (await findAlertsByIdentity(db, 'dbt', ['k1', 'k2'])).map((a) => a.id),
    ['B0001'],
  );
});

contract('held inserts (InsertBuffer) are found by a lookup in the same transaction and written by flush', async ({ db }) => {
  await db.transaction().execute(async (tx) => {
    const held = new InsertBuffer(tx);
    await insertAlert(tx, alertRow('01A'), held);
    await insertTransition(tx, transition('01A', 'created', 1), held);
    assert.equal(await findAlert(tx, '01A'), undefined, 'held, not written yet');
    assert.deepEqual(
      (await findAlertsByIdentity(tx, 'prom', ['01A'], held)).map((a) => a.id),
      ['01A'],
    );
    await updateAlert(tx, '01A', { title: 'changed' }, held);
    await touchAlert(tx, '01A', 2_000, { staleAt: null, ttl: null }, held);
    await held.flush();
  });
  assert.equal((await findAlert(db, '01A'))?.title, 'changed');
  assert.equal((await listTransitions(db, '01A')).length, 1);
});

contract('updateAlert changes only the columns given (undefined is left alone, null clears), on that alert only', async ({ db }) => {
  await insertAlert(db, alertRow('01A', { description: 'was', severity: 'critical' }));
  await insertAlert(db, alertRow('01B'));
  await updateAlert(db, '01A', { state: 'resolved', resolved_at: 5_000_000_000_000, description: null, severity: undefined, updated_at: 5_000 });
  const a = await findAlert(db, '01A');
  assert.deepEqual(
    { state: a?.state, resolved_at: a?.resolved_at, description: a?.description, severity: a?.severity, updated_at: a?.updated_at },
    { state: 'resolved', resolved_at: 5_000_000_000_000, description: null, severity: 'critical', updated_at: 5_000 },
  );
  // The same shape of change again (a prepared statement reused) with other values.
  await updateAlert(db, '01B', { state: 'acknowledged', resolved_at: null, description: 'x', severity: undefined, updated_at: 6_000 });
  assert.deepEqual(await findAlert(db, '01B'), alertRow('01B', { state: 'acknowledged', description: 'x', updated_at: 6_000 }));
});

contract('touchAlert counts a repeat and moves last_event_at and the time to live, nothing else', async ({ db }) => {
  await insertAlert(db, alertRow('01A'));
  await touchAlert(db, '01A', 2_000, { staleAt: 5_000, ttl: 3_000 });
  await touchAlert(db, '01A', 3_000, { staleAt: 6_000, ttl: null });
  assert.deepEqual(await findAlert(db, '01A'), alertRow('01A', { event_count: 3, last_event_at: 3_000, stale_at: 6_000 }));
});

const transition = (alertId: string, kind: string, at: number, from: string | null = null): NewTransition => ({
  alert_id: alertId,
  episode: 1,
  kind,
  from_state: from,
  to_state: 'firing',
  actor: 'prom',
  content: '{"title":"t"}',
  at,
});

contract('transitions list in the order written, with numeric ids and nulls kept', async ({ db }) => {
  await insertTransition(db, transition('01A', 'created', 1_764_000_000_000));
  await insertTransition(db, transition('01B', 'created', 2));
  await insertTransition(db, transition('01A', 'updated', 3, 'firing'));
  const list = await listTransitions(db, '01A');
  assert.deepEqual(
    list.map(({ id: _id, ...t }) => t),
    [transition('01A', 'created', 1_764_000_000_000), transition('01A', 'updated', 3, 'firing')],
  );
  assert.ok(list.every((t) => typeof t.id === 'number'));
  assert.ok(list[0]!.id < list[1]!.id);
  assert.deepEqual(await listTransitions(db, 'none'), []);
});

contract('listAlerts filters by state, source and unrouted, newest first, and pages by (updated_at, id)', async ({ db }) => {
  const rows = [
    alertRow('01A', { updated_at: 10 }),
    alertRow('01B', { updated_at: 30, source: 'dbt' }),
    alertRow('01C', { updated_at: 20, state: 'resolved' }),
    alertRow('01D', { updated_at: 20, routed_to: '[]' }),
    alertRow('01E', { updated_at: 20 }),
  ];
  for (const r of rows) await insertAlert(db, r);
  const ids = async (f: Parameters<typeof listAlerts>[1]) => (await listAlerts(db, f)).map((a) => a.id);
  assert.deepEqual(await ids({ limit: 10 }), ['01B', '01E', '01D', '01C', '01A']);
  assert.deepEqual(await ids({ limit: 10, state: 'firing' }), ['01B', '01E', '01D', '01A']);
  assert.deepEqual(await ids({ limit: 10, source: 'prom', state: 'firing' }), ['01E', '01D', '01A']);
  assert.deepEqual(await ids({ limit: 10, unrouted: true }), ['01D']);
  // Keyset pages of two: every alert once, in the same order, ties on updated_at split by id.
  const paged: string[] = [];
  let before: { updatedAt: number; id: string } | undefined;
  for (;;) {
    const page = await listAlerts(db, { limit: 2, before });
    if (!page.length) break;
    paged.push(...page.map((a) => a.id));
    const last = page.at(-1)!;
    before = { updatedAt: last.updated_at, id: last.id };
  }
  assert.deepEqual(paged, ['01B', '01E', '01D', '01C', '01A']);
});

contract('countAlertsByState counts as numbers; listActiveAlerts pages active alerts in id order', async ({ db }) => {
  const states = ['firing', 'acknowledged', 'resolved', 'firing', 'resolved', 'firing'] as const;
  for (const [i, state] of states.entries()) await insertAlert(db, alertRow(`0${i}`, { state }));
  const counts = await countAlertsByState(db);
  assert.deepEqual(
    counts.sort((a, b) => a.state.localeCompare(b.state)),
    [
      { state: 'acknowledged', n: 1 },
      { state: 'firing', n: 3 },
      { state: 'resolved', n: 2 },
    ],
  );
  assert.deepEqual(
    (await listActiveAlerts(db, '', 3)).map((a) => a.id),
    ['00', '01', '03'],
  );
  assert.deepEqual(
    (await db.transaction().execute((tx) => listActiveAlerts(tx, '03', 10))).map((a) => a.id),
    ['05'],
  );
  assert.deepEqual(await listActiveAlerts(db, '05', 10), []);
});
