import type { Executor, HeartbeatRow } from './schema.ts';

/**
 * The heartbeats table (migration 0008). A ping is one upsert that moves `due_at` (no read first, so pings racing
 * each other or the scheduler never lose one); the scheduler's changes of `state` are compare-and-set on `due_at`,
 * so a ping that lands between its read and its write is never overwritten: the next tick sees it.
 */

export interface Watched {
  name: string;
  /** every + grace. */
  periodMs: number;
}

export async function listHeartbeatRows(db: Executor): Promise<HeartbeatRow[]> {
  return db.selectFrom('heartbeats').selectAll().orderBy('name').execute();
}

/**
 * Brings the rows in line with the config: a new heartbeat's clock starts now (no alert before one period has
 * passed); a changed period moves due_at to the last ping (or the start) plus the new period. Returns the rows of
 * heartbeats no longer configured, for the caller to settle and then `deleteHeartbeat`.
 */
export async function syncHeartbeats(db: Executor, watched: readonly Watched[], now: number): Promise<HeartbeatRow[]> {
  const rows = new Map((await listHeartbeatRows(db)).map((r) => [r.name, r]));
  for (const w of watched) {
    const row = rows.get(w.name);
    rows.delete(w.name);
    if (!row) {
      await db
        .insertInto('heartbeats')
        .values({ name: w.name, state: 'up', period_ms: w.periodMs, last_ping_at: null, due_at: now + w.periodMs, pings: 0, down_since: null, forward_ping_at: null, forward_next_at: null, forward_failures: 0, forwarded_at: null, forward_error: null, created_at: now, updated_at: now })
        // Another instance inserted it first: theirs stands (the same clock, started a moment earlier).
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
    } else if (Number(row.period_ms) !== w.periodMs) {
      const from = row.last_ping_at ?? row.created_at;
      await db.updateTable('heartbeats').set({ period_ms: w.periodMs, due_at: Number(from) + w.periodMs, updated_at: now }).where('name', '=', w.name).execute();
    }
  }
  return [...rows.values()];
}

export async function deleteHeartbeat(db: Executor, name: string): Promise<void> {
  await db.deleteFrom('heartbeats').where('name', '=', name).execute();
}

/** A ping: due again one period from now. `forward`: queue it for incident.io too. Creates the row if need be. */
export async function recordPing(db: Executor, name: string, periodMs: number, now: number, forward: boolean): Promise<void> {
  await db
    .insertInto('heartbeats')
    .values({ name, state: 'up', period_ms: periodMs, last_ping_at: now, due_at: now + periodMs, pings: 1, down_since: null, forward_ping_at: forward ? now : null, forward_next_at: forward ? now : null, forward_failures: 0, forwarded_at: null, forward_error: null, created_at: now, updated_at: now })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet((eb) => ({
        last_ping_at: now,
        due_at: now + periodMs,
        period_ms: periodMs,
        pings: eb('heartbeats.pings', '+', 1),
        updated_at: now,
        // A forward still waiting out a backoff keeps its time: pings do not hammer an incident.io that refuses.
        ...(forward ? { forward_ping_at: now, forward_next_at: eb.fn.coalesce('heartbeats.forward_next_at', eb.val(now)) } : {}),
      })),
    )
    .execute();
}

/** Heartbeats whose period passed without a ping and whose alert is not raised yet. */
export async function missedHeartbeats(db: Executor, now: number): Promise<HeartbeatRow[]> {
  return db.selectFrom('heartbeats').selectAll().where('state', '=', 'up').where('due_at', '<=', now).orderBy('due_at').limit(100).execute();
}

/** Heartbeats that were down and have been pinged since. */
export async function recoveredHeartbeats(db: Executor, now: number): Promise<HeartbeatRow[]> {
  return db.selectFrom('heartbeats').selectAll().where('state', '=', 'down').where('due_at', '>', now).orderBy('name').limit(100).execute();
}

/** up → down, only if still missed (a ping since the read wins). True when this call made the change. */
export async function markDown(db: Executor, name: string, now: number): Promise<boolean> {
  const r = await db.updateTable('heartbeats').set({ state: 'down', down_since: now, updated_at: now }).where('name', '=', name).where('state', '=', 'up').where('due_at', '<=', now).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** down → up, only if pinged since. True when this call made the change. */
export async function markUp(db: Executor, name: string, now: number): Promise<boolean> {
  const r = await db.updateTable('heartbeats').set({ state: 'up', down_since: null, updated_at: now }).where('name', '=', name).where('state', '=', 'down').where('due_at', '>', now).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Pings waiting to be forwarded whose time has come. */
export async function forwardsDue(db: Executor, now: number): Promise<HeartbeatRow[]> {
  return db.selectFrom('heartbeats').selectAll().where('forward_ping_at', 'is not', null).where('forward_next_at', '<=', now).orderBy('forward_next_at').limit(100).execute();
}

/** The ping at `pingAt` reached incident.io (or is given up as stale): a newer one, if any, goes next, at once. */
export async function forwardSettled(db: Executor, name: string, pingAt: number, now: number, outcome: { forwarded: boolean; error?: string }): Promise<void> {
  const settled = { forward_failures: 0, forward_error: outcome.error ?? null, updated_at: now, ...(outcome.forwarded ? { forwarded_at: pingAt } : {}) };
  const r = await db.updateTable('heartbeats').set({ ...settled, forward_ping_at: null, forward_next_at: null }).where('name', '=', name).where('forward_ping_at', '=', pingAt).executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) await db.updateTable('heartbeats').set({ ...settled, forward_next_at: now }).where('name', '=', name).where('forward_ping_at', 'is not', null).execute();
}

/** A forward failed: tried again at `nextAt(failures so far, this one included)`. */
export async function forwardFailed(db: Executor, name: string, nextAt: (failures: number) => number, error: string, now: number): Promise<void> {
  const row = await db.selectFrom('heartbeats').select('forward_failures').where('name', '=', name).executeTakeFirst();
  if (!row) return;
  const failures = Number(row.forward_failures) + 1;
  await db.updateTable('heartbeats').set({ forward_failures: failures, forward_next_at: nextAt(failures), forward_error: error, updated_at: now }).where('name', '=', name).where('forward_ping_at', 'is not', null).execute();
}

/** Claims a forward for the time its send may take: should the sender die mid-send, it is due again after that. */
export async function claimForward(db: Executor, name: string, until: number): Promise<void> {
  await db.updateTable('heartbeats').set({ forward_next_at: until }).where('name', '=', name).execute();
}

/** The earliest time the scheduler has something to do for heartbeats: a due, a recovery, a forward. */
export async function nextHeartbeatDue(db: Executor, now: number): Promise<number | undefined> {
  const r = await db
    .selectFrom('heartbeats')
    .select((eb) => [
      eb.fn.min(eb.case().when('state', '=', 'up').then(eb.ref('due_at')).when('due_at', '>', now).then(now).end()).as('due'),
      eb.fn.min(eb.case().when('forward_ping_at', 'is not', null).then(eb.ref('forward_next_at')).end()).as('forward'),
    ])
    .executeTakeFirst();
  const times = [r?.due, r?.forward].filter((t): t is number => t !== null && t !== undefined).map(Number);
  return times.length ? Math.min(...times) : undefined;
}
