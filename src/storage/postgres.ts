import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { PostgresSettings } from '../config/storage.ts';
import { migrateToLatest } from './migrations.ts';
import type { Database, Db } from './schema.ts';

/** int8 (counts, sums, epoch milliseconds) and numeric (sums of int8) as numbers: every value tocsin stores fits. */
const NUMERIC_OIDS = new Set([20, 1700]);
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (NUMERIC_OIDS.has(oid) && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * Per-session limits, so one stuck instance cannot stall the others: a row lock is waited for at most 5 s (then the
 * group commit runs the transaction again, and ingest answers 503 once its budget is spent), and a transaction left
 * open by a frozen process is ended by the server after a minute. No statement_timeout: a migration may run long.
 */
const SESSION = '-c lock_timeout=5000 -c idle_in_transaction_session_timeout=60000';

export interface PostgresOptions extends PostgresSettings {
  /** Told about connections that fail while idle (the server restarted, the network dropped): they are replaced. */
  onIdleError?: (e: Error) => void;
}

/**
 * The shared store for several instances. Every instance runs the migrations at start; Kysely's migrator holds a
 * PostgreSQL advisory lock meanwhile, so instances starting together migrate once and the others wait.
 */
export async function openPostgres(o: PostgresOptions): Promise<Db> {
  const db = connect(o, SESSION);
  let durable: Db | undefined;
  try {
    // Ingest answers 202 only after a durable commit. A server set to synchronous_commit=off acknowledges commits it
    // may lose in a crash: tocsin's sessions turn it back on (a stricter setting — remote_apply — is left alone).
    const r = await sql<{ v: string }>`select current_setting('synchronous_commit') as v`.execute(db);
    durable = r.rows[0]?.v === 'off' ? (await db.destroy(), connect(o, `${SESSION} -c synchronous_commit=on`)) : db;
    await migrateToLatest(durable);
    // A read-only server (a standby after a failover, default_transaction_read_only) must not pass for storage.
    await sql`update kysely_migration_lock set is_locked = is_locked`.execute(durable);
  } catch (e) {
    await (durable ?? db).destroy().catch(() => undefined);
    throw e;
  }
  return durable;
}

function connect(o: PostgresOptions, session: string): Db {
  const pool = new pg.Pool({
    connectionString: o.url,
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.tls ? { ssl: { ...(o.tls.ca ? { ca: o.tls.ca } : {}), rejectUnauthorized: o.tls.rejectUnauthorized } } : {}),
    max: o.poolSize,
    // A server that does not answer is an outage: say so within seconds (ingest answers 503, senders retry).
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'tocsin',
    options: session,
    types,
  });
  // pg emits 'error' on a client whose connection breaks; with no listener that ends the process. The pool listens
  // on idle clients only, so every client gets a listener of its own for the time it is checked out: the query it
  // runs fails with the same error, and the pool drops the client when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  pool.on('error', (e) => o.onIdleError?.(e));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
