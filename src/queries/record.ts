/**
 * A finished run, recorded in one transaction (the scheduler's, fenced by its lease): the run's row, and the alert
 * changes its outcome makes through the normal ingest — or none of it, if the lease was lost meanwhile.
 */
import { ingestWithin, type IngestDeps } from '../core/ingest.ts';
import type { AlertEvent } from '../domain/alert.ts';
import type { Tx } from '../storage/schema.ts';
import { failingEvent, failingKey, resultEvents } from './alerts.ts';
import type { QuerySpec } from './config.ts';
import type { QueryOutcome } from './databases/types.ts';
import { activeQueryAlerts, consecutiveFailures, finishRun, pruneRuns } from './runs-repo.ts';

export interface Finished {
  runId: number;
  outcome: QueryOutcome;
  finishedAt: number;
  durationMs: number;
}

export interface Recorded {
  /** False when the run was no longer `running` (another holder marked it interrupted): nothing was written. */
  recorded: boolean;
  events: AlertEvent[];
  /** Failed runs in a row, this one included (0 after a success). */
  failures: number;
  enqueued: Set<string>;
}

/** `alerts: false` records the run only: its query was removed from the config while it ran (its alerts were resolved). */
export async function recordRun(tx: Tx, deps: IngestDeps, spec: QuerySpec, f: Finished, options: { alerts: boolean } = { alerts: true }): Promise<Recorded> {
  const o = f.outcome;
  const recorded = await finishRun(tx, f.runId, {
    status: o.ok ? 'ok' : o.kind === 'timeout' ? 'timeout' : 'failed',
    finishedAt: f.finishedAt,
    durationMs: f.durationMs,
    rowCount: o.ok ? o.rows.length : null,
    truncated: o.ok && o.truncated,
    error: o.ok ? null : o.message.slice(0, 2000),
  });
  if (!recorded || !options.alerts) return { recorded, events: [], failures: 0, enqueued: new Set() };
  const active = await activeQueryAlerts(tx);
  let events: AlertEvent[];
  let failures = 0;
  if (o.ok) {
    events = resultEvents(spec, o.rows, o.truncated, active);
    if (active.some((a) => a.dedup_key === failingKey(spec.name))) events.push(failingEvent(spec, 'resolved', 0, undefined));
  } else {
    // A failed run says nothing about the rows: the query's alerts stay as they are.
    failures = await consecutiveFailures(tx, spec.name);
    events = failures >= spec.alertAfterFailures ? [failingEvent(spec, 'firing', failures, o.message.slice(0, 1000))] : [];
  }
  const { enqueued } = events.length ? await ingestWithin(tx, deps, events) : { enqueued: new Set<string>() };
  await pruneRuns(tx, spec.name);
  return { recorded, events, failures, enqueued };
}
