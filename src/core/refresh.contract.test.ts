/** `refresh_after` on SQLite and PostgreSQL alike: who is due, what is queued, what is forgotten, the queue bound. */
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { alertRow, contract } from '../../test/storage-dialects.ts';
import { recordOutcome } from '../delivery/record.ts';
import { insertAlert } from '../storage/alerts-repo.ts';
import { listDeliveries } from '../storage/deliveries-repo.ts';
import { insertRows } from '../storage/prepared.ts';
import { markSent } from '../storage/refresh-repo.ts';
import type { Db } from '../storage/schema.ts';
import { refreshDue, type RefreshTarget } from './refresh.ts';

const T0 = 1_764_000_000_000;
const HOUR = 3_600_000;
const PAGER: RefreshTarget = { name: 'pager', refreshAfterMs: 24 * HOUR, perMinute: 120 };
const run = (db: Db, now: number, targets = [PAGER]) => db.transaction().execute((tx) => refreshDue(tx, now, targets, new Set(['pager', 'other'])));
const sentTimes = async (db: Db) =>
  Object.fromEntries((await db.selectFrom('refresh').selectAll().orderBy('alert_id').execute()).map((r) => [`${r.destination}/${r.alert_id}`, Number(r.sent_at)]));

contract('active alerts last sent there before refresh_after get their current state queued again; stale rows are forgotten', async ({ db }) => {
  const alert = (id: string, over: Parameters<typeof alertRow>[1] = {}) => insertAlert(db, alertRow(id, { routed_to: '["pager"]', ...over }));
  await alert('FIRING', { title: 'still on' });
  await alert('ACKED', { state: 'acknowledged' });
  await alert('RECENT');
  await alert('OVER', { state: 'resolved' });
  await alert('ELSEWHERE', { routed_to: '["other"]', episode: 2 });
  for (const [id, ago] of [['FIRING', 25], ['ACKED', 30], ['RECENT', 1], ['OVER', 40], ['ELSEWHERE', 40], ['DELETED', 50]] as const) await markSent(db, 'pager', id, T0 - ago * HOUR);
  await markSent(db, 'other', 'ELSEWHERE', T0 - 40 * HOUR);

  const r = await run(db, T0);
  assert.deepEqual([r.refreshed, [...r.woken], r.more], [2, ['pager'], false]);
  const queued = (await listDeliveries(db, { limit: 10 })).map((d) => [d.alert_id, d.destination, d.status, JSON.parse(d.payload).status]).sort();
  assert.deepEqual(queued, [
    ['ACKED', 'pager', 'pending', 'firing'],
    ['FIRING', 'pager', 'pending', 'firing'],
  ]);
  // Counted from the refresh; the resolved, the deleted and the re-routed ones are gone; other destinations untouched.
  assert.deepEqual(await sentTimes(db), { 'pager/ACKED': T0, 'pager/FIRING': T0, 'pager/RECENT': T0 - HOUR, 'other/ELSEWHERE': T0 - 40 * HOUR });
  assert.equal((await run(db, T0 + 1000)).refreshed, 0, 'not again until refresh_after has passed once more');
  // A refresh while the earlier one still waits coalesces into it: one row, the current state.
  const r2 = await run(db, T0 + 25 * HOUR);
  assert.equal(r2.refreshed, 3);
  assert.equal((await listDeliveries(db, { limit: 10 })).length, 3);
  // Off (0) or not configured: nothing.
  assert.equal((await run(db, T0 + 99 * HOUR, [{ ...PAGER, refreshAfterMs: 0 }])).refreshed, 0);
  assert.equal((await run(db, T0 + 99 * HOUR, [{ ...PAGER, name: 'gone' }])).refreshed, 0);
});

contract('a tick queues no more than the rate limit drains in a minute, and none while the queue is that long', async ({ db }) => {
  for (let i = 0; i < 5; i++) {
    await insertAlert(db, alertRow(`A${i}`, { routed_to: '["pager"]' }));
    await markSent(db, 'pager', `A${i}`, T0 - 25 * HOUR - i);
  }
  const slow = { ...PAGER, perMinute: 3 };
  const r = await run(db, T0, [slow]);
  assert.deepEqual([r.refreshed, r.more], [3, true]);
  // The oldest first.
  assert.deepEqual((await listDeliveries(db, { limit: 10 })).map((d) => d.alert_id).sort(), ['A2', 'A3', 'A4']);
  assert.equal((await run(db, T0, [slow])).refreshed, 0, 'three already queued: the rest wait');
  await db.updateTable('deliveries').set({ status: 'delivered' }).execute();
  assert.equal((await run(db, T0, [slow])).refreshed, 2);
});

contract('a delivered firing state sets the time, a delivered resolve forgets it; the due scan uses refresh_due', async ({ db, dialect }) => {
  await insertAlert(db, alertRow('A', { routed_to: '["pager"]' }));
  const payload = (status: string) => JSON.stringify({ alertId: 'A', source: 'prom', dedupKey: 'A', externalKey: 'prom:A', episode: 1, status, title: 't', metadata: {}, at: T0 });
  const common = { alert_id: 'A', episode: 1, status: 'in_flight' as const, priority: 1, attempts: 1, next_attempt_at: T0, created_at: T0, updated_at: T0 };
  await insertRows(db, 'deliveries', [{ destination: 'pager', payload: payload('firing'), ...common }, { destination: 'pager', payload: payload('resolved'), ...common }]);
  const [firing, resolved] = await db.selectFrom('deliveries').selectAll().orderBy('id').execute();
  const record = (row: typeof firing, now: number, refreshes = true) =>
    db.transaction().execute((tx) =>
      recordOutcome(tx, { destination: 'pager', row: row!, outcome: { kind: 'delivered', statusCode: 202 }, retryAfter: undefined, started: now, now, latencyMs: 5, maxRetryAgeMs: HOUR, backoff: { baseMs: 1000, capMs: 60_000 }, random: Math.random, refreshes }),
    );
  await record(firing, T0 + 5);
  assert.deepEqual(await sentTimes(db), { 'pager/A': T0 + 5 });
  await record(resolved, T0 + 9);
  assert.deepEqual(await sentTimes(db), {});
  // A destination without refresh_after (chat, email, a webhook, or an alert source with it off) keeps no row.
  await record(firing, T0 + 12, false);
  assert.deepEqual(await sentTimes(db), {});
  if (dialect === 'sqlite') {
    const plan = await sql<{ detail: string }>`explain query plan select alert_id, sent_at from refresh where destination = 'pager' and sent_at <= 5 order by sent_at limit 100`.execute(db);
    assert.match(plan.rows.map((r) => r.detail).join(' | '), /USING (COVERING )?INDEX refresh_due/);
  }
});
