/** `query_runs` (migration 0011) and the query alerts a run looks at. The same SQL on SQLite and PostgreSQL. */
import type { Executor, QueryRunStatus, Tx } from '../storage/schema.ts';
import { QUERY_SOURCE, type ActiveAlert } from './alerts.ts';

export interface QueryRun {
  id: number;
  query: string;
  slot: number;
  status: QueryRunStatus;
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  row_count: number | null;
  truncated: boolean;
  error: string | null;
}

/** Run history kept per query: enough for the API and the failure count, never growing without bound. */
export const KEEP_RUNS = 100;

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const toRun = (r: Record<string, unknown>): QueryRun => ({
  id: Number(r.id),
  query: String(r.query),
  slot: Number(r.slot),
  status: r.status as QueryRunStatus,
  started_at: Number(r.started_at),
  finished_at: num(r.finished_at),
  duration_ms: num(r.duration_ms),
  row_count: num(r.row_count),
  truncated: Number(r.truncated) === 1,
  error: (r.error as string | null) ?? null,
});

/**
 * Claims a slot: inserts its run row as `running` (or as `skipped`, with why). Undefined when the slot already has a
 * row — another instance or an earlier life of this one took it — and then it must not run.
 */
export async function claimSlot(tx: Tx, query: string, slot: number, now: number, skipped?: string): Promise<number | undefined> {
  const r = await tx
    .insertInto('query_runs')
    .values({ query, slot, status: skipped ? 'skipped' : 'running', started_at: now, truncated: 0, ...(skipped ? { finished_at: now, duration_ms: 0, error: skipped } : {}) })
    .onConflict((oc) => oc.columns(['query', 'slot']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return r ? Number(r.id) : undefined;
}

export interface RunResult {
  status: 'ok' | 'failed' | 'timeout';
  finishedAt: number;
  durationMs: number;
  rowCount: number | null;
  truncated: boolean;
  error: string | null;
}

/** Records a run's outcome; false when it is no longer `running` (marked interrupted meanwhile): nothing to record. */
export async function finishRun(tx: Tx, id: number, r: RunResult): Promise<boolean> {
  const u = await tx
    .updateTable('query_runs')
    .set({ status: r.status, finished_at: r.finishedAt, duration_ms: r.durationMs, row_count: r.rowCount, truncated: r.truncated ? 1 : 0, error: r.error })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(u.numUpdatedRows) === 1;
}

/** Runs left `running` by a process that is gone (all but `mine`): interrupted, for good — a slot never runs twice. */
export async function interruptStale(tx: Tx, mine: readonly number[], now: number): Promise<number> {
  let q = tx.updateTable('query_runs').set({ status: 'interrupted', finished_at: now, error: 'tocsin stopped (or lost the scheduler lease) before the run finished; the slot is not run again' }).where('status', '=', 'running');
  if (mine.length) q = q.where('id', 'not in', mine);
  return Number((await q.executeTakeFirst()).numUpdatedRows);
}

/** The latest slot claimed per query. */
export async function lastSlots(db: Executor): Promise<Map<string, number>> {
  const rows = await db.selectFrom('query_runs').select(['query']).select((eb) => eb.fn.max('slot').as('slot')).groupBy('query').execute();
  return new Map(rows.map((r) => [r.query, Number(r.slot)]));
}

/** A query's newest runs, newest first. */
export async function recentRuns(db: Executor, query: string, limit: number): Promise<QueryRun[]> {
  const rows = await db.selectFrom('query_runs').selectAll().where('query', '=', query).orderBy('slot', 'desc').limit(limit).execute();
  return rows.map((r) => toRun(r as unknown as Record<string, unknown>));
}

/** Failed runs in a row, newest back to the last success (interrupted and skipped runs say nothing either way). */
export async function consecutiveFailures(db: Executor, query: string): Promise<number> {
  const rows = await db
    .selectFrom('query_runs')
    .select('status')
    .where('query', '=', query)
    .where('status', 'in', ['ok', 'failed', 'timeout'])
    .orderBy('slot', 'desc')
    .limit(KEEP_RUNS)
    .execute();
  const i = rows.findIndex((r) => r.status === 'ok');
  return i < 0 ? rows.length : i;
}

/** Keeps the newest KEEP_RUNS runs of a query. */
export async function pruneRuns(tx: Tx, query: string): Promise<void> {
  const edge = await tx.selectFrom('query_runs').select('slot').where('query', '=', query).orderBy('slot', 'desc').offset(KEEP_RUNS - 1).limit(1).executeTakeFirst();
  if (edge) await tx.deleteFrom('query_runs').where('query', '=', query).where('slot', '<', Number(edge.slot)).execute();
}

/** The active alerts of the query source (walks the alerts_stale index: source, state). */
export async function activeQueryAlerts(db: Executor): Promise<ActiveAlert[]> {
  return db.selectFrom('alerts').select(['dedup_key', 'title']).where('source', '=', QUERY_SOURCE).where('state', 'in', ['firing', 'acknowledged']).execute();
}
