import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ingest, type IngestDeps } from '../core/ingest.ts';
import { actOnAlert } from '../core/manage.ts';
import { rerouteActive } from '../core/reroute.ts';
import type { AlertEvent, Severity } from '../domain/alert.ts';
import { manualClock } from '../domain/clock.ts';
import { DEFAULT_STORM, pendingLinks, STORM_PRIORITY, STORM_SOURCE, type StormSettings } from '../domain/storm.ts';
import { claimDeliveries } from '../storage/deliveries-claim.ts';
import { GroupCommit } from '../storage/group-commit.ts';
import type { Db } from '../storage/schema.ts';
import { openSqlite } from '../storage/sqlite.ts';
import { StormWatch } from './storm.ts';

/**
 * Real SQLite, real ingest: the summary's durability is a property of the rows, so the watch is driven look by look
 * (`check()`) against them, and a "restart" is a new watch on the same database.
 */
async function setup(settings: StormSettings = { ...DEFAULT_STORM, afterMs: 60_000 }) {
  const db = await openSqlite({ path: join(mkdtempSync(join(tmpdir(), 'tocsin-storm-')), 't.db') });
  const clock = manualClock(1_000_000);
  const commits = new GroupCommit(db);
  let n = 0;
  const newId = () => `A${String(++n).padStart(6, '0')}`;
  const routing = () => ({ routes: [{ matchers: [], to: ['pager', 'other'], continue: false }], destinations: new Set(['pager', 'other']) });
  const deps: IngestDeps = { commits, clock, newId, routing };
  const states: [string, boolean, boolean][] = [];
  let wakes = 0;
  // 60/min and after 60 s: a storm past 60 queued, over at 6.
  const watch = (s = settings, timing: { minGapMs?: number; idleEveryMs?: number; activeEveryMs?: number } = {}) =>
    new StormWatch(
      {
        db,
        commits,
        clock,
        logger: pino({ level: 'silent' }),
        observer: { stormState: (d, a, started) => states.push([d, a, started]) },
        newId,
        links: (d) => pendingLinks('http://tocsin.test', d),
        wake: () => wakes++,
        ...timing,
      },
      { name: 'pager', rateLimit: { perMinute: 60, burst: 10 }, settings: s },
    );
  const fire = (count: number, severity: Severity = 'warning', from = 0, status: AlertEvent['status'] = 'firing') =>
    ingest(
      deps,
      Array.from({ length: count }, (_, i) => ({ source: 'app', dedupKey: `${severity}-${from + i}`, status, title: `T${(from + i) % 3}`, severity, metadata: { team: (from + i) % 2 ? 'data' : 'web' } })),
    );
  const summary = () => db.selectFrom('alerts').selectAll().where('source', '=', STORM_SOURCE).executeTakeFirst();
  const summaryRows = async () => {
    const s = await summary();
    return s ? db.selectFrom('deliveries').selectAll().where('alert_id', '=', s.id).orderBy('id').execute() : [];
  };
  /** The worker's part, as far as these tests need it: claim rows, and say incident.io took them. */
  const send = async (limit: number) => {
    const rows = await commits.run((tx) => claimDeliveries(tx, 'pager', limit, clock.now()));
    await db.updateTable('deliveries').set({ status: 'delivered' }).where('id', 'in', rows.length ? rows.map((r) => r.id) : [-1]).execute();
    return rows;
  };
  return { db, clock, commits, deps, watch, fire, summary, summaryRows, send, states, wakes: () => wakes, routing };
}

/** The backlog drains (sent, or coalesced away); the summary's own rows are left alone. */
const skipPending = (db: Db) =>
  db.updateTable('deliveries').set({ status: 'skipped' }).where('destination', '=', 'pager').where('status', '=', 'pending').where('priority', '<', STORM_PRIORITY).execute();

