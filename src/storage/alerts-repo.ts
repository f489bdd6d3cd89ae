import type { Insertable } from 'kysely';
import { forUpdate, forUpdateSkipLocked } from './dialect.ts';
import type { InsertBuffer } from './insert-buffer.ts';
import { insertRows, listShape, padList, template } from './prepared.ts';
import type { AlertRow, Executor, NewAlertRow, TransitionRow, TransitionsTable } from './schema.ts';

/** Keys per lookup: an `in` list of up to this many (padded to a power of two, prepared.ts). */
const KEYS_PER_LOOKUP = 512;

/** Locked on PostgreSQL (dialect.ts): ingest decides from these rows and writes them in the same transaction. */
const byIdentity = template<{ source: string; keys: string[] }, AlertRow>('alerts by identity', (db, p, n) =>
  forUpdate(db, db.selectFrom('alerts').selectAll().where('source', '=', p('source')).where('dedup_key', 'in', p.list('keys', n)).orderBy('id')),
);

/** Every known alert of a batch in one query per 512 keys, instead of one lookup per event. */
export async function findAlertsByIdentity(db: Executor, source: string, dedupKeys: readonly string[], held?: InsertBuffer): Promise<AlertRow[]> {
  await held?.before('alerts');
  const out: AlertRow[] = [];
  const unique = [...new Set(dedupKeys)];
  for (let i = 0; i < unique.length; i += KEYS_PER_LOOKUP) {
    const keys = unique.slice(i, i + KEYS_PER_LOOKUP);
    const n = listShape(keys.length, KEYS_PER_LOOKUP);
    out.push(...(await byIdentity.run(db, { source, keys: padList(keys, n) }, n)));
  }
  return out;
}

export async function findAlert(db: Executor, id: string): Promise<AlertRow | undefined> {
  return db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The alert, locked until the transaction ends on PostgreSQL: for a change decided from what it holds now. */
export async function findAlertForUpdate(db: Executor, id: string): Promise<AlertRow | undefined> {
  return forUpdate(db, db.selectFrom('alerts').selectAll().where('id', '=', id)).executeTakeFirst();
}

/** `held`: the insert waits in that buffer (insert-buffer.ts), to be written with others in one statement. */
export async function insertAlert(db: Executor, row: NewAlertRow, held?: InsertBuffer): Promise<void> {
  if (held) await held.add('alerts', row);
  else await insertRows(db, 'alerts', [row]);
}

/** One prepared statement per set of columns changed (a handful: the ingest path's few shapes, the API's). */
const updateShapes = new Map<string, ReturnType<typeof updateShape>>();
const updateShape = (columns: string[]) =>
  template<Record<string, unknown>>(`update alerts ${columns.join(',')}`, (db, p) =>
    db
      .updateTable('alerts')
      .set(Object.fromEntries(columns.map((c) => [c, p(c)])))
      .where('id', '=', p('where:id') as string),
  );

export async function updateAlert(db: Executor, id: string, changes: Partial<NewAlertRow>, held?: InsertBuffer): Promise<void> {
  await held?.before('alerts');
  const columns = Object.keys(changes).filter((c) => changes[c as keyof NewAlertRow] !== undefined);
  const key = columns.join(',');
  let shape = updateShapes.get(key);
  if (!shape) updateShapes.set(key, (shape = updateShape(columns)));
  await shape.run(db, { ...changes, 'where:id': id });
}

const touch = template<{ id: string; at: number; staleAt: number | null; ttl: number | null }>('touch alert', (db, p) =>
  db
    .updateTable('alerts')
    .set((eb) => ({ last_event_at: p('at'), event_count: eb('event_count', '+', 1), stale_at: p('staleAt'), event_ttl_ms: p('ttl') }))
    .where('id', '=', p('id')),
);

/** A repeat that changes nothing still says the alert is alive: count it without a transition. */
/** A repeat that changed nothing: counted, and its time to live starts again. */
export async function touchAlert(db: Executor, id: string, at: number, ttl: { staleAt: number | null; ttl: number | null }, held?: InsertBuffer): Promise<void> {
  await held?.before('alerts');
  await touch.run(db, { id, at, ...ttl });
}

export type NewTransition = Insertable<TransitionsTable>;

export async function insertTransition(db: Executor, t: NewTransition, held?: InsertBuffer): Promise<void> {
  if (held) await held.add('transitions', t);
  else await insertRows(db, 'transitions', [t]);
}

export async function listTransitions(db: Executor, alertId: string): Promise<TransitionRow[]> {
  return db.selectFrom('transitions').selectAll().where('alert_id', '=', alertId).orderBy('id').execute();
}

export interface AlertFilter {
  state?: string | undefined;
  source?: string | undefined;
  /** Only alerts no route matched. */
  unrouted?: boolean | undefined;
  /** Keyset pagination: alerts updated before this (updated_at, id) pair. */
  before?: { updatedAt: number; id: string } | undefined;
  limit: number;
}

export async function listAlerts(db: Executor, f: AlertFilter): Promise<AlertRow[]> {
  let q = db.selectFrom('alerts').selectAll();
  if (f.state) q = q.where('state', '=', f.state as AlertRow['state']);
  if (f.source) q = q.where('source', '=', f.source);
  if (f.unrouted) q = q.where('routed_to', '=', '[]');
  if (f.before) {
    const b = f.before;
    q = q.where((eb) => eb.or([eb('updated_at', '<', b.updatedAt), eb.and([eb('updated_at', '=', b.updatedAt), eb('id', '<', b.id)])]));
  }
  return q.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}

export async function countAlertsByState(db: Executor): Promise<{ state: string; n: number }[]> {
  const rows = await db.selectFrom('alerts').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute();
  return rows.map((r) => ({ state: r.state, n: Number(r.n) }));
}

/**
 * Active alerts of `source` whose last event is at or before `before`, oldest first, locked for the scheduler that
 * resolves them (`resolve_after`); rows another transaction holds are taken next round.
 */
/**
 * Alerts whose time to live ran out by `now`, most overdue first. Only `stale_at` is constrained: with a state filter
 * too, SQLite's planner took the state index and sorted every active alert; a resolve clears stale_at, so what comes
 * back is active (the caller checks, and clears a stray one).
 */
export async function staleAlerts(db: Executor, now: number, limit: number): Promise<AlertRow[]> {
  return staleAlertsQuery(db, now, limit).execute();
}

export const staleAlertsQuery = (db: Executor, now: number, limit: number) =>
  forUpdateSkipLocked(db, db.selectFrom('alerts').selectAll().where('stale_at', '<=', now).orderBy('stale_at').limit(limit));

/** The earliest time to live to run out, so the scheduler sleeps until then. */
export async function nextStaleAt(db: Executor): Promise<number | undefined> {
  // The first entry of the partial index: a resolved alert's stale_at is null, so it is an active alert's.
  const r = await db.selectFrom('alerts').select('stale_at').where('stale_at', 'is not', null).orderBy('stale_at').limit(1).executeTakeFirst();
  return r?.stale_at == null ? undefined : Number(r.stale_at);
}

/**
 * Firing and acknowledged alerts after `afterId`, in id order: routed again at start and on reload. Locked on
 * PostgreSQL, so an ingest on another instance cannot change routed_to between this read and the reroute's write.
 */
export async function listActiveAlerts(db: Executor, afterId: string, limit: number): Promise<AlertRow[]> {
  return forUpdate(db, db.selectFrom('alerts').selectAll().where('state', 'in', ['firing', 'acknowledged']).where('id', '>', afterId).orderBy('id').limit(limit)).execute();
}
