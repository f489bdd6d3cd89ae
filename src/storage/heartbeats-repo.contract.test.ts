/** Heartbeats on SQLite and PostgreSQL alike: the clock survives in the row, state changes are compare-and-set, the missed alert is raised once and resolved where it went. */
import assert from 'node:assert/strict';
import { contract } from '../../test/storage-dialects.ts';
import type { HeartbeatConfig } from '../config/heartbeats-schema.ts';
import { raiseMissed, resolveMissed } from '../heartbeats/alert.ts';
import { compileMatcher } from '../routing/matchers.ts';
import { listTransitions } from './alerts-repo.ts';
import { listDeliveries } from './deliveries-repo.ts';
import { claimForward, forwardFailed, forwardsDue, forwardSettled, listHeartbeatRows, markDown, markUp, missedHeartbeats, nextHeartbeatDue, recordPing, recoveredHeartbeats, syncHeartbeats } from './heartbeats-repo.ts';

const T0 = 1_764_000_000_000;
const MIN = 60_000;

const hb = (name: string, over: Partial<HeartbeatConfig> = {}): HeartbeatConfig => ({
  name,
  everyMs: 5 * MIN,
  everyText: '5m',
  graceMs: 0,
  token: undefined,
  severity: 'critical',
  title: `${name}: no heartbeat for 5m`,
  description: undefined,
  labels: { team: 'data' },
  watchdog: undefined,
  forward: undefined,
  alert: true,
  ...over,
});

contract('the clock starts at configuration, a ping moves it, a changed period moves it, removed heartbeats are handed back', async ({ db }) => {
  assert.deepEqual(await syncHeartbeats(db, [{ name: 'etl', periodMs: 5 * MIN }, { name: 'old', periodMs: MIN }], T0), []);
  let [etl] = await listHeartbeatRows(db);
  assert.deepEqual([etl!.due_at, etl!.last_ping_at, etl!.state, etl!.pings], [T0 + 5 * MIN, null, 'up', 0]);
  await recordPing(db, 'etl', 5 * MIN, T0 + MIN, false);
  await recordPing(db, 'etl', 5 * MIN, T0 + 2 * MIN, false);
  [etl] = await listHeartbeatRows(db);
  assert.deepEqual([etl!.due_at, etl!.last_ping_at, etl!.pings], [T0 + 7 * MIN, T0 + 2 * MIN, 2]);
  // Synced again later (a restart, a reload): the clock is not reset.
  const gone = await syncHeartbeats(db, [{ name: 'etl', periodMs: 5 * MIN }], T0 + 3 * MIN);
  assert.deepEqual(gone.map((r) => r.name), ['old']);
  assert.equal((await listHeartbeatRows(db)).find((r) => r.name === 'etl')!.due_at, T0 + 7 * MIN);
  await syncHeartbeats(db, [{ name: 'etl', periodMs: 10 * MIN }], T0 + 3 * MIN);
  assert.equal((await listHeartbeatRows(db)).find((r) => r.name === 'etl')!.due_at, T0 + 12 * MIN, 'last ping + the new period');
  // A ping for a heartbeat this instance has not synced yet creates its row.
  await recordPing(db, 'fresh', MIN, T0, true);
  const fresh = (await listHeartbeatRows(db)).find((r) => r.name === 'fresh')!;
  assert.deepEqual([fresh.due_at, fresh.pings, fresh.forward_ping_at], [T0 + MIN, 1, T0]);
});

contract('down and up are compare-and-set on due_at: a ping landing in between wins', async ({ db }) => {
  await syncHeartbeats(db, [{ name: 'etl', periodMs: MIN }], T0);
  assert.equal(await nextHeartbeatDue(db, T0), T0 + MIN);
  assert.deepEqual((await missedHeartbeats(db, T0 + MIN)).map((r) => r.name), ['etl']);
  await recordPing(db, 'etl', MIN, T0 + MIN, false); // after the scheduler read it as missed
  assert.equal(await markDown(db, 'etl', T0 + MIN), false, 'the ping since the read wins');
  assert.equal(await markDown(db, 'etl', T0 + 2 * MIN), true);
  assert.equal(await markDown(db, 'etl', T0 + 2 * MIN), false, 'once');
  assert.equal(await nextHeartbeatDue(db, T0 + 2 * MIN), undefined, 'down: nothing to do until a ping');
  assert.deepEqual(await recoveredHeartbeats(db, T0 + 2 * MIN), []);
  await recordPing(db, 'etl', MIN, T0 + 3 * MIN, false);
  assert.equal(await nextHeartbeatDue(db, T0 + 3 * MIN), T0 + 3 * MIN, 'pinged while down: now');
  assert.deepEqual((await recoveredHeartbeats(db, T0 + 3 * MIN)).map((r) => r.name), ['etl']);
  assert.equal(await markUp(db, 'etl', T0 + 3 * MIN), true);
  assert.equal(await markUp(db, 'etl', T0 + 3 * MIN), false);
});

