import type { JsonObject } from '../../domain/alert.ts';

export interface RunLimits {
  /** At most this many rows are kept; one more is fetched to know whether there were more (`truncated`). */
  maxRows: number;
  timeoutMs: number;
}

/** What running a query gave: rows (JSON-safe), or why not — typed, never thrown. */
export type QueryOutcome =
  | { ok: true; columns: string[]; rows: JsonObject[]; truncated: boolean }
  | { ok: false; kind: 'error' | 'timeout'; message: string };

/**
 * One configured database. Read-only by construction (a read-only transaction, a read-only file), every run bounded
 * by its timeout without blocking the event loop, and never more than max_rows + 1 rows read.
 */
export interface Connector {
  run(sql: string, limits: RunLimits): Promise<QueryOutcome>;
  close(): Promise<void>;
}

/** A statement's trailing `;` and blanks: harmless to a person, an error inside a cursor or a prepared statement. */
export const trimSql = (sql: string) => sql.trim().replace(/[\s;]+$/, '');
