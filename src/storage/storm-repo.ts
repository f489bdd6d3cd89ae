import { sql } from 'kysely';
import { BacklogTally, type BacklogBreakdown } from '../domain/storm-tally.ts';
import type { AlertRow, DeliveryStatus, Executor } from './schema.ts';

/**
 * The queries of storm mode (domain/storm.ts): the backlog it watches and the summary alert it keeps.
 *
 * A destination's queue can hold 100k rows, and SQLite has no cheap count: reading them is tens of milliseconds
 * with nothing else running. So the queue is walked in short chunks along the claim index (destination, status,
 * priority, id), letting ingest run in between. Rows that move during a walk (claimed, sent) may be counted once
 * too few or too many: the summary says "about" anyway.
 */

const QUEUED = ['pending', 'in_flight'] as const satisfies readonly DeliveryStatus[];
/** Index entries per counting query (a few milliseconds each). */
const COUNT_CHUNK = 5_000;
/** Rows (joined to their alert) per breakdown query: read and tallied in a few milliseconds. */
const READ_CHUNK = 500;

const pause = () => new Promise((resolve) => setImmediate(resolve));

interface Segment {
  status: (typeof QUEUED)[number];
  priority: number;
}

/** The highest priority (below `below`, if given) that has rows of this destination and status: a seek on the claim index. */
async function nextPriority(db: Executor, destination: string, status: Segment['status'], below?: number): Promise<number | undefined> {
  let q = db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.max('priority').as('p'))
    .where('destination', '=', destination)
    .where('status', '=', status);
  if (below !== undefined) q = q.where('priority', '<', below);
  const r = await q.executeTakeFirst();
  return r?.p == null ? undefined : Number(r.p);
}

/** Each (status, priority) of the queue, in flight first, then most urgent first. */
async function* segments(db: Executor, destination: string): AsyncGenerator<Segment> {
  for (const status of QUEUED) {
    for (let p = await nextPriority(db, destination, status); p !== undefined; p = await nextPriority(db, destination, status, p)) yield { status, priority: p };
  }
}

function rowsOf(db: Executor, destination: string, s: Segment, exceptAlert: string | undefined, afterId: number) {
  let q = db.selectFrom('deliveries as d').where('d.destination', '=', destination).where('d.status', '=', s.status).where('d.priority', '=', s.priority).where('d.id', '>', afterId);
  if (exceptAlert !== undefined) q = q.where('d.alert_id', '!=', exceptAlert);
  return q;
}

/**
 * Deliveries queued for a destination (pending or in flight), the summary's own excepted, counted up to `cap`: the
 * decision only needs to know which side of a bound the backlog is on.
 */
export async function countBacklog(db: Executor, destination: string, exceptAlert: string | undefined, cap: number): Promise<number> {
  let n = 0;
  for await (const s of segments(db, destination)) {
    for (let after = -1; n < cap; ) {
      const want = Math.min(COUNT_CHUNK, cap - n);
      const chunk = rowsOf(db, destination, s, exceptAlert, after).select('d.id').orderBy('d.id').limit(want);
      const r = await db
        .selectFrom(chunk.as('c'))
        .select([sql<number>`count(*)`.as('n'), sql<number>`max(c.id)`.as('last')])
        .executeTakeFirst();
      const got = Number(r?.n ?? 0);
      n += got;
      if (got < want) break;
      after = Number(r!.last);
      if (n < cap) await pause();
    }
    if (n >= cap) break;
  }
  return n;
}

/** What the summary says: the queued deliveries by severity, by source, by title and by `groupBy` label values. */
export async function backlogBreakdown(db: Executor, destination: string, exceptAlert: string | undefined, groupBy: readonly string[]): Promise<BacklogBreakdown> {
  const tally = new BacklogTally(groupBy);
  for await (const s of segments(db, destination)) {
    for (let after = -1; ; ) {
      const rows = await rowsOf(db, destination, s, exceptAlert, after)
        .innerJoin('alerts as a', 'a.id', 'd.alert_id')
        .select(['d.id', 'a.source', 'a.severity', 'a.title', 'a.labels'])
        .orderBy('d.id')
        .limit(READ_CHUNK)
        .execute();
      for (const r of rows) tally.add(r);
      if (rows.length < READ_CHUNK) break;
      after = rows.at(-1)!.id;
      await pause();
    }
  }
  return tally.result();
}

export async function findSummaryAlert(db: Executor, source: string, destination: string): Promise<AlertRow | undefined> {
  return db.selectFrom('alerts').selectAll().where('source', '=', source).where('dedup_key', '=', destination).executeTakeFirst();
}

/** Who made the alert's latest change: the storm watch itself, or a person through the API. */
export async function lastActor(db: Executor, alertId: string): Promise<string | undefined> {
  const r = await db.selectFrom('transitions').select('actor').where('alert_id', '=', alertId).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return r?.actor;
}
