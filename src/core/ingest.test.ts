import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertEvent } from '../domain/alert.ts';
import { manualClock } from '../domain/clock.ts';
import { compileMatcher } from '../routing/matchers.ts';
import { claimDeliveries } from '../storage/deliveries-claim.ts';
import { listDeliveries } from '../storage/deliveries-repo.ts';
import { GroupCommit } from '../storage/group-commit.ts';
import { openSqlite } from '../storage/sqlite.ts';
import { ingest, type IngestDeps } from './ingest.ts';
import { retryDelivery } from './manage.ts';
import { rerouteActive } from './reroute.ts';

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

test('a caller-chosen destination that is not configured never costs the alert: routed by the routes, with a warning', async () => {
  const { deps, ev, rows } = await setup();
  const r = await ingest(deps, [ev()], 'https://evil.example/hook');
  assert.equal(r.unknownDestination, 'https://evil.example/hook');
  assert.match(r.warnings[0]!, /unknown destination "https:\/\/evil.example\/hook" ignored/);
  assert.equal((await rows('pager')).length, 1);
  const chosen = await ingest(deps, [ev({ dedupKey: 'other', severity: 'info' })], 'log');
  assert.ok(chosen.enqueued.has('log') && chosen.warnings.length === 0);
});

test('sticky: a minimal resolve goes to every destination the episode went to, and keeps severity and metadata', async () => {
  const { deps, ev, rows, db } = await setup();
  await ingest(deps, [ev({ metadata: { service: 'orders' } })]);
  // The README's minimal resolve: no severity, no metadata. Routing it afresh would find no route.
  const r = await ingest(deps, [{ source: 'app', dedupKey: 'k', status: 'resolved', title: 'T', metadata: {} }]);
  assert.equal(r.results[0]!.result, 'resolved');
  for (const d of ['pager', 'log']) {
    const last = (await rows(d)).at(-1)!;
    const p = JSON.parse(last.payload);
    assert.equal(p.status, 'resolved', d);
    assert.equal(p.severity, 'critical');
    assert.deepEqual(p.metadata, { service: 'orders' });
  }
  const alert = await db.selectFrom('alerts').selectAll().executeTakeFirstOrThrow();
  assert.equal(alert.severity, 'critical');
  assert.deepEqual(JSON.parse(alert.routed_to), ['pager', 'log']);
});

test('sticky: a severity that drops mid-episode keeps the episode at its destinations; a match adds one', async () => {
  const { deps, ev, rows, db } = await setup();
  deps.routing = () => ({
    routes: [
      { matchers: [compileMatcher('severity', '=', 'critical')], to: ['pager'], continue: false },
      { matchers: [compileMatcher('team', '=', 'data')], to: ['log'], continue: false },
    ],
    destinations: new Set(['pager', 'log']),
  });
  await ingest(deps, [ev()]);
  await ingest(deps, [ev({ severity: 'warning', metadata: { team: 'data' } })]);
  const alert = await db.selectFrom('alerts').selectAll().executeTakeFirstOrThrow();
  assert.deepEqual(JSON.parse(alert.routed_to), ['pager', 'log']);
  assert.equal(JSON.parse((await rows('log'))[0]!.payload).severity, 'warning', 'the added destination gets the current state');
  await ingest(deps, [ev({ status: 'resolved', severity: 'info', metadata: {} })]);
  assert.equal(JSON.parse((await rows('pager')).at(-1)!.payload).status, 'resolved');
  assert.equal(JSON.parse((await rows('log')).at(-1)!.payload).status, 'resolved');
  // A new episode is routed afresh: info matches nothing.
  const again = await ingest(deps, [ev({ severity: 'info', metadata: {} })]);
  assert.equal(again.results[0]!.result, 'created');
  const refired = await db.selectFrom('alerts').selectAll().executeTakeFirstOrThrow();
  assert.deepEqual(JSON.parse(refired.routed_to), []);
});

test('sticky: a destination named by the sender holds for the episode; an identical repeat reaches a newly matching destination', async () => {
  const { deps, ev, rows } = await setup();
  await ingest(deps, [ev({ severity: 'info' })], 'log');
  await ingest(deps, [ev({ severity: 'critical' })]);
  assert.equal((await rows('pager')).length, 0, 'the named destination still holds');
  let routes = deps.routing().routes;
  deps.routing = () => ({ routes, destinations: new Set(['pager', 'log']) });
  await ingest(deps, [ev({ dedupKey: 'u', severity: 'warning' })]);
  assert.equal((await rows('pager')).filter((r) => JSON.parse(r.payload).dedupKey === 'u').length, 0);
  routes = [{ matchers: [], to: ['pager'], continue: false }];
  const repeat = await ingest(deps, [ev({ dedupKey: 'u', severity: 'warning' })]);
  assert.equal(repeat.results[0]!.result, 'unchanged');
  assert.equal((await rows('pager')).filter((r) => JSON.parse(r.payload).dedupKey === 'u').length, 1);
});

