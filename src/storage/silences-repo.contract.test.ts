/**
 * Silences and muted deliveries on SQLite and PostgreSQL alike (migration 0007): a silence's states and its end; the
 * outbox's muted rows — never claimed, coalesced into, suppressed when their episode ends inside the mute, sent when
 * a resolve must reach a destination the episode reached — and the mute task's reads and writes.
 */
import assert from 'node:assert/strict';
import { alertRow, contract, deliveryRow, seedDeliveries } from '../../test/storage-dialects.ts';
import { insertAlert } from './alerts-repo.ts';
import { claimDeliveries } from './deliveries-claim.ts';
import { enqueueDelivery, type EnqueueInput } from './deliveries-enqueue.ts';
import { InsertBuffer } from './insert-buffer.ts';
import type { Db, SilenceRow } from './schema.ts';
import { alertsByIds, expireSilence, findSilence, insertSilence, listSilences, liveSilences, mutedDeliveries, nextSilenceChange, settleMuted, silenceState } from './silences-repo.ts';

const T0 = 1_764_000_000_000;
const silence = (id: string, startsAt: number, endsAt: number): SilenceRow => ({
  id,
  matchers: '[{"label":"team","op":"=","value":"db"}]',
  starts_at: startsAt,
  ends_at: endsAt,
  created_by: 'kim',
  comment: 'maintenance',
  created_at: T0,
  updated_at: T0,
  expired_at: null,
});

contract('silences: active, pending and expired; expiring one ends it now; the next start or end', async ({ db }) => {
  await insertSilence(db, silence('ACTIVE', T0 - 1000, T0 + 60_000));
  await insertSilence(db, silence('LATER', T0 + 30_000, T0 + 90_000));
  await insertSilence(db, silence('OVER', T0 - 9000, T0 - 1000));
  const ids = async (state?: 'active' | 'pending' | 'expired') => (await listSilences(db, state, T0, 10)).map((s) => s.id);
  assert.deepEqual(await ids('active'), ['ACTIVE']);
  assert.deepEqual(await ids('pending'), ['LATER']);
  assert.deepEqual(await ids('expired'), ['OVER']);
  assert.deepEqual((await liveSilences(db, T0)).map((s) => s.id), ['ACTIVE', 'LATER']);
  assert.equal(await nextSilenceChange(db, T0), T0 + 30_000);
  assert.equal(await nextSilenceChange(db, T0 + 30_000), T0 + 60_000);

  const expired = await expireSilence(db, 'ACTIVE', T0 + 5000);
  assert.equal(silenceState(expired!, T0 + 5000), 'expired');
  const stored = await findSilence(db, 'ACTIVE');
  assert.deepEqual([Number(stored!.ends_at), Number(stored!.expired_at)], [T0 + 5000, T0 + 5000]);
  assert.deepEqual((await liveSilences(db, T0 + 5000)).map((s) => s.id), ['LATER']);
  assert.equal(await expireSilence(db, 'NONE', T0), undefined);
});

const input = (over: Partial<EnqueueInput> = {}): EnqueueInput => ({ destination: 'pager', alertId: 'A', episode: 1, payload: '{"v":1}', status: 'firing', priority: 2, now: 1_000, ...over });
const rows = (db: Db) => db.selectFrom('deliveries').select(['id', 'status', 'payload', 'muted_by', 'episode']).orderBy('id').execute();
const claim = (db: Db) => db.transaction().execute((tx) => claimDeliveries(tx, 'pager', 10, 5_000));

contract('a muted firing state waits as muted, is never claimed, and takes newer states', async ({ db }) => {
  assert.equal(await enqueueDelivery(db, input({ mutedBy: 'silence:S' })), 'muted');
  assert.deepEqual(await claim(db), []);
  assert.equal(await enqueueDelivery(db, input({ payload: '{"v":2}', mutedBy: 'silence:S' })), 'coalesced');
  assert.deepEqual((await rows(db)).map((r) => [r.status, r.payload, r.muted_by]), [['muted', '{"v":2}', 'silence:S']]);
  // The mute is gone by the next update: the row is pending with it.
  assert.equal(await enqueueDelivery(db, input({ payload: '{"v":3}' })), 'coalesced');
  assert.deepEqual((await rows(db)).map((r) => [r.status, r.payload]), [['pending', '{"v":3}']]);
  // A new mute holds a pending row's later update back (nothing is in flight yet).
  assert.equal(await enqueueDelivery(db, input({ payload: '{"v":4}', mutedBy: 'inhibition:B' })), 'muted');
  assert.deepEqual((await rows(db)).map((r) => [r.status, r.muted_by]), [['muted', 'inhibition:B']]);
});

