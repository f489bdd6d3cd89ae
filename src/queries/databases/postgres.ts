/**
 * PostgreSQL through `pg`: each run is a READ ONLY transaction with `statement_timeout` set to the query's timeout,
 * and the SQL is read through a cursor (`DECLARE … CURSOR FOR`, `FETCH max_rows + 1`), so a query returning millions
 * of rows costs max_rows + 1 of them. A server that does not answer at all is given up on by a timer of our own.
 */
import pg from 'pg';
import { scrubSecrets } from './url.ts';
import { trimSql, type Connector, type QueryOutcome, type RunLimits } from './types.ts';
import { jsonRow } from './values.ts';

/** Past the statement timeout, how long the server gets to say so itself before the connection is dropped. */
const GRACE_MS = 2_000;

/** int8 (`count(*)`) as a number when it fits a double exactly, else its digits; this pool's own, not pg's global. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 && format !== 'binary') return (v: string) => (Number.isSafeInteger(Number(v)) ? Number(v) : v);
    return pg.types.getTypeParser(oid, format);
  },
};

export function postgresConnector(url: string): Connector {
  // Two connections: a query that overlaps the next (reported as skipped) never waits for one.
  const pool = new pg.Pool({ connectionString: url, max: 2, idleTimeoutMillis: 60_000, application_name: 'tocsin-queries', types });
  // An idle connection dropped by the server: the pool replaces it. Nothing logged (the error may name the url).
  pool.on('error', () => undefined);
  /** Connections of runs in flight, ended by close() so a stop never waits for a query's timeout. */
  const active = new Set<() => void>();
  const scrub = (e: unknown) => scrubSecrets(e instanceof Error ? e.message : String(e), url);

  return {
    async run(sql: string, limits: RunLimits): Promise<QueryOutcome> {
      let timer: NodeJS.Timeout | undefined;
      let client: pg.PoolClient | undefined;
      let released = false;
      let timedOut = false;
      // Destroyed rather than returned to the pool when in doubt: never hand the next run a connection mid-query.
      const release = (destroy: boolean) => {
        if (!client || released) return;
        released = true;
        active.delete(abort);
        client.release(destroy ? true : undefined);
      };
      const abort = () => release(true);
      const work = (async (): Promise<QueryOutcome> => {
        client = await pool.connect();
        active.add(abort);
        if (timedOut) {
          release(true);
          throw new Error('gave up before connecting');
        }
        try {
          await client.query('BEGIN READ ONLY');
          await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(limits.timeoutMs))}`);
          // The extended protocol takes one statement only: `select 1; commit; delete …` cannot leave the read-only
          // transaction (the simple protocol would run all three).
          await client.query({ text: `DECLARE tocsin_query NO SCROLL CURSOR FOR ${trimSql(sql)}`, queryMode: 'extended' } as pg.QueryConfig);
          const r = await client.query({ text: `FETCH FORWARD ${limits.maxRows + 1} FROM tocsin_query`, rowMode: 'array' });
          await client.query('ROLLBACK');
          release(false);
          const columns = r.fields.map((f) => f.name);
          const rows = (r.rows as unknown[][]).map((values) => jsonRow(Object.fromEntries(columns.map((c, i) => [c, values[i]]))));
          return { ok: true, columns, rows: rows.slice(0, limits.maxRows), truncated: rows.length > limits.maxRows };
        } catch (e) {
          const rolledBack = !timedOut && (await client.query('ROLLBACK').then(() => true, () => false));
          release(!rolledBack);
          throw e;
        }
      })();
      const giveUp = new Promise<QueryOutcome>((resolve) => {
        timer = setTimeout(() => {
          timedOut = true;
          release(true);
          resolve({ ok: false, kind: 'timeout', message: `no answer within the timeout (${limits.timeoutMs} ms)` });
        }, limits.timeoutMs + GRACE_MS);
      });
      try {
        return await Promise.race([
          work.catch((e: unknown): QueryOutcome => {
            const code = (e as { code?: string }).code;
            if (code === '57014') return { ok: false, kind: 'timeout', message: `canceled after the timeout (${limits.timeoutMs} ms)` };
            return { ok: false, kind: 'error', message: scrub(e) };
          }),
          giveUp,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      for (const abort of [...active]) abort();
      await pool.end().catch(() => undefined);
    },
  };
}