test('a title with a lone surrogate is one alert, found again and resolved', async () => {
  const { deps, ev, db } = await setup();
  const cut = 'Disk full \ud83d';
  assert.equal((await ingest(deps, [ev({ dedupKey: cut, title: cut })])).results[0]!.result, 'created');
  assert.equal((await ingest(deps, [ev({ dedupKey: cut, title: cut })])).results[0]!.result, 'unchanged');
  assert.equal((await ingest(deps, [ev({ dedupKey: cut, title: cut, status: 'resolved' })])).results[0]!.result, 'resolved');
  const rows = await db.selectFrom('alerts').select(['dedup_key', 'title']).execute();
  assert.deepEqual(rows, [{ dedup_key: 'Disk full \ufffd', title: 'Disk full \ufffd' }]);
});

test('retrying a dead delivery sends the latest state and folds later dead rows into it', async () => {
  const { deps, ev, rows, commits, clock, db } = await setup();
  await ingest(deps, [ev()]);
  const [first] = await commits.run((tx) => claimDeliveries(tx, 'pager', 1, clock.now()));
  await db.updateTable('deliveries').set({ status: 'dead' }).where('id', '=', first!.id).execute();
  await ingest(deps, [ev({ status: 'resolved' })]);
  const [second] = await commits.run((tx) => claimDeliveries(tx, 'pager', 1, clock.now()));
  await db.updateTable('deliveries').set({ status: 'dead' }).where('id', '=', second!.id).execute();
  const r = await retryDelivery(commits, clock, first!.id, new Set(["pager", "log"]));
  assert.ok(r.ok);
  assert.equal(JSON.parse(r.value.payload).status, 'resolved');
  assert.deepEqual((await rows()).map((x) => x.status), ['pending', 'superseded']);
  const again = await retryDelivery(commits, clock, first!.id, new Set(["pager", "log"]));
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

test('reroute: active alerts reach destinations they now match; rows for a removed destination are orphaned, then revived', async () => {
  const { deps, ev, rows, commits, clock, db } = await setup();
  deps.routing = () => ({ routes: [{ matchers: [], to: ['pager'], continue: false }], destinations: new Set(['pager']) });
  await ingest(deps, [ev(), ev({ dedupKey: 'gone', status: 'firing' })]);
  await ingest(deps, [ev({ dedupKey: 'gone', status: 'resolved' })]);
  await ingest(deps, [ev({ dedupKey: 'queued', severity: 'info' })]);
  // "k" reached pager already; "queued" still waits for it.
  await db.updateTable('deliveries').set({ status: 'delivered', attempts: 1 }).where('id', '=', (await rows('pager'))[0]!.id).execute();
  // The new config: "pager" is gone, "log" takes everything.
  const next = { routes: [{ matchers: [], to: ['log'], continue: false }], destinations: new Set(['log']) };
  const r = await rerouteActive(commits, clock, next);
  assert.equal(r.rerouted, 2, 'the active alerts, not the resolved one');
  assert.equal(r.orphaned.get('pager'), 1);
  assert.deepEqual((await rows('log')).map((d) => JSON.parse(d.payload).status), ['firing', 'firing']);
  const byKey = async (key: string) => (await rows('pager')).filter((d) => JSON.parse(d.payload).dedupKey === key);
  assert.equal((await byKey('queued'))[0]!.status, 'orphaned');
  // A resolve while "pager" is gone still follows the episode there, kept as an orphan.
  deps.routing = () => next;
  await ingest(deps, [ev({ status: 'resolved' })]);
  const k = await byKey('k');
  assert.deepEqual(k.map((d) => [d.status, JSON.parse(d.payload).status]), [['delivered', 'firing'], ['orphaned', 'resolved']]);
  const back = await rerouteActive(commits, clock, { routes: next.routes, destinations: new Set(['log', 'pager']) });
  assert.equal(back.revived, 2);
  assert.equal((await byKey('k'))[1]!.status, 'pending');
  const alert = await db.selectFrom('alerts').selectAll().where('dedup_key', '=', 'k').executeTakeFirstOrThrow();
  assert.deepEqual(JSON.parse(alert.routed_to), ['pager', 'log']);
});

test('aliases: an alert stored under an old key is found by its new key, re-keyed, and keeps its incident.io key', async () => {
  const { deps, ev, db } = await setup();
  await ingest(deps, [ev({ dedupKey: 'shop/test.shop.not_null' })]);
  const before = await db.selectFrom('alerts').selectAll().executeTakeFirstOrThrow();
  const r = await ingest(deps, [ev({ dedupKey: 'test.shop.not_null', aliases: ['shop/test.shop.not_null'], status: 'resolved' })]);
  assert.deepEqual(r.results[0], { id: before.id, dedup_key: 'test.shop.not_null', result: 'resolved' });
  const after = await db.selectFrom('alerts').selectAll().executeTakeFirstOrThrow();
  assert.equal(after.dedup_key, 'test.shop.not_null');
  assert.equal(after.external_key, before.external_key);
  assert.equal((await db.selectFrom('alerts').select('id').execute()).length, 1);
});

test('a batch written with multi-row inserts ends as the same events one request each would leave it', async () => {
  // New alerts, repeats, updates, resolves and refirings, some of alerts created earlier in the same batch.
  const events: AlertEvent[] = [];
  for (let i = 0; i < 150; i++) {
    const key = `k${i % 40}`;
    const status = i % 7 === 3 ? 'resolved' : 'firing';
    events.push({ source: 'app', dedupKey: key, status, title: `T${i % 3}`, severity: i % 5 === 0 ? 'critical' : 'warning', metadata: { team: i % 4 ? 'ops' : 'data', n: i % 2 } });
  }
  const dump = async (db: Awaited<ReturnType<typeof setup>>['db']) => ({
    alerts: await db.selectFrom('alerts').selectAll().orderBy('id').execute(),
    transitions: (await db.selectFrom('transitions').selectAll().orderBy('id').execute()).map((t) => ({ ...t, content: JSON.parse(t.content) })),
    deliveries: (await db.selectFrom('deliveries').selectAll().orderBy('id').execute()).map((d) => ({ ...d, payload: JSON.parse(d.payload) })),
  });
  const batched = await setup();
  await ingest(batched.deps, events.slice(0, 100));
  await ingest(batched.deps, events.slice(100));
  const single = await setup();
  for (const e of events) await ingest(single.deps, [e]);
  assert.deepEqual(await dump(batched.db), await dump(single.db));
});

test('time to live: the event\'s own beats the route\'s, which beats the source\'s; a repeat restarts it; a resolve clears it', async () => {
  const { deps, ev, db, clock } = await setup();
  const base = deps.routing();
  const routes = [{ ...base.routes[0]!, resolveAfterMs: 5_000 }, ...base.routes.slice(1)];
  const ttlDeps: IngestDeps = { ...deps, routing: () => ({ ...base, routes, sourceResolveAfter: (s) => (s === 'app' ? 60_000 : undefined) }) };
  const staleOf = async (key: string) => (await db.selectFrom('alerts').select(['stale_at', 'event_ttl_ms']).where('dedup_key', '=', key).executeTakeFirstOrThrow());
  const t0 = clock.now();
  await ingest(ttlDeps, [ev({ dedupKey: 'route' }), ev({ dedupKey: 'own', resolveAfterMs: 2_000 }), ev({ dedupKey: 'source', severity: 'info' }), ev({ dedupKey: 'none', source: 'other', severity: 'info' }), ev({ dedupKey: 'hb', source: 'tocsin:heartbeat' })]);
  assert.deepEqual(await staleOf('route'), { stale_at: t0 + 5_000, event_ttl_ms: null });
  assert.deepEqual(await staleOf('own'), { stale_at: t0 + 2_000, event_ttl_ms: 2_000 });
  assert.deepEqual(await staleOf('source'), { stale_at: t0 + 60_000, event_ttl_ms: null });
  assert.deepEqual(await staleOf('none'), { stale_at: null, event_ttl_ms: null });
  assert.deepEqual(await staleOf('hb'), { stale_at: null, event_ttl_ms: null }, 'tocsin\'s own alerts end by their own rule, not a route\'s resolve_after');
  clock.advance(1_000);
  await ingest(ttlDeps, [ev({ dedupKey: 'own', resolveAfterMs: 2_000 })]); // unchanged repeat
  assert.equal((await staleOf('own')).stale_at, t0 + 3_000);
  await ingest(ttlDeps, [ev({ dedupKey: 'route', status: 'resolved' })]);
  assert.equal((await staleOf('route')).stale_at, null);
});