contract('a muted row takes the reason it is muted for now; the mute task then leaves it to that reason', async ({ db }) => {
  await enqueueDelivery(db, input({ mutedBy: 'silence:S1' }));
  // S1 is expiring and S2 has just been made: the next update is muted by S2, and the row says so.
  assert.equal(await enqueueDelivery(db, input({ payload: '{"v":2}', mutedBy: 'silence:S2' })), 'muted');
  assert.deepEqual((await rows(db)).map((r) => [r.status, r.payload, r.muted_by]), [['muted', '{"v":2}', 'silence:S2']]);
  // A mute task that read the row while S1 held it, and saw S1 lift, does not send it.
  const [row] = await rows(db);
  assert.equal(await settleMuted(db, row!.id, 'silence:S1', { status: 'pending' }, 3_000), false);
  assert.deepEqual((await rows(db)).map((r) => [r.status, r.muted_by]), [['muted', 'silence:S2']]);
  assert.deepEqual(await claim(db), []);
});

contract('fired and resolved inside the mute: suppressed; a resolve of a delivered episode goes out though muted', async ({ db }) => {
  await enqueueDelivery(db, input({ mutedBy: 'silence:S' }));
  assert.equal(await enqueueDelivery(db, input({ status: 'resolved', payload: '{"r":1}', mutedBy: 'silence:S' })), 'suppressed');
  assert.deepEqual((await rows(db)).map((r) => [r.status, r.payload]), [['suppressed', '{"r":1}']]);

  // Alert B: its firing was delivered; an update was muted; the resolve takes that row and goes out.
  await seedDeliveries(db, [deliveryRow('B', { status: 'delivered', attempts: 1 })]);
  await enqueueDelivery(db, input({ alertId: 'B', payload: '{"u":1}', mutedBy: 'silence:S' }));
  assert.equal(await enqueueDelivery(db, input({ alertId: 'B', status: 'resolved', payload: '{"r":2}' })), 'coalesced');
  const b = (await rows(db)).filter((r) => r.payload !== '{"r":1}');
  assert.deepEqual(b.map((r) => r.status).slice(-1), ['pending']);
  assert.equal(b.at(-1)!.payload, '{"r":2}');
  // And with no waiting row at all, a resolve is queued pending whatever mutes the alert now.
  await seedDeliveries(db, [deliveryRow('C', { status: 'delivered', attempts: 1 })]);
  assert.equal(await enqueueDelivery(db, input({ alertId: 'C', status: 'resolved', mutedBy: 'silence:S' })), 'inserted');
  assert.equal((await rows(db)).at(-1)!.status, 'pending');
});

contract('muted rows through the insert buffer beside pending ones; the mute task pages and settles them', async ({ db }) => {
  await insertAlert(db, alertRow('A'));
  await insertAlert(db, alertRow('B'));
  const held = new InsertBuffer(db);
  await enqueueDelivery(db, input({ alertId: 'A', newAlert: true }), held);
  await enqueueDelivery(db, input({ alertId: 'B', newAlert: true, mutedBy: 'interval:lunch' }), held);
  await enqueueDelivery(db, input({ alertId: 'A', destination: 'chat', newAlert: true, mutedBy: 'interval:lunch' }), held);
  await held.flush();
  const muted = await mutedDeliveries(db, 0, 10);
  assert.deepEqual(muted.map((m) => [m.alert_id, m.destination, m.muted_by]), [['B', 'pager', 'interval:lunch'], ['A', 'chat', 'interval:lunch']]);
  assert.deepEqual((await mutedDeliveries(db, muted[0]!.id, 10)).map((m) => m.alert_id), ['A']);
  assert.deepEqual([...(await alertsByIds(db, ['A', 'B', 'A'])).keys()].sort(), ['A', 'B']);

  assert.equal(await settleMuted(db, muted[0]!.id, 'silence:other', { status: 'pending' }, 3_000), false, 'only a row still muted by what was read');
  assert.equal(await settleMuted(db, muted[0]!.id, 'interval:lunch', { status: 'pending' }, 3_000), true);
  assert.equal(await settleMuted(db, muted[0]!.id, 'interval:lunch', { status: 'suppressed' }, 3_000), false, 'only a row still muted');
  assert.equal(await settleMuted(db, muted[1]!.id, 'interval:lunch', { status: 'muted', mutedBy: 'silence:X' }, 3_000), true);
  assert.deepEqual((await rows(db)).map((r) => [r.status, r.muted_by]), [['pending', null], ['pending', 'interval:lunch'], ['muted', 'silence:X']]);
  assert.deepEqual((await claim(db)).length, 2);
});
