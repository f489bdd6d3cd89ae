/**
 * When a query runs: its slots. Pure. A slot is a due time; a run is identified by (query, slot), so it runs once
 * however many instances or restarts meet it. `every` slots are aligned on the epoch (every 5m: :00, :05, …), so
 * every instance and every restart computes the same ones; `cron` slots come from croner, in a time zone if given.
 */
import { Cron } from 'croner';

export type Schedule = { everyMs: number } | { cron: string; timezone?: string };

const crons = new Map<string, Cron>();
function cronOf(s: { cron: string; timezone?: string }): Cron {
  const key = `${s.timezone ?? ''}\0${s.cron}`;
  let c = crons.get(key);
  if (!c) {
    // Paused: croner is only asked for times here, it never runs anything (due times live in the database).
    // UTC unless told: instances in different time zones must compute the same slots.
    crons.set(key, (c = new Cron(s.cron, { paused: true, timezone: s.timezone ?? 'UTC' })));
  }
  return c;
}

/** The latest slot at or before `now` (the one due now, or the one most recently missed); undefined if none. */
export function dueSlot(s: Schedule, now: number): number | undefined {
  if ('everyMs' in s) return Math.floor(now / s.everyMs) * s.everyMs;
  // previousRuns looks strictly before its reference: a slot exactly at `now` is due.
  const prev = cronOf(s).previousRuns(1, new Date(now + 1))[0];
  return prev?.getTime();
}

/** The first slot strictly after `after`; undefined if the expression has none left. */
export function nextSlot(s: Schedule, after: number): number | undefined {
  if ('everyMs' in s) return (Math.floor(after / s.everyMs) + 1) * s.everyMs;
  return cronOf(s).nextRun(new Date(after))?.getTime();
}

/** How the schedule reads in the API and the CLI. */
export function describeSchedule(s: Schedule): { every_ms: number } | { cron: string; timezone: string } {
  return 'everyMs' in s ? { every_ms: s.everyMs } : { cron: s.cron, timezone: s.timezone ?? 'UTC' };
}
