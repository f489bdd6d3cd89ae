/**
 * The muter against real storage, on SQLite and PostgreSQL: what another instance wrote is seen within the refresh
 * interval (and not before: the documented window), an alert passing through the outbox updates the inhibitors at
 * once, and the mute task's page turns muted rows pending or suppressed.
 */
import assert from 'node:assert/strict';
import { alertRow, contract, deliveryRow, seedDeliveries } from '../../test/storage-dialects.ts';
import { findAlert, insertAlert } from '../storage/alerts-repo.ts';
import type { AlertRow, Db, Tx } from '../storage/schema.ts';
import { insertSilence } from '../storage/silences-repo.ts';
import { liftMuted } from './lift.ts';
import type { MuteRules } from './decide.ts';
import { parseMatchers } from './matchers.ts';
import { Muter } from './muter.ts';

const T0 = 1_764_000_000_000;
const ms = (t: string) => {
  const r = parseMatchers(t);
  if (!r.ok) throw new Error(r.message);
  return r.matchers;
};
const silenceRow = (id: string, endsAt: number) => ({
  id,
  matchers: JSON.stringify([{ label: 'team', op: '=', value: 'db' }]),
  starts_at: T0 - 1,
  ends_at: endsAt,
  created_by: 'kim',
  comment: 'c',
  created_at: T0,
  updated_at: T0,
  expired_at: null,
});
const inTx = <T>(db: Db, fn: (tx: Tx) => Promise<T>) => db.transaction().execute(fn);
/** The muter's answer with "not muted anywhere" (undefined, or a list of undefined) as undefined. */
const mutedFor = async (db: Db, muter: Muter, alert: AlertRow, destinations: string[], now: number) => {
  const r = await inTx(db, async (tx) => muter.reasons(tx, alert, destinations, now));
  return r?.some((x) => x !== undefined) ? r : undefined;
};
const labelled = (id: string, labels: Record<string, string[]>, over: Partial<AlertRow> = {}) => alertRow(id, { labels: JSON.stringify(labels), ...over }) as AlertRow;

contract('a silence written elsewhere mutes here within the refresh interval, not before', async ({ db, connect }) => {
  const other = await connect();
  const rules: MuteRules = { intervals: new Map(), inhibitRules: [] };
  const muter = new Muter({ refreshMs: () => 1000, rules: () => ({ routes: [], mute: rules }) });
  const alert = labelled('A', { team: ['db'] });
  assert.equal(await mutedFor(db, muter, alert, ['pager'], T0), undefined);
  await insertSilence(other, silenceRow('S1', T0 + 60_000));
  assert.equal(await mutedFor(db, muter, alert, ['pager'], T0 + 999), undefined, 'the cached view, inside the window');
  assert.deepEqual(await mutedFor(db, muter, alert, ['pager', 'chat'], T0 + 1000), ['silence:S1', 'silence:S1']);
  assert.equal(await mutedFor(db, muter, labelled('B', { team: ['web'] }), ['pager'], T0 + 1000), undefined);
  assert.equal(await mutedFor(db, muter, alert, ['pager'], T0 + 60_000), undefined, 'ended');
});

contract('inhibitors: read from the active alerts, updated by alerts passing through; the mute task lifts and suppresses', async ({ db }) => {
  const rules: MuteRules = { intervals: new Map(), inhibitRules: [{ source: ms('alertname="NodeDown"'), target: ms('alertname="DiskFull"'), equal: ['instance'] }] };
  const muter = new Muter({ refreshMs: () => 60_000, rules: () => ({ routes: [], mute: rules }) });
  const source = labelled('SRC', { alertname: ['NodeDown'], instance: ['a'] });
  await insertAlert(db, source);
  const target = labelled('T', { alertname: ['DiskFull'], instance: ['a'] });
  const gone = labelled('G', { alertname: ['DiskFull'], instance: ['a'] }, { state: 'resolved' });
  await insertAlert(db, target);
  await insertAlert(db, gone);
  assert.deepEqual(await mutedFor(db, muter, target, ['pager'], T0), ['inhibition:SRC']);
  await seedDeliveries(db, [
    { ...deliveryRow('T'), status: 'muted', muted_by: 'inhibition:SRC' },
    { ...deliveryRow('G'), status: 'muted', muted_by: 'inhibition:SRC' },
  ]);

  // Still inhibited: the task leaves the rows muted.
  let state = await inTx(db, (tx) => muter.fresh(tx, T0 + 1));
  let page = await inTx(db, (tx) => liftMuted(tx, muter, state, 0, 10, T0 + 1));
  assert.deepEqual([page.delivered, page.suppressed], [0, 1], 'the resolved alert’s row is suppressed at once');

  // The source resolves through the outbox: it no longer inhibits, on this instance at once.
  const resolved = { ...source, state: 'resolved' as const };
  await db.updateTable('alerts').set({ state: 'resolved' }).where('id', '=', 'SRC').execute();
  assert.equal(await mutedFor(db, muter, resolved, ['pager'], T0 + 2), undefined);
  assert.equal(await mutedFor(db, muter, target, ['pager'], T0 + 2), undefined);

  state = await inTx(db, (tx) => muter.fresh(tx, T0 + 3));
  page = await inTx(db, (tx) => liftMuted(tx, muter, state, 0, 10, T0 + 3));
  assert.deepEqual([page.delivered, page.suppressed, [...page.woken]], [1, 0, ['pager']]);
  const rows = await db.selectFrom('deliveries').select(['alert_id', 'status']).orderBy('id').execute();
  assert.deepEqual(rows.map((r) => [r.alert_id, r.status]), [['T', 'pending'], ['G', 'suppressed']]);
  assert.equal((await findAlert(db, 'T'))?.state, 'firing');
});

contract('acknowledged while muted: a destination that never heard of the episode gets nothing; one that did gets the state', async ({ db }) => {
  const muter = new Muter({ refreshMs: () => 60_000, rules: () => ({ routes: [], mute: { intervals: new Map(), inhibitRules: [] } }) });
  await insertAlert(db, labelled('ACK', { team: ['db'] }, { state: 'acknowledged' }));
  await insertAlert(db, labelled('FIRE', { team: ['db'] }));
  await seedDeliveries(db, [
    // The chat heard of ACK's episode before the silence; the pager (an escalation step) did not.
    { ...deliveryRow('ACK'), destination: 'chat', status: 'delivered', attempts: 1 },
    { ...deliveryRow('ACK'), destination: 'chat', status: 'muted', muted_by: 'silence:S1' },
    { ...deliveryRow('ACK'), destination: 'pager', status: 'muted', muted_by: 'silence:S1' },
    { ...deliveryRow('FIRE'), destination: 'pager', status: 'muted', muted_by: 'silence:S1' },
  ]);
  const state = await inTx(db, (tx) => muter.fresh(tx, T0)); // no silence any more: the mute has lifted
  const page = await inTx(db, (tx) => liftMuted(tx, muter, state, 0, 10, T0));
  assert.deepEqual([page.delivered, page.suppressed, [...page.woken].sort()], [2, 1, ['chat', 'pager']]);
  const rows = await db.selectFrom('deliveries').select(['alert_id', 'destination', 'status']).where('status', '!=', 'delivered').orderBy('id').execute();
  assert.deepEqual(rows.map((r) => [r.alert_id, r.destination, r.status]), [
    ['ACK', 'chat', 'pending'],
    ['ACK', 'pager', 'suppressed'],
    ['FIRE', 'pager', 'pending'],
  ]);
});