contract('the missed alert: routed on its labels, queued, resolved where it went, a later miss is a new episode', async ({ db }) => {
  await syncHeartbeats(db, [{ name: 'etl', periodMs: 5 * MIN }], T0);
  const [row] = await listHeartbeatRows(db);
  const routing = { routes: [{ matchers: [compileMatcher('heartbeat', '=', 'etl')], to: ['data'], continue: false }, { matchers: [], to: ['oncall'], continue: false }], destinations: new Set(['data', 'oncall']) };
  let id = 0;
  const newId = () => `HB${++id}`;
  const raise = (now: number) => db.transaction().execute((tx) => raiseMissed(tx, hb('etl'), row!, now, routing as never, newId));
  assert.deepEqual(await raise(T0 + 5 * MIN), ['data']);
  assert.deepEqual(await raise(T0 + 6 * MIN), [], 'already firing: nothing more');
  const alert = await db.selectFrom('alerts').selectAll().where('source', '=', 'tocsin:heartbeat').executeTakeFirstOrThrow();
  assert.deepEqual([alert.dedup_key, alert.title, alert.severity, alert.state, alert.routed_to], ['etl', 'etl: no heartbeat for 5m', 'critical', 'firing', '["data"]']);
  assert.deepEqual(JSON.parse(alert.labels).team, ['data']);
  // Sent before the resolve (else the resolve of a firing that never left the queue would send nothing).
  await db.updateTable('deliveries').set({ status: 'delivered' }).execute();
  assert.deepEqual(await db.transaction().execute((tx) => resolveMissed(tx, 'etl', T0 + 7 * MIN, routing.destinations, 'pings resumed')), ['data']);
  assert.deepEqual(await raise(T0 + 20 * MIN), ['data']);
  const again = await db.selectFrom('alerts').selectAll().where('id', '=', alert.id).executeTakeFirstOrThrow();
  assert.deepEqual([again.episode, again.state], [2, 'firing']);
  assert.deepEqual((await listTransitions(db, alert.id)).map((t) => [t.kind, t.actor]), [
    ['created', 'tocsin:heartbeat'],
    ['resolved', 'tocsin:heartbeat'],
    ['refired', 'tocsin:heartbeat'],
  ]);
  const sent = (await listDeliveries(db, { limit: 10 })).map((d) => [d.destination, d.episode, JSON.parse(d.payload).status]).sort();
  assert.deepEqual(sent, [['data', 1, 'firing'], ['data', 1, 'resolved'], ['data', 2, 'firing']]);
});

contract('forwards: queued by a ping, claimed, retried after a failure, settled once sent (a newer ping goes next)', async ({ db }) => {
  await recordPing(db, 'etl', MIN, T0, true);
  assert.deepEqual((await forwardsDue(db, T0)).map((r) => r.forward_ping_at), [T0]);
  await claimForward(db, 'etl', T0 + 11_000);
  assert.deepEqual(await forwardsDue(db, T0 + 1000), [], 'claimed while it is sent');
  await forwardFailed(db, 'etl', (n) => T0 + n * 2000, 'HTTP 503', T0 + 1000);
  let [row] = await listHeartbeatRows(db);
  assert.deepEqual([row!.forward_failures, row!.forward_next_at, row!.forward_error], [1, T0 + 2000, 'HTTP 503']);
  await recordPing(db, 'etl', MIN, T0 + 1500, true);
  [row] = await listHeartbeatRows(db);
  assert.deepEqual([row!.forward_ping_at, row!.forward_next_at], [T0 + 1500, T0 + 2000], 'a ping keeps the backoff');
  await forwardSettled(db, 'etl', T0, T0 + 2500, { forwarded: true }); // the older ping got through late
  [row] = await listHeartbeatRows(db);
  assert.deepEqual([row!.forward_ping_at, row!.forward_next_at, row!.forwarded_at, row!.forward_failures], [T0 + 1500, T0 + 2500, T0, 0]);
  await forwardSettled(db, 'etl', T0 + 1500, T0 + 3000, { forwarded: true });
  [row] = await listHeartbeatRows(db);
  assert.deepEqual([row!.forward_ping_at, row!.forward_next_at, row!.forwarded_at], [null, null, T0 + 1500]);
  assert.equal(await nextHeartbeatDue(db, T0 + 3000), T0 + 1500 + MIN);
});