test('below the bound nothing happens; past it one summary is queued ahead of every alert', async () => {
  const t = await setup();
  await t.fire(60);
  const w = t.watch();
  assert.equal(await w.check(), 'quiet');
  assert.equal(await t.summary(), undefined);

  await t.fire(1, 'critical');
  await t.fire(10, 'warning', 100);
  assert.equal(await w.check(), 'start');
  const s = (await t.summary())!;
  assert.equal(s.external_key, 'tocsin:storm:pager');
  assert.equal(s.state, 'firing');
  assert.equal(s.severity, 'critical');
  assert.deepEqual(JSON.parse(s.routed_to), ['pager']);
  const meta = JSON.parse(s.metadata);
  assert.equal(meta.queued, 71);
  assert.deepEqual(meta.by_severity, { warning: 70, critical: 1 });
  assert.deepEqual(meta.by_source, { app: 71 });
  assert.deepEqual(meta.top_groups, [
    { title: 'T0', count: 24 },
    { title: 'T1', count: 24 },
    { title: 'T2', count: 23 },
  ]);
  assert.deepEqual(meta.top_label_groups, [
    { labels: { team: 'web' }, count: 36 },
    { labels: { team: 'data' }, count: 35 },
  ]);
  assert.equal(meta.pending_deliveries_url, 'http://tocsin.test/api/v1/deliveries?destination=pager&status=pending');
  assert.equal(meta.pending_deliveries_page, 'http://tocsin.test/ui/deliveries?destination=pager&status=pending');
  assert.equal(s.source_url, meta.pending_deliveries_page, 'the link people follow from incident.io is the web UI page');
  assert.equal(t.wakes(), 1);
  assert.deepEqual(t.states, [['pager', true, true]]);

  // Sent first, then the critical alert, then warnings oldest first.
  const [first, second, third] = await t.send(3);
  assert.equal(first!.alert_id, s.id);
  assert.equal(first!.priority, STORM_PRIORITY);
  assert.equal(JSON.parse(second!.payload).severity, 'critical');
  assert.equal(JSON.parse(third!.payload).dedupKey, 'warning-0');
  // Only the destination in a storm gets a summary.
  assert.equal((await t.db.selectFrom('deliveries').select('id').where('destination', '=', 'other').where('alert_id', '=', s.id).execute()).length, 0);
});

test('updates: at most one per interval, only when the counts changed, coalesced while the last is still queued', async () => {
  const t = await setup();
  await t.fire(100);
  const w = t.watch();
  assert.equal(await w.check(), 'start');
  assert.equal(await w.check(), 'steady');
  t.clock.advance(30_000);
  // Nothing changed: no update, and the breakdown is not recounted at every look.
  assert.equal(await w.check(), 'refresh');
  assert.equal((await t.summaryRows()).length, 1);
  assert.equal(await w.check(), 'steady');

  await t.fire(20, 'error', 500);
  t.clock.advance(30_000);
  assert.equal(await w.check(), 'refresh');
  let rows = await t.summaryRows();
  assert.equal(rows.length, 1, 'the queued firing took the update');
  assert.equal(JSON.parse(rows[0]!.payload).metadata.queued, 120);
  assert.match(JSON.parse(rows[0]!.payload).title, /120 alerts queued for pager/);

  await t.send(1);
  await t.fire(5, 'error', 600);
  t.clock.advance(30_000);
  assert.equal(await w.check(), 'refresh');
  rows = await t.summaryRows();
  assert.deepEqual(
    rows.map((r) => r.status),
    ['delivered', 'pending'],
  );
  const started = JSON.parse(rows[0]!.payload).metadata.storm_started_at;
  assert.equal(JSON.parse(rows[1]!.payload).metadata.storm_started_at, started, 'an update keeps the start time');
});

test('the summary is resolved once the queue drains; a firing that never left the queue is dropped instead', async () => {
  const t = await setup();
  await t.fire(100);
  const w = t.watch();
  assert.equal(await w.check(), 'start');
  await t.send(1);
  // Down to 10 queued: still over the low mark (6), so no flapping.
  await t.fire(90, 'warning', 0, 'resolved');
  assert.equal(await w.check(), 'steady');
  await t.send(4);
  assert.equal(await w.check(), 'end');
  const s = (await t.summary())!;
  assert.equal(s.state, 'resolved');
  const rows = await t.summaryRows();
  assert.deepEqual(
    rows.map((r) => [r.status, JSON.parse(r.payload).status]),
    [
      ['delivered', 'firing'],
      ['pending', 'resolved'],
    ],
  );
  assert.deepEqual(t.states.at(-1), ['pager', false, false]);

  // A storm that is over before its summary was sent sends nothing.
  await t.fire(100, 'info', 1000);
  assert.equal(await w.check(), 'start');
  const second = (await t.summary())!;
  assert.equal(second.episode, 2);
  await skipPending(t.db);
  assert.equal(await w.check(), 'end');
  const episode2 = (await t.summaryRows()).filter((r) => r.episode === 2);
  assert.deepEqual(
    episode2.map((r) => [r.status, r.hint]),
    [['skipped', 'resolved before delivery']],
  );
});

