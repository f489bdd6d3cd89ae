/**
 * Query runs on SQLite and PostgreSQL alike: a slot is claimed once; a run marked interrupted is never recorded after;
 * the failure count; pruning; and a recorded run's alerts (grouping, resolving, the failure alert) in its commit.
 */
import assert from 'node:assert/strict';
import { contract } from '../../test/storage-dialects.ts';
import type { IngestDeps } from '../core/ingest.ts';
import { compileMatcher } from '../routing/matchers.ts';
import { listDeliveries } from '../storage/deliveries-repo.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { Db } from '../storage/schema.ts';
import { QUERY_SOURCE } from './alerts.ts';
import type { QuerySpec } from './config.ts';
import type { QueryOutcome } from './databases/types.ts';
import { recordRun } from './record.ts';
import { activeQueryAlerts, claimSlot, consecutiveFailures, finishRun, interruptStale, KEEP_RUNS, lastSlots, pruneRuns, recentRuns } from './runs-repo.ts';

const T0 = 1_764_000_000_000;
const spec: QuerySpec = {
  name: 'stale',
  database: 'shop',
  sql: 'select 1',
  schedule: { everyMs: 1000 },
  groupBy: ['region'],
  severity: 'warning',
  title: 'Stale in {{region}}',
  description: undefined,
  maxRows: 100,
  timeoutMs: 1000,
  alertAfterFailures: 2,
};
let ids = 0;
const deps: IngestDeps = {
  commits: undefined as unknown as GroupCommit, // not used inside a caller's transaction
  clock: { now: () => T0 },
  newId: () => `A${String(++ids).padStart(6, '0')}`,
  routing: () => ({ routes: [{ matchers: [compileMatcher('query', '=', 'stale')], to: ['oncall'], continue: false }], destinations: new Set(['oncall']) }),
};

async function run(db: Db, slot: number, outcome: QueryOutcome) {
  const id = await db.transaction().execute((tx) => claimSlot(tx, spec.name, slot, slot));
  assert.ok(id !== undefined);
  return db.transaction().execute((tx) => recordRun(tx, deps, spec, { runId: id, outcome, finishedAt: slot + 5, durationMs: 5 }));
}
const rows = (...regions: string[]): QueryOutcome => ({ ok: true, columns: ['region'], rows: regions.map((region) => ({ region })), truncated: false });
const failed: QueryOutcome = { ok: false, kind: 'error', message: 'relation "orders" does not exist' };

contract('a slot is claimed once: a second claim (another instance, a restart) gets nothing', async ({ db, connect }) => {
  const other = await connect();
  assert.ok((await db.transaction().execute((tx) => claimSlot(tx, 'q', T0, T0))) !== undefined);
  assert.equal(await other.transaction().execute((tx) => claimSlot(tx, 'q', T0, T0 + 1)), undefined);
  assert.ok((await other.transaction().execute((tx) => claimSlot(tx, 'q', T0 + 1000, T0 + 1000))) !== undefined, 'the next slot is free');
  assert.ok((await other.transaction().execute((tx) => claimSlot(tx, 'other', T0, T0))) !== undefined, 'per query');
  assert.deepEqual(Object.fromEntries(await lastSlots(db)), { q: T0 + 1000, other: T0 });
});

contract('runs left running by a dead process are interrupted, never recorded afterwards; a skipped slot says why', async ({ db }) => {
  const dead = (await db.transaction().execute((tx) => claimSlot(tx, 'q', T0, T0)))!;
  const mine = (await db.transaction().execute((tx) => claimSlot(tx, 'q', T0 + 1000, T0 + 1000)))!;
  await db.transaction().execute((tx) => claimSlot(tx, 'q', T0 + 2000, T0 + 2000, 'the previous run was still running'));
  assert.equal(await db.transaction().execute((tx) => interruptStale(tx, [mine], T0 + 3000)), 1);
  const done = { status: 'ok' as const, finishedAt: T0 + 3000, durationMs: 3, rowCount: 0, truncated: false, error: null };
  assert.equal(await db.transaction().execute((tx) => finishRun(tx, dead, done)), false, 'an interrupted run stays interrupted');
  assert.equal(await db.transaction().execute((tx) => finishRun(tx, mine, done)), true);
  const runs = await recentRuns(db, 'q', 10);
  assert.deepEqual(runs.map((r) => [r.slot - T0, r.status]), [[2000, 'skipped'], [1000, 'ok'], [0, 'interrupted']]);
  assert.match(runs[0]!.error!, /still running/);
});

