import { performance } from 'node:perf_hooks';
import type { IngestDeps } from '../core/ingest.ts';
import type { QueriesConfig, QuerySpec } from '../queries/config.ts';
import { Connectors } from '../queries/databases/index.ts';
import type { QueryOutcome } from '../queries/databases/types.ts';
import { recordRun } from '../queries/record.ts';
import { removedQueryEvents } from '../queries/alerts.ts';
import { ingestWithin } from '../core/ingest.ts';
import { activeQueryAlerts, claimSlot, finishRun, interruptStale, lastSlots } from '../queries/runs-repo.ts';
import { storageUnavailable } from '../storage/unavailable.ts';
import { dueSlot } from '../queries/schedule.ts';
import { nextRunAt } from '../queries/view.ts';
import type { TimerContext, TimerTask } from './task.ts';

export interface QueriesTaskOptions {
  /** The queries and databases in force (read every tick: a reload changes them). */
  config: () => QueriesConfig;
  ingest: IngestDeps;
  /** A run finished in the background: tick now to record it rather than at the next poll. */
  poke: () => void;
}

interface Job {
  spec: QuerySpec;
  runId: number;
  startedAt: number;
  finished?: { outcome: QueryOutcome; durationMs: number };
  /** Recording attempts that failed for a reason other than storage (a bug): after a few, the run is given up. */
  recordFailures?: number;
}

const MAX_RECORD_FAILURES = 3;

/**
 * Scheduled alert queries (src/queries/). Each tick, on the holder of the scheduler lease only:
 * 1. once per tenure, runs left `running` by a process that is gone are marked interrupted (never run again);
 * 2. finished runs are recorded — the run row and the alert changes, in one fenced transaction;
 * 3. each query's due slot (the latest at or before now) is claimed by inserting its run row, unique on
 *    (query, slot), under the fence, and only then started — in the background, outside any transaction, so a query
 *    taking seconds holds up no tick. A slot runs at most once; a restart carries on with the next slot.
 */
