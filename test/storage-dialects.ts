/**
 * The storage contract suite's runner: a test body runs once per dialect, against storage opened exactly as the app
 * opens it (openSqlite / openPostgres, migrations included), and the test's name says which dialect failed.
 *
 * SQLite is a file in a temporary folder, not `:memory:`, so WAL, the write lock and a second connection are real.
 * PostgreSQL is a fresh database on the test server (test/postgres.ts: the run's server, or one of this process's
 * own), dropped afterwards. It lives here rather than in src/storage/: the release build compiles src/ alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql, type Insertable } from 'kysely';
import { openPostgres } from '../src/storage/postgres.ts';
import type { Db, DeliveriesTable, NewAlertRow } from '../src/storage/schema.ts';
import { openSqlite } from '../src/storage/sqlite.ts';
import { freshPostgres } from './postgres.ts';

export type DialectName = 'sqlite' | 'postgres';
export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

export interface DialectContext {
  dialect: DialectName;
  /** The storage under test, opened and migrated as the app does it. */
  db: Db;
  /**
   * Another connection to the same database, as a second instance would open it (migrations run again: a no-op).
   * Closed with the test.
   */
  connect(): Promise<Db>;
}

/** Connections per PostgreSQL pool: a group commit and a concurrent reader or two, as in the app (min 2). */
const POOL_SIZE = 4;

async function opened(dialect: DialectName): Promise<{ open(): Promise<Db>; remove(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tocsin-contract-'));
    const path = join(dir, 'tocsin.db');
    return { open: () => openSqlite({ path }), remove: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const fresh = await freshPostgres();
  return { open: () => openPostgres({ url: fresh.url, poolSize: POOL_SIZE }), remove: () => fresh.drop() };
}

/** Runs `body` with a database of its own; every connection it opened is closed and the database removed after. */
export async function withDialect(dialect: DialectName, body: (c: DialectContext) => Promise<void>): Promise<void> {
  const where = await opened(dialect);
  const connections: Db[] = [];
  const connect = async () => {
    const db = await where.open();
    connections.push(db);
    return db;
  };
  try {
    const db = await connect();
    await body({ dialect, db, connect });
  } finally {
    // A test that failed may have left a transaction open, and a pool waits for its connections to come back: give
    // up on those after a while, and let dropping the database (with force) end them.
    const closed = Promise.all(connections.reverse().map((db) => db.destroy().catch(() => undefined)));
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    await where.remove();
  }
}

export interface ContractOptions {
  /** Only these dialects (a behaviour that exists on one only); every dialect by default. */
  only?: readonly DialectName[];
}

/** One test per dialect, named `<name> [<dialect>]`. */
export function contract(name: string, body: (c: DialectContext) => Promise<void>, options: ContractOptions = {}): void {
  for (const dialect of options.only ?? DIALECTS) {
    test(`${name} [${dialect}]`, { timeout: 60_000 }, () => withDialect(dialect, body));
  }
}

/** An alert row with every column given; `over` changes some. */
export function alertRow(id: string, over: Partial<NewAlertRow> = {}): NewAlertRow {
  const source = over.source ?? 'prom';
  const dedup = over.dedup_key ?? id;
  return {
    id,
    source,
    dedup_key: dedup,
    external_key: `${source}:${dedup}`,
    state: 'firing',
    episode: 1,
    title: `title ${id}`,
    description: null,
    severity: 'warning',
    metadata: '{}',
    source_url: null,
    content_hash: 'h',
    routed_to: '["pager"]',
    labels: '{}',
    parser_labels: null,
    route_override: null,
    event_count: 1,
    created_at: 1_000,
    updated_at: 1_000,
    last_event_at: 1_000,
    resolved_at: null,
    acknowledged_at: null,
    event_ttl_ms: null,
    stale_at: null,
    ...over,
  };
}

export type NewDeliveryRow = Insertable<DeliveriesTable>;

/** A pending delivery of `alertId` to `pager`, due at 1,000; `over` changes some columns. */
export function deliveryRow(alertId: string, over: Partial<NewDeliveryRow> = {}): NewDeliveryRow {
  return {
    destination: 'pager',
    alert_id: alertId,
    episode: 1,
    status: 'pending',
    payload: '{}',
    priority: 3,
    attempts: over.status === 'in_flight' ? 1 : 0,
    next_attempt_at: 1_000,
    created_at: 1_000,
    updated_at: 1_000,
    ...over,
  };
}

/** Inserts deliveries in the given order (ids follow it) and returns their ids. */
export async function seedDeliveries(db: Db, rows: readonly NewDeliveryRow[]): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const out = await db.insertInto('deliveries').values(rows.slice(i, i + 500)).returning('id').execute();
    ids.push(...out.map((o) => o.id));
  }
  return ids;
}

/**
 * Resolves once `n` sessions on this PostgreSQL database are waiting for a lock, i.e. a transaction a test started
 * is now blocked behind another's: the next step of the test may rely on it. Polls the server's own view of it.
 */
export async function lockWaiters(db: Db, n: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await sql<{ n: number }>`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
    if (Number(r.rows[0]?.n) >= n) return;
    if (Date.now() > deadline) throw new Error(`${n} session(s) waiting for a lock expected within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
