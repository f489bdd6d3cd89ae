/** Read-only summaries for the web UI's overview and its live updates: grouped counts, never whole rows. */
import { sql } from 'kysely';
import type { Executor } from './schema.ts';

const HOUR_MS = 3_600_000;

export async function alertCountsBySourceAndState(db: Executor): Promise<{ source: string; state: string; n: number }[]> {
  const rows = await db.selectFrom('alerts').select(['source', 'state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['source', 'state']).orderBy('source').execute();
  return rows.map((r) => ({ source: r.source, state: r.state, n: Number(r.n) }));
}

/** Attempts per destination, outcome and hour (`hour` is the hour's start, epoch ms) since `since`. */
export async function attemptsByHour(db: Executor, since: number): Promise<{ destination: string; outcome: string; hour: number; n: number }[]> {
  // Integer division on both dialects: `at` is an integer column (bigint on PostgreSQL).
  const hour = sql<number>`at / ${sql.lit(HOUR_MS)}`;
  const rows = await db
    .selectFrom('delivery_attempts')
    .select(['destination', 'outcome', hour.as('hour'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('at', '>=', since)
    .groupBy(['destination', 'outcome', hour])
    .execute();
  return rows.map((r) => ({ destination: r.destination, outcome: r.outcome, hour: Number(r.hour) * HOUR_MS, n: Number(r.n) }));
}

/**
 * The newest transition, delivery and attempt ids: every change an instance makes (an event, an ack, a queued or
 * retried delivery, a send's outcome) adds one of these rows, so comparing them tells that something changed on
 * any instance sharing the database. Silences change without any of those (made, expired), so their count and
 * newest change are a fourth mark. Primary-key lookups and a small table: cheap enough to poll every second.
 */
export async function changeMarks(db: Executor): Promise<string> {
  const [t, d, a, s] = await Promise.all([
    db.selectFrom('transitions').select((eb) => eb.fn.max('id').as('m')).executeTakeFirst(),
    db.selectFrom('deliveries').select((eb) => eb.fn.max('id').as('m')).executeTakeFirst(),
    db.selectFrom('delivery_attempts').select((eb) => eb.fn.max('id').as('m')).executeTakeFirst(),
    db.selectFrom('silences').select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('updated_at').as('m')]).executeTakeFirst(),
  ]);
  return `${Number(t?.m ?? 0)}.${Number(d?.m ?? 0)}.${Number(a?.m ?? 0)}.${Number(s?.n ?? 0)}.${Number(s?.m ?? 0)}`;
}
