import { sql } from 'kysely';
import type { BacklogBreakdown } from '../domain/storm.ts';
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

/** What the summary says: the queued deliveries by severity, by source, and the largest groups by title. */
export async function backlogBreakdown(db: Executor, destination: string, exceptAlert: string | undefined, topGroups = 5): Promise<BacklogBreakdown> {
  const joined = () => queued(db, destination, exceptAlert).innerJoin('alerts as a', 'a.id', 'd.alert_id');
  const [bySeverity, bySource, groups] = await Promise.all([
    joined()
      .select(['a.severity as key', sql<number>`count(*)`.as('n')])
      .groupBy('a.severity')
      .execute(),
    joined()
      .select(['a.source as key', sql<number>`count(*)`.as('n')])
      .groupBy('a.source')
      .execute(),
    joined()
      .select(['a.title as key', sql<number>`count(*)`.as('n')])
      .groupBy('a.title')
      .orderBy(sql`count(*)`, 'desc')
      .orderBy('a.title')
      .limit(topGroups)
      .execute(),
  ]);
  const record = (rows: { key: string | null; n: number }[]) => Object.fromEntries(rows.map((r) => [r.key ?? 'unknown', Number(r.n)]));
  return {
    total: bySource.reduce((sum, r) => sum + Number(r.n), 0),
    bySeverity: record(bySeverity),
    bySource: record(bySource),
    topGroups: groups.map((g) => ({ title: g.key, count: Number(g.n) })),
  };
}

export async function findSummaryAlert(db: Executor, source: string, destination: string): Promise<AlertRow | undefined> {
  return db.selectFrom('alerts').selectAll().where('source', '=', source).where('dedup_key', '=', destination).executeTakeFirst();
}

/** Who made the alert's latest change: the storm watch itself, or a person through the API. */
export async function lastActor(db: Executor, alertId: string): Promise<string | undefined> {
  const r = await db.selectFrom('transitions').select('actor').where('alert_id', '=', alertId).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return r?.actor;
}