export function queriesTask(o: QueriesTaskOptions): TimerTask {
  const connectors = new Connectors();
  const jobs = new Map<string, Job>();
  /** The latest slot claimed per query; undefined until read at the start of a tenure. */
  let claimed: Map<string, number> | undefined;
  /** The config whose removed queries' alerts were last resolved (once per tenure and per reload). */
  let swept: QueriesConfig | undefined;

  const record = async (ctx: TimerContext, job: Job, woken: Set<string>): Promise<boolean> => {
    const f = job.finished!;
    // The current definition if it still exists (a reload may have changed its title); a query removed meanwhile only
    // gets its run recorded (its alerts were resolved when the reload was seen).
    const current = o.config().queries.find((q) => q.name === job.spec.name);
    const spec = current ?? job.spec;
    const finishedAt = job.startedAt + f.durationMs;
    let r;
    try {
      r = await ctx.fenced((tx) => recordRun(tx, o.ingest, spec, { runId: job.runId, outcome: f.outcome, finishedAt, durationMs: f.durationMs }, { alerts: current !== undefined }));
    } catch (e) {
      // Storage trouble: tried again at the next tick. Anything else would fail the same way for ever and hold up the
      // scheduler's other tasks each tick: after a few tries the run is recorded as failed, without its alerts.
      if (storageUnavailable(e) || (job.recordFailures = (job.recordFailures ?? 0) + 1) < MAX_RECORD_FAILURES) throw e;
      ctx.logger.error({ err: e, query: spec.name, run: job.runId }, 'alert query result could not be recorded; the run is marked failed');
      const error = `tocsin could not record this run's result: ${(e as Error).message}`.slice(0, 2000);
      const gaveUp = await ctx.fenced((tx) => finishRun(tx, job.runId, { status: 'failed', finishedAt, durationMs: f.durationMs, rowCount: null, truncated: false, error }));
      if (gaveUp === undefined) return false;
      jobs.delete(job.spec.name);
      return true;
    }
    if (!r) return false;
    jobs.delete(job.spec.name);
    for (const d of r.enqueued) woken.add(d);
    const log = { query: spec.name, run: job.runId, duration_ms: f.durationMs };
    if (f.outcome.ok) ctx.logger.debug({ ...log, rows: f.outcome.rows.length, truncated: f.outcome.truncated, events: r.events.length }, 'alert query ran');
    // The first failure and the one that raises the alert are worth a warning; the rest are in the run history.
    else if (r.failures === 1 || r.failures === spec.alertAfterFailures) ctx.logger.warn({ ...log, outcome: f.outcome.kind, error: f.outcome.message, consecutive_failures: r.failures }, 'alert query failed');
    else ctx.logger.debug({ ...log, outcome: f.outcome.kind, error: f.outcome.message, consecutive_failures: r.failures }, 'alert query failed again');
    return true;
  };

  const start = (spec: QuerySpec, config: QueriesConfig, runId: number, now: number) => {
    const job: Job = { spec, runId, startedAt: now };
    jobs.set(spec.name, job);
    const t0 = performance.now();
    const database = config.databases.get(spec.database)!;
    void connectors
      .get(database)
      .run(spec.sql, { maxRows: spec.maxRows, timeoutMs: spec.timeoutMs })
      .catch((e: unknown): QueryOutcome => ({ ok: false, kind: 'error', message: `unexpected: ${(e as Error).message}` }))
      .then((outcome) => {
        job.finished = { outcome, durationMs: Math.round(performance.now() - t0) };
        o.poke();
      });
  };

  return {
    name: 'queries',
    async tick(ctx) {
      const config = o.config();
      if (!claimed) {
        const r = await ctx.fenced(async (tx) => ({ interrupted: await interruptStale(tx, [...jobs.values()].map((j) => j.runId), ctx.now), last: await lastSlots(tx) }));
        if (!r) return undefined;
        if (r.interrupted) ctx.logger.warn({ runs: r.interrupted }, 'alert query runs interrupted by a stop (or a lost lease) are marked interrupted; their slots are not run again');
        claimed = r.last;
      }
      const woken = new Set<string>();
      if (swept !== config) {
        const names = new Set(config.queries.map((q) => q.name));
        const r = await ctx.fenced(async (tx) => {
          const events = removedQueryEvents(await activeQueryAlerts(tx), names);
          return { events, enqueued: events.length ? (await ingestWithin(tx, o.ingest, events)).enqueued : new Set<string>() };
        });
        if (!r) return undefined;
        swept = config;
        for (const d of r.enqueued) woken.add(d);
        if (r.events.length) ctx.logger.info({ alerts: r.events.map((e) => e.dedupKey) }, 'alerts of queries no longer configured are resolved');
      }
      for (const job of [...jobs.values()]) {
        if (job.finished && !(await record(ctx, job, woken))) return { woken };
      }
      for (const spec of config.queries) {
        const slot = dueSlot(spec.schedule, ctx.now);
        if (slot === undefined || (claimed.get(spec.name) ?? -Infinity) >= slot) continue;
        // A run that finished since the recording pass above is recorded now: only one still going makes this a skip.
        const previous = jobs.get(spec.name);
        if (previous?.finished && !(await record(ctx, previous, woken))) return { woken };
        const busy = jobs.has(spec.name);
        const r = await ctx.fenced(async (tx) => ({ id: await claimSlot(tx, spec.name, slot, ctx.now, busy ? 'the previous run was still running at this slot' : undefined) }));
        if (!r) return { woken };
        claimed.set(spec.name, slot);
        if (r.id === undefined) continue; // claimed before (another instance, or before a restart): never twice
        if (busy) ctx.logger.warn({ query: spec.name, slot: new Date(slot).toISOString() }, 'alert query slot skipped: the previous run is still going (a timeout shorter than the schedule avoids this)');
        else start(spec, config, r.id, ctx.now);
      }
      await connectors.keepOnly([...config.databases.values()]);
      return { woken };
    },
    async nextDueAt(_db, now) {
      if (!claimed || [...jobs.values()].some((j) => j.finished)) return now;
      let next: number | undefined;
      for (const spec of o.config().queries) {
        const at = nextRunAt(spec, claimed.get(spec.name), now);
        if (at !== undefined && (next === undefined || at < next)) next = at;
      }
      return next;
    },
    async stop() {
      // A new tenure starts from the database: what was running here is marked interrupted then (never run twice).
      claimed = undefined;
      swept = undefined;
      jobs.clear();
      // Not awaited beyond ending connections: a stop never waits for a query in flight (its run is interrupted).
      await connectors.closeAll();
    },
  };
}