test('a restart mid-storm carries on: no second summary, the same one is updated and then resolved', async () => {
  const t = await setup();
  await t.fire(100);
  assert.equal(await t.watch().check(), 'start');
  await t.send(1);

  const after = t.watch();
  t.clock.advance(1_000);
  assert.equal(await after.check(), 'steady', 'the summary written 1 s ago is not rewritten');
  assert.deepEqual(t.states.at(-1), ['pager', true, false], 'the gauge comes back; no new storm is counted');
  assert.equal((await t.summaryRows()).length, 1);
  t.clock.advance(30_000);
  await t.fire(3, 'critical');
  assert.equal(await after.check(), 'refresh');
  assert.equal((await t.summary())!.episode, 1);

  await skipPending(t.db);
  assert.equal(await t.watch().check(), 'end');
  const rows = await t.summaryRows();
  // The queued update took the resolve (coalescing); the firing was delivered, so the resolve is sent.
  assert.deepEqual(
    rows.map((r) => [r.status, JSON.parse(r.payload).status]),
    [
      ['delivered', 'firing'],
      ['pending', 'resolved'],
    ],
  );
});

test('storm mode switched off by a reload resolves an active summary and starts none', async () => {
  const t = await setup();
  await t.fire(100);
  const w = t.watch();
  assert.equal(await w.check(), 'start');
  await t.send(1);
  w.replace({ name: 'pager', rateLimit: { perMinute: 60, burst: 10 }, settings: { ...DEFAULT_STORM, enabled: false } });
  assert.equal(await w.check(), 'end');
  assert.equal((await t.summary())!.state, 'resolved');
  assert.equal(await w.check(), 'quiet');
});

test('a summary a person resolved stays resolved until the queue drains; the next storm opens a new one', async () => {
  const t = await setup();
  await t.fire(100);
  const w = t.watch();
  assert.equal(await w.check(), 'start');
  const s = (await t.summary())!;
  const r = await actOnAlert(t.commits, t.clock, s.id, 'resolve', new Set(['pager']));
  assert.ok(r.ok);
  assert.equal(await w.check(), 'quiet');
  assert.equal(await t.watch().check(), 'quiet', 'a restart respects it too');
  await skipPending(t.db);
  assert.equal(await w.check(), 'quiet');
  await t.fire(100, 'warning', 1000);
  assert.equal(await w.check(), 'start');
  assert.equal((await t.summary())!.episode, 2);
});

test('rerouting at start or reload leaves the summary with its own destination', async () => {
  const t = await setup();
  await t.fire(100);
  assert.equal(await t.watch().check(), 'start');
  const report = await rerouteActive(t.commits, t.clock, t.routing());
  assert.equal(report.added.get('other') ?? 0, 0);
  assert.deepEqual(JSON.parse((await t.summary())!.routed_to), ['pager']);
});

test('the running watch: a poke is looked at at once, not at the next idle look; stop ends it', async () => {
  const t = await setup();
  const w = t.watch(undefined, { minGapMs: 10, idleEveryMs: 60_000, activeEveryMs: 60_000 });
  w.start();
  await new Promise((r) => setTimeout(r, 50));
  await t.fire(100);
  const began = Date.now();
  w.poke();
  while (!(await t.summary()) && Date.now() - began < 5_000) await new Promise((r) => setTimeout(r, 10));
  assert.ok(await t.summary(), 'the summary was written after the poke');
  assert.ok(Date.now() - began < 2_000, `${Date.now() - began} ms after the poke`);
  const stopping = Date.now();
  await w.stop();
  assert.ok(Date.now() - stopping < 1_000, 'stop does not wait for the next look');
  assert.deepEqual(t.states, [
    ['pager', true, true],
    ['pager', false, false],
  ]);
});
