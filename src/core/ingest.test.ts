import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertEvent } from '../domain/alert.ts';
import { manualClock } from '../domain/clock.ts';
import { compileMatcher } from '../routing/matchers.ts';
import { claimDeliveries, listDeliveries } from '../storage/deliveries-repo.ts';
import { GroupCommit } from '../storage/group-commit.ts';
import { openSqlite } from '../storage/sqlite.ts';
import { ingest, type IngestDeps } from './ingest.ts';
import { retryDelivery } from './manage.ts';

/** Real SQLite in a temp dir: the outbox rules are properties of the queries, so they are tested against them. */
async function setup() {
  const db = await openSqlite({ path: join(mkdtempSync(join(tmpdir(), 'tocsin-ingest-')), 't.db') });
  const clock = manualClock(1_000_000);
  let n = 0;
  const commits = new GroupCommit(db);
  const deps: IngestDeps = {
    commits,
    clock,
    newId: () => `A${String(++n).padStart(4, '0')}`,
    routing: () => ({
      routes: [
        { matchers: [compileMatcher('severity', '=', 'critical')], to: ['pager', 'log'], continue: false },
        { matchers: [compileMatcher('team', '=', 'data')], to: ['log'], continue: false },
      ],
      destinations: new Set(['pager', 'log']),
    }),
  };
  const ev = (over: Partial<AlertEvent> = {}): AlertEvent => ({ source: 'app', dedupKey: 'k', status: 'firing', title: 'T', severity: 'critical', metadata: {}, ...over });
  const rows = (destination = 'pager') => listDeliveries(db, { destination, limit: 100 }).then((r) => r.reverse());
  return { db, clock, deps, ev, rows, commits };
}

test('routing: matching destinations get one delivery each; unrouted alerts are kept without deliveries', async () => {
  const { deps, ev, rows, db } = await setup();
  const r = await ingest(deps, [ev(), ev({ dedupKey: 'u', severity: 'info' })]);
  assert.ok(r.ok);
  assert.deepEqual([...r.enqueued].sort(), ['log', 'pager']);
  assert.equal((await rows('pager')).length, 1);
  assert.equal((await rows('log')).length, 1);
  const unrouted = await db.selectFrom('alerts').selectAll().where('dedup_key', '=', 'u').executeTakeFirstOrThrow();
  assert.equal(unrouted.routed_to, '[]');
});

test('a pending delivery takes the newest state instead of queueing another', async () => {
  const { deps, ev, rows } = await setup();
  await ingest(deps, [ev({ title: 'v1' })]);
  await ingest(deps, [ev({ title: 'v2' })]);
  await ingest(deps, [ev({ title: 'v3' })]);
  const r = await rows();
  assert.equal(r.length, 1);
  assert.equal(JSON.parse(r[0]!.payload).title, 'v3');
});

test('fired and resolved before the first send: nothing is sent', async () => {
  const { deps, ev, rows } = await setup();
  await ingest(deps, [ev()]);
  await ingest(deps, [ev({ status: 'resolved' })]);
  const r = await rows();
  assert.equal(r.length, 1);
  assert.equal(r[0]!.status, 'skipped');
  assert.equal(r[0]!.hint, 'resolved before delivery');
});

test('a row in flight is never rewritten; the newer state queues behind it and waits for it', async () => {
  const { deps, ev, rows, commits, clock } = await setup();
  await ingest(deps, [ev({ title: 'v1' }), ev({ dedupKey: 'other' })]);
  const claimed = await commits.run((tx) => claimDeliveries(tx, 'pager', 10, clock.now()));
  assert.equal(claimed.length, 2);
  await ingest(deps, [ev({ title: 'v2' })]);
  await ingest(deps, [ev({ title: 'v2', status: 'resolved' })]);
  const r = await rows();
  assert.deepEqual(r.map((x) => [x.status, JSON.parse(x.payload).title, JSON.parse(x.payload).status]), [
    ['in_flight', 'v1', 'firing'],
    ['in_flight', 'T', 'firing'],
    ['pending', 'v2', 'resolved'],
  ]);
  // The alert's second row must wait while its first is in flight.
  assert.equal((await commits.run((tx) => claimDeliveries(tx, 'pager', 10, clock.now()))).length, 0);
});

test('a new episode is not merged into the previous episode\'s pending resolve', async () => {
  const { deps, ev, rows, commits, clock } = await setup();
  await ingest(deps, [ev()]);
  await commits.run((tx) => claimDeliveries(tx, 'pager', 10, clock.now()));
  await ingest(deps, [ev({ status: 'resolved' })]);
  const refire = await ingest(deps, [ev()]);
  assert.ok(refire.ok);
  assert.equal(refire.results[0]!.result, 'created');
  const r = await rows();
  assert.deepEqual(r.map((x) => [x.episode, JSON.parse(x.payload).status]), [
    [1, 'firing'],
    [1, 'resolved'],
    [2, 'firing'],
  ]);
});

test('claims go most severe first', async () => {
  const { deps, ev, commits, clock } = await setup();
  deps.routing = () => ({ routes: [{ matchers: [], to: ['pager'], continue: false }], destinations: new Set(['pager']) });
  await ingest(deps, [ev({ dedupKey: 'a', severity: 'info' }), ev({ dedupKey: 'b', severity: 'warning' }), ev({ dedupKey: 'c', severity: 'critical' })]);
  const claimed = await commits.run((tx) => claimDeliveries(tx, 'pager', 2, clock.now()));
  assert.deepEqual(claimed.map((c) => JSON.parse(c.payload).dedupKey), ['c', 'b']);
});

test('a caller-chosen destination must be configured', async () => {
  const { deps, ev } = await setup();
  const r = await ingest(deps, [ev()], 'https://evil.example/hook');
  assert.equal(r.ok, false);
  const ok = await ingest(deps, [ev({ severity: 'info' })], 'log');
  assert.ok(ok.ok && ok.enqueued.has('log'));
});

test('retrying a dead delivery sends the latest state and folds later dead rows into it', async () => {
  const { deps, ev, rows, commits, clock, db } = await setup();
  await ingest(deps, [ev()]);
  const [first] = await commits.run((tx) => claimDeliveries(tx, 'pager', 1, clock.now()));
  await db.updateTable('deliveries').set({ status: 'dead' }).where('id', '=', first!.id).execute();
  await ingest(deps, [ev({ status: 'resolved' })]);
  const [second] = await commits.run((tx) => claimDeliveries(tx, 'pager', 1, clock.now()));
  await db.updateTable('deliveries').set({ status: 'dead' }).where('id', '=', second!.id).execute();
  const r = await retryDelivery(commits, clock, first!.id);
  assert.ok(r.ok);
  assert.equal(JSON.parse(r.value.payload).status, 'resolved');
  assert.deepEqual((await rows()).map((x) => x.status), ['pending', 'superseded']);
  const again = await retryDelivery(commits, clock, first!.id);
  assert.equal(again.ok, false);
});

test('the same alert twice in one request: applied in order, one delivery with the last state', async () => {
  const { deps, ev, rows } = await setup();
  const r = await ingest(deps, [ev({ title: 'a' }), ev({ title: 'a' }), ev({ title: 'b' }), ev({ status: 'resolved', title: 'b' })]);
  assert.ok(r.ok);
  assert.deepEqual(r.results.map((x) => x.result), ['created', 'unchanged', 'updated', 'resolved']);
  const d = await rows();
  assert.equal(d.length, 1);
  assert.equal(d[0]!.status, 'skipped');
});
