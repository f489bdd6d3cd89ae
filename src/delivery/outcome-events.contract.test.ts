/**
 * Outcome events on SQLite and PostgreSQL alike: queued with the outcome, one per subscriber, never to the destination
 * itself; a row of its own in the outbox that an alert's later state never coalesces into and that never holds the
 * alert's own rows back.
 */
import assert from 'node:assert/strict';
import { alertRow, contract } from '../../test/storage-dialects.ts';
import { enqueueFor } from '../core/outbox.ts';
import { findAlert, insertAlert } from '../storage/alerts-repo.ts';
import { claimDeliveries } from '../storage/deliveries-claim.ts';
import { insertRows } from '../storage/prepared.ts';
import type { Db, DeliveryRow } from '../storage/schema.ts';
import type { OutcomeSubscriber } from './outcome-events.ts';
import { recordOutcome } from './record.ts';

const T0 = 1_764_000_000_000;
const subs: OutcomeSubscriber[] = [
  { name: 'hook', on: new Set(['delivery.delivered', 'delivery.dead']) },
  { name: 'only-dead', on: new Set(['delivery.dead']), from: new Set(['pager']) },
  { name: 'pager', on: new Set(['delivery.delivered']) },
];

async function inFlight(db: Db, destination: string): Promise<DeliveryRow> {
  const payload = JSON.stringify({ alertId: 'A', source: 'prom', dedupKey: 'A', externalKey: 'prom:A', episode: 1, status: 'firing', title: 'Disk full', metadata: { big: 'x' }, at: T0 });
  await insertRows(db, 'deliveries', [{ destination, alert_id: 'A', episode: 1, status: 'in_flight', payload, priority: 2, attempts: 1, next_attempt_at: T0, created_at: T0, updated_at: T0 }]);
  return (await db.selectFrom('deliveries').selectAll().where('destination', '=', destination).orderBy('id', 'desc').executeTakeFirstOrThrow());
}

const record = (db: Db, destination: string, row: DeliveryRow, outcome: Parameters<typeof recordOutcome>[1]['outcome']) =>
  db.transaction().execute((tx) =>
    recordOutcome(tx, { destination, row, outcome, retryAfter: undefined, started: T0, now: T0 + 10, latencyMs: 3, maxRetryAgeMs: 3_600_000, backoff: { baseMs: 100, capMs: 1000 }, random: Math.random, subscribers: subs }),
  );

contract('a final outcome queues one event per subscriber in its commit; never to the destination itself', async ({ db }) => {
  await insertAlert(db, alertRow('A', { routed_to: '["pager","hook"]' }));
  const row = await inFlight(db, 'pager');
  assert.equal(await record(db, 'pager', row, { kind: 'failed', statusCode: 400, error: 'HTTP 400', hint: 'fix it' }), 'dead');
  const events = await db.selectFrom('deliveries').selectAll().where('alert_id', 'like', 'outcome:%').orderBy('destination').execute();
  assert.deepEqual(
    events.map((e) => [e.destination, e.alert_id, e.episode, e.status, e.priority]),
    [
      ['hook', `outcome:${row.id}:1`, 1, 'pending', 0],
      ['only-dead', `outcome:${row.id}:1`, 1, 'pending', 0],
    ],
  );
  const p = JSON.parse(events[0]!.payload);
  assert.deepEqual([p.alertId, p.metadata, p.outcome.type, p.outcome.delivery_id, p.outcome.status_code, p.outcome.hint], ['A', {}, 'delivery.dead', row.id, 400, 'fix it']);

  // The hook's own delivery, delivered: only-dead filters on pager and dead; pager subscribed to delivered → one event.
  const own = await inFlight(db, 'hook');
  await record(db, 'hook', own, { kind: 'delivered', statusCode: 204 });
  const after = await db.selectFrom('deliveries').select(['destination', 'alert_id']).where('alert_id', '=', `outcome:${own.id}:1`).execute();
  assert.deepEqual(after, [{ destination: 'pager', alert_id: `outcome:${own.id}:1` }]);

  // An outcome event delivered makes no event of its own; a retry to come makes none yet.
  const outcomeRow = (await db.selectFrom('deliveries').selectAll().where('destination', '=', 'hook').where('alert_id', 'like', 'outcome:%').executeTakeFirstOrThrow());
  const before = (await db.selectFrom('deliveries').select('id').execute()).length;
  await record(db, 'hook', { ...outcomeRow, status: 'in_flight' }, { kind: 'delivered', statusCode: 204 });
  await record(db, 'pager', await inFlight(db, 'pager'), { kind: 'retry', error: 'HTTP 503', statusCode: 503 });
  assert.equal((await db.selectFrom('deliveries').select('id').execute()).length, before + 1, 'only the new pager row');
});

contract("an alert's later state to the same webhook neither coalesces into an outcome event nor waits behind it", async ({ db }) => {
  await insertAlert(db, alertRow('A', { routed_to: '["pager","hook"]' }));
  await record(db, 'pager', await inFlight(db, 'pager'), { kind: 'delivered', statusCode: 202 });
  const alert = (await findAlert(db, 'A'))!;
  const r = await db.transaction().execute((tx) => enqueueFor(tx, alert, ['hook'], T0 + 20, new Set(['hook', 'pager'])));
  assert.deepEqual(r, ['inserted'], 'a row of its own, not the outcome event rewritten');
  const claimed = await db.transaction().execute((tx) => claimDeliveries(tx, 'hook', 10, T0 + 30));
  assert.deepEqual(claimed.map((c) => (c.alert_id.startsWith('outcome:') ? 'event' : c.alert_id)).sort(), ['A', 'event'], 'both go at once');
  const event = claimed.find((c) => c.alert_id.startsWith('outcome:'))!;
  assert.equal(JSON.parse(event.payload).outcome.type, 'delivery.delivered');
});
