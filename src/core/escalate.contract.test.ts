/**
 * Escalation timers on SQLite and PostgreSQL alike: scheduled with the episode, fired once in the transaction that
 * marks them, cancelled (not fired) for an acknowledged, resolved or newer episode; an acknowledgement cancels them.
 */
import assert from 'node:assert/strict';
import { alertRow, contract } from '../../test/storage-dialects.ts';
import { findAlert, insertAlert, listTransitions } from '../storage/alerts-repo.ts';
import { listDeliveries } from '../storage/deliveries-repo.ts';
import { cancelEscalations, listEscalations, nextEscalationAt } from '../storage/escalations-repo.ts';
import { InsertBuffer } from '../storage/insert-buffer.ts';
import type { AlertRow, Db } from '../storage/schema.ts';
import { fireDueEscalations, scheduleEscalations } from './escalate.ts';

const T0 = 1_764_000_000_000;
const CONFIGURED = new Set(['chat', 'oncall', 'major']);

async function seed(db: Db, id: string, over: Partial<AlertRow> = {}): Promise<AlertRow> {
  await insertAlert(db, alertRow(id, { routed_to: '["chat"]', created_at: T0, updated_at: T0, last_event_at: T0, ...over }));
  const row = (await findAlert(db, id))!;
  await db.transaction().execute(async (tx) => {
    const held = new InsertBuffer(tx);
    await scheduleEscalations(held, row, [{ afterMs: 3 * 60_000, to: ['oncall'] }, { afterMs: 15 * 60_000, to: ['major'] }], T0);
    await held.flush();
  });
  return row;
}

const fire = (db: Db, now: number) => db.transaction().execute((tx) => fireDueEscalations(tx, now, CONFIGURED));

contract('each step fires once when due: its destination joins the episode and gets the current state', async ({ db }) => {
  const alert = await seed(db, 'A1');
  assert.equal(await nextEscalationAt(db), T0 + 3 * 60_000);
  assert.deepEqual(await fire(db, T0 + 3 * 60_000 - 1), { fired: 0, cancelled: 0, woken: new Set() }, 'not before it is due');
  assert.deepEqual(await fire(db, T0 + 3 * 60_000), { fired: 1, cancelled: 0, woken: new Set(['oncall']) });
  assert.deepEqual(await fire(db, T0 + 3 * 60_000 + 5), { fired: 0, cancelled: 0, woken: new Set() }, 'fired once');
  assert.deepEqual(JSON.parse((await findAlert(db, alert.id))!.routed_to), ['chat', 'oncall']);
  const rows = await listDeliveries(db, { alertId: alert.id, limit: 10 });
  assert.deepEqual(rows.map((r) => [r.destination, r.status]), [['oncall', 'pending']]);
  assert.ok((await listTransitions(db, alert.id)).some((t) => t.kind === 'escalated' && t.actor === 'escalation'));
  assert.deepEqual((await fire(db, T0 + 15 * 60_000)).woken, new Set(['major']));
  assert.deepEqual((await listEscalations(db, alert.id)).map((e) => [e.step, e.status]), [[1, 'fired'], [2, 'fired']]);
});

contract('an acknowledged, resolved or newer episode does not escalate: its due steps are cancelled with the reason', async ({ db }) => {
  await seed(db, 'ACK', { state: 'acknowledged' });
  await seed(db, 'RES', { state: 'resolved' });
  await seed(db, 'NEW', { episode: 1 });
  await db.updateTable('alerts').set({ episode: 2 }).where('id', '=', 'NEW').execute();
  const r = await fire(db, T0 + 20 * 60_000);
  assert.equal(r.fired, 0);
  assert.equal(r.cancelled, 6);
  const reasons = async (id: string) => (await listEscalations(db, id)).map((e) => e.reason);
  assert.deepEqual(await reasons('ACK'), ['acknowledged', 'acknowledged']);
  assert.deepEqual(await reasons('RES'), ['resolved', 'resolved']);
  assert.deepEqual(await reasons('NEW'), ['a later episode began', 'a later episode began']);
  assert.deepEqual(await listDeliveries(db, { limit: 10 }), []);
});

contract('an acknowledgement cancels the steps still pending; fired ones stay fired', async ({ db }) => {
  const alert = await seed(db, 'A2');
  await fire(db, T0 + 3 * 60_000);
  assert.equal(await cancelEscalations(db, alert.id, alert.episode, 'acknowledged', T0 + 4 * 60_000), 1);
  assert.deepEqual((await listEscalations(db, alert.id)).map((e) => [e.status, e.reason]), [['fired', null], ['cancelled', 'acknowledged']]);
  assert.equal(await nextEscalationAt(db), undefined);
});
