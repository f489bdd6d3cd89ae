import { sql } from 'kysely';
import { BacklogTally, type BacklogBreakdown } from '../domain/storm-tally.ts';
import type { AlertRow, Executor } from './schema.ts';

/** The queries of storm mode (domain/storm.ts): the backlog it watches and the summary alert it keeps. */

const QUEUED = ['pending', 'in_flight'] as const;

function queued(db: Executor, destination: string, exceptAlert: string | undefined) {
  let q = db.selectFrom('deliveries as d').where('d.destination', '=', destination).where('d.status', 'in', QUEUED);
  if (exceptAlert !== undefined) q = q.where('d.alert_id', '!=', exceptAlert);
  return q;
}

/**
 * Deliveries queued for a destination (pending or in flight), the summary's own excepted, counted up to `cap`: the
 * decision only needs to know which side of a bound the backlog is on, and a capped count costs the same with a
 * 100k-row backlog as with a small one.
 */
export async function countBacklog(db: Executor, destination: string, exceptAlert: string | undefined, cap: number): Promise<number> {
  const limited = queued(db, destination, exceptAlert).select(sql<number>`1`.as('one')).limit(cap);
  const r = await db
    .selectFrom(limited.as('b'))
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Rows read per query while counting a backlog: each query is a few milliseconds, so ingest never waits long. */
const CHUNK = 2_000;

/** The highest priority below `below` that has rows of this destination and status (a seek on deliveries_claim). */
async function nextPriority(db: Executor, destination: string, status: (typeof QUEUED)[number], below: number): Promise<number | undefined> {
  const r = await db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.max('priority').as('p'))
    .where('destination', '=', destination)
    .where('status', '=', status)
    .where('priority', '<', below)
    .executeTakeFirst();
  return r?.p == null ? undefined : Number(r.p);
}

/**
 * What the summary says: the queued deliveries by severity, by source, and the largest groups by title. A 100k-row
 * backlog costs about a second of reading, so it is read in chunks along the claim index (status, priority, id),
 * letting other work run in between. Rows that move while it reads (claimed, sent) may be counted once too few or
 * too many: the summary says "about" anyway.
 */
export async function backlogBreakdown(db: Executor, destination: string, exceptAlert: string | undefined, groupBy: readonly string[]): Promise<BacklogBreakdown> {
  const tally = new BacklogTally(groupBy);
  for (const status of QUEUED) {
    for (let priority = await nextPriority(db, destination, status, Infinity); priority !== undefined; priority = await nextPriority(db, destination, status, priority)) {
      for (let after = -1; ; ) {
        let q = db
          .selectFrom('deliveries as d')
          .innerJoin('alerts as a', 'a.id', 'd.alert_id')
          .select(['d.id', 'a.source', 'a.severity', 'a.title', 'a.labels'])
          .where('d.destination', '=', destination)
          .where('d.status', '=', status)
          .where('d.priority', '=', priority)
          .where('d.id', '>', after);
        if (exceptAlert !== undefined) q = q.where('d.alert_id', '!=', exceptAlert);
        const rows = await q.orderBy('d.id').limit(CHUNK).execute();
        for (const r of rows) tally.add(r);
        if (rows.length < CHUNK) break;
        after = rows.at(-1)!.id;
        await new Promise((resolve) => setImmediate(resolve));
      }
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
