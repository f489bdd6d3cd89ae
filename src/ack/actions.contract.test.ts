/**
 * Acknowledge and unacknowledge on SQLite and PostgreSQL alike: one commit each with the state, the transition (who),
 * the escalation steps cancelled or re-armed (due at their own time, or now if it passed), and the new state queued
 * only to destinations that show it — never to incident.io ones.
 */
import assert from 'node:assert/strict';
import { alertRow, contract } from '../../test/storage-dialects.ts';
import { scheduleEscalations } from '../core/escalate.ts';
import type { DeliveryPayload } from '../destinations/types.ts';
import { findAlert, insertAlert, listTransitions } from '../storage/alerts-repo.ts';
import { listDeliveries } from '../storage/deliveries-repo.ts';
import { listEscalations } from '../storage/escalations-repo.ts';
import { GroupCommit } from '../storage/group-commit.ts';
import { InsertBuffer } from '../storage/insert-buffer.ts';
import type { Db } from '../storage/schema.ts';
import { acknowledge, unacknowledge, type AckDeps } from './actions.ts';

const T0 = 1_764_000_000_000;

async function setup(db: Db, id: string) {
  let now = T0;
  const woken: string[] = [];
  const deps: AckDeps = {
    commits: new GroupCommit(db),
    clock: { now: () => now },
    configured: () => new Set(['chat', 'oncall', 'pager']),
    updatesOnAcknowledge: () => new Set(['chat']),
    wake: (d) => woken.push(...d),
  };
  await insertAlert(db, alertRow(id, { routed_to: '["chat","pager"]', created_at: T0, updated_at: T0, last_event_at: T0 }));
  const row = (await findAlert(db, id))!;
  await db.transaction().execute(async (tx) => {
    const held = new InsertBuffer(tx);
    await scheduleEscalations(held, row, [{ afterMs: 60_000, to: ['oncall'] }, { afterMs: 120_000, to: ['oncall'] }], T0);
    await held.flush();
  });
  return { deps, woken, at: (ms: number) => (now = T0 + ms) };
}

const payloads = async (db: Db, id: string) => (await listDeliveries(db, { alertId: id, limit: 10 })).map((d) => ({ destination: d.destination, p: JSON.parse(d.payload) as DeliveryPayload }));

contract('acknowledge: state, who, steps cancelled, the acknowledged state queued to chat only; again changes nothing', async ({ db }) => {
  const { deps, woken, at } = await setup(db, 'A1');
  at(10_000);
  const r = await acknowledge(deps, 'A1', { by: '  alice\n', via: 'link' }, 1);
  assert.ok(r.ok && r.changed && r.alert.state === 'acknowledged');
  const a = (await findAlert(db, 'A1'))!;
  assert.equal(a.state, 'acknowledged');
  assert.equal(Number(a.acknowledged_at), T0 + 10_000);
  const t = (await listTransitions(db, 'A1')).find((x) => x.kind === 'acknowledged')!;
  assert.equal(t.actor, 'alice');
  assert.deepEqual(JSON.parse(t.content), { via: 'link' });
  assert.deepEqual((await listEscalations(db, 'A1')).map((e) => [e.status, e.reason]), [['cancelled', 'acknowledged'], ['cancelled', 'acknowledged']]);
  const queued = await payloads(db, 'A1');
  assert.deepEqual(queued.map((q) => q.destination), ['chat'], 'not pager (an incident.io destination)');
  assert.equal(queued[0]!.p.status, 'firing');
  assert.deepEqual(queued[0]!.p.acknowledged, { at: T0 + 10_000, by: 'alice' });
  assert.deepEqual(woken, ['chat']);

  const again = await acknowledge(deps, 'A1', { via: 'api' });
  assert.ok(again.ok && !again.changed);
  assert.equal((await listTransitions(db, 'A1')).filter((x) => x.kind === 'acknowledged').length, 1);
});

contract('a link for another episode, an unknown or resolved alert: refused, nothing changed', async ({ db }) => {
  const { deps } = await setup(db, 'A2');
  const other = await acknowledge(deps, 'A2', { via: 'link' }, 2);
  assert.ok(!other.ok && other.status === 410);
  assert.equal((await findAlert(db, 'A2'))!.state, 'firing');
  const missing = await acknowledge(deps, 'nope', { via: 'api' });
  assert.ok(!missing.ok && missing.status === 404);
  await db.updateTable('alerts').set({ state: 'resolved' }).where('id', '=', 'A2').execute();
  const resolved = await acknowledge(deps, 'A2', { via: 'api' });
  assert.ok(!resolved.ok && resolved.status === 409);
  assert.deepEqual(await listDeliveries(db, { alertId: 'A2', limit: 10 }), []);
});

contract('unacknowledge: firing again, the steps re-armed at their own time or now, the firing state queued to chat', async ({ db }) => {
  const { deps, at } = await setup(db, 'A3');
  at(10_000);
  await acknowledge(deps, 'A3', { via: 'api' });
  at(90_000); // past the first step's time (60 s), before the second's (120 s)
  const r = await unacknowledge(deps, 'A3', { by: 'bob', via: 'api' });
  assert.ok(r.ok && r.changed && r.alert.state === 'firing');
  const a = (await findAlert(db, 'A3'))!;
  assert.equal(a.state, 'firing');
  assert.equal(a.acknowledged_at, null);
  assert.deepEqual((await listEscalations(db, 'A3')).map((e) => [e.status, Number(e.due_at) - T0]), [['pending', 90_000], ['pending', 120_000]]);
  const t = (await listTransitions(db, 'A3')).find((x) => x.kind === 'unacknowledged')!;
  assert.equal(t.actor, 'bob');
  assert.deepEqual(JSON.parse(t.content), { via: 'api', steps_rearmed: 2 });
  const queued = await payloads(db, 'A3');
  // The acknowledged state was still pending: the firing state replaced it in the same row.
  assert.deepEqual(queued.map((q) => [q.destination, q.p.acknowledged]), [['chat', undefined]]);
  const firing = await unacknowledge(deps, 'A3', { via: 'api' });
  assert.ok(firing.ok && !firing.changed);
});

contract('a step that fired before the ack is not re-armed', async ({ db }) => {
  const { deps, at } = await setup(db, 'A4');
  await db.updateTable('escalations').set({ status: 'fired' }).where('alert_id', '=', 'A4').where('step', '=', 1).execute();
  at(70_000);
  await acknowledge(deps, 'A4', { via: 'api' });
  await unacknowledge(deps, 'A4', { via: 'api' });
  assert.deepEqual((await listEscalations(db, 'A4')).map((e) => e.status), ['fired', 'pending']);
});
