/**
 * The escalations list across alerts (GET /api/v1/escalations) on SQLite and PostgreSQL alike: by status, pending
 * soonest due first, settled ones most recent first, each with its alert's title and state, within the limit.
 */
import assert from 'node:assert/strict';
import { alertRow, contract } from '../../test/storage-dialects.ts';
import { insertAlert } from './alerts-repo.ts';
import { finishEscalation, listEscalationsByStatus } from './escalations-repo.ts';
import type { Db } from './schema.ts';

const T0 = 1_764_000_000_000;

async function step(db: Db, alertId: string, step: number, dueAt: number): Promise<number> {
  const r = await db
    .insertInto('escalations')
    .values({ alert_id: alertId, episode: 1, step, due_at: dueAt, destinations: '["oncall"]', status: 'pending', reason: null, created_at: T0, updated_at: T0 })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(r.id);
}

contract('escalations by status: pending soonest first with the alert, settled most recent first, limited', async ({ db }) => {
  await insertAlert(db, alertRow('LATE', { title: 'Late one' }));
  await insertAlert(db, alertRow('SOON', { title: 'Soon one', state: 'acknowledged' }));
  const late = await step(db, 'LATE', 1, T0 + 900_000);
  await step(db, 'SOON', 1, T0 + 180_000);
  const soon2 = await step(db, 'SOON', 2, T0 + 600_000);

  const pending = await listEscalationsByStatus(db, 'pending', 10);
  assert.deepEqual(pending.map((e) => [e.alert_id, e.step, Number(e.due_at), e.alert_title, e.alert_state]), [
    ['SOON', 1, T0 + 180_000, 'Soon one', 'acknowledged'],
    ['SOON', 2, T0 + 600_000, 'Soon one', 'acknowledged'],
    ['LATE', 1, T0 + 900_000, 'Late one', 'firing'],
  ]);
  assert.deepEqual((await listEscalationsByStatus(db, 'pending', 1)).map((e) => e.alert_id), ['SOON']);

  await finishEscalation(db, late, 'fired', null, T0 + 900_000);
  await finishEscalation(db, soon2, 'cancelled', 'acknowledged', T0 + 1_000);
  assert.deepEqual((await listEscalationsByStatus(db, 'pending', 10)).map((e) => e.step), [1]);
  assert.deepEqual((await listEscalationsByStatus(db, 'fired', 10)).map((e) => [e.alert_id, e.status, e.reason]), [['LATE', 'fired', null]]);
  assert.deepEqual((await listEscalationsByStatus(db, 'cancelled', 10)).map((e) => [e.alert_id, e.step, e.reason]), [['SOON', 2, 'acknowledged']]);
  await finishEscalation(db, (await listEscalationsByStatus(db, 'pending', 1))[0]!.id, 'cancelled', 'resolved', T0 + 2_000);
  assert.deepEqual((await listEscalationsByStatus(db, 'cancelled', 10)).map((e) => e.reason), ['resolved', 'acknowledged'], 'most recently settled first');
});