contract('a run\'s rows fire one alert per group, a group gone resolves, all in the run\'s commit', async ({ db }) => {
  const first = await run(db, T0, rows('eu', 'us', 'eu'));
  assert.deepEqual([...first.enqueued], ['oncall']);
  let active = (await activeQueryAlerts(db)).map((a) => a.dedup_key).sort();
  assert.deepEqual(active, ['stale:region=eu', 'stale:region=us']);
  const again = await run(db, T0 + 1000, rows('eu', 'eu', 'us'));
  assert.deepEqual([...again.enqueued], [], 'the same rows: nothing new to send');
  await run(db, T0 + 2000, rows('eu'));
  active = (await activeQueryAlerts(db)).map((a) => a.dedup_key);
  assert.deepEqual(active, ['stale:region=eu']);
  await run(db, T0 + 3000, rows());
  assert.deepEqual(await activeQueryAlerts(db), []);
  const sent = (await listDeliveries(db, { limit: 20 })).map((d) => JSON.parse(d.payload) as { status: string; title: string });
  // Nothing was sent meanwhile, so each alert's pending delivery was coalesced into its latest state (outbox.ts).
  assert.deepEqual(sent.map((p) => `${p.status} ${p.title}`).sort(), ['resolved Stale in eu', 'resolved Stale in us']);
  const transitions = await db.selectFrom('transitions').select(['kind', 'actor']).orderBy('id').execute();
  assert.deepEqual(transitions.map((t) => t.kind), ['created', 'created', 'updated', 'resolved', 'resolved'], 'eu down to one row (updated), us resolved; then eu resolved');
  assert.ok(transitions.every((t) => t.actor === QUERY_SOURCE));
  const [r] = await recentRuns(db, 'stale', 1);
  assert.deepEqual([r!.status, r!.row_count, r!.duration_ms], ['ok', 0, 5]);
});

contract('failures: counted in a row, the failure alert fires at N and resolves at the next success; the rows\' alerts stay', async ({ db }) => {
  await run(db, T0, rows('eu'));
  const one = await run(db, T0 + 1000, failed);
  assert.deepEqual([one.failures, one.events.length], [1, 0]);
  const two = await run(db, T0 + 2000, { ok: false, kind: 'timeout', message: 'canceled after the timeout' });
  assert.deepEqual([two.failures, two.events.map((e) => e.dedupKey)], [2, ['stale:failing']]);
  assert.equal(await consecutiveFailures(db, 'stale'), 2);
  let active = (await activeQueryAlerts(db)).map((a) => a.dedup_key).sort();
  assert.deepEqual(active, ['stale:failing', 'stale:region=eu'], 'a failed run says nothing about the rows');
  const ok = await run(db, T0 + 3000, rows('eu'));
  assert.equal(ok.failures, 0);
  active = (await activeQueryAlerts(db)).map((a) => a.dedup_key);
  assert.deepEqual(active, ['stale:region=eu']);
  assert.equal(await consecutiveFailures(db, 'stale'), 0);
  const failing = (await db.selectFrom('alerts').selectAll().where('source', '=', QUERY_SOURCE).where('dedup_key', '=', 'stale:failing').executeTakeFirst())!;
  assert.equal(failing.state, 'resolved');
});

contract('history is pruned to the newest runs of each query', async ({ db }) => {
  for (let i = 0; i < KEEP_RUNS + 5; i++) await db.transaction().execute((tx) => claimSlot(tx, 'q', T0 + i * 1000, T0));
  await db.transaction().execute((tx) => claimSlot(tx, 'keep', T0, T0));
  await db.transaction().execute((tx) => pruneRuns(tx, 'q'));
  const runs = await recentRuns(db, 'q', 1000);
  assert.equal(runs.length, KEEP_RUNS);
  assert.equal(runs.at(-1)!.slot, T0 + 5000);
  assert.equal((await recentRuns(db, 'keep', 10)).length, 1);
});
