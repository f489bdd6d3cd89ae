/** How a query and its runs read in `GET /api/v1/queries` and `tocsin queries`. Pure. */
import type { DatabaseConfig, QuerySpec } from './config.ts';
import { maskUrl } from './databases/url.ts';
import type { QueryRun } from './runs-repo.ts';
import { describeSchedule, dueSlot, nextSlot } from './schedule.ts';

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** The next slot to run: the one due now if nobody claimed it yet, else the schedule's next. */
export function nextRunAt(spec: QuerySpec, lastSlot: number | undefined, now: number): number | undefined {
  const due = dueSlot(spec.schedule, now);
  if (due !== undefined && (lastSlot === undefined || lastSlot < due)) return due;
  return nextSlot(spec.schedule, now);
}

export function runView(r: QueryRun) {
  return {
    slot: iso(r.slot),
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
    duration_ms: r.duration_ms,
    outcome: r.status,
    rows: r.row_count,
    truncated: r.truncated,
    error: r.error,
  };
}

export function queryView(spec: QuerySpec, database: DatabaseConfig | undefined, runs: readonly QueryRun[], now: number) {
  return {
    name: spec.name,
    database: spec.database,
    // The url is a secret: its kind and a masked form only.
    database_kind: database?.kind ?? null,
    database_url: database ? maskUrl(database.url) : null,
    schedule: describeSchedule(spec.schedule),
    next_run_at: iso(nextRunAt(spec, runs[0]?.slot, now)),
    group_by: spec.groupBy,
    severity: spec.severity,
    max_rows: spec.maxRows,
    timeout_ms: spec.timeoutMs,
    alert_after_failures: spec.alertAfterFailures,
    last_runs: runs.map(runView),
  };
}
