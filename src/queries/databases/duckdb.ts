/**
 * DuckDB through @duckdb/node-api (queries over Parquet and CSV files: `read_parquet('…')`). Loaded only when a
 * `duckdb:` database is configured. A file is opened READ_ONLY; `duckdb:` alone (or `duckdb::memory:`) is an empty
 * in-memory database for querying files. DuckDB runs queries on its own threads; a run past its timeout is
 * interrupted. The result is streamed and read only up to max_rows + 1 rows.
 */
import { filePath, scrubSecrets } from './url.ts';
import type { Connector, QueryOutcome, RunLimits } from './types.ts';
import { jsonRow } from './values.ts';

type DuckApi = typeof import('@duckdb/node-api');

/** DuckDBTypeId BIGINT, UBIGINT, HUGEINT, UHUGEINT (the values of its enum: the module is loaded lazily). */
const WIDE_INTEGERS = new Set<number>([5, 9, 16, 32]);
type Instance = Awaited<ReturnType<DuckApi['DuckDBInstance']['create']>>;

export function duckdbConnector(url: string): Connector {
  const path = filePath(url);
  let instance: Promise<Instance> | undefined;
  const open = () =>
    (instance ??= import('@duckdb/node-api').then((d) => d.DuckDBInstance.create(path, path === ':memory:' ? {} : { access_mode: 'READ_ONLY' })).catch((e: unknown) => {
      instance = undefined;
      throw e;
    }));
  return {
    async run(sql: string, limits: RunLimits): Promise<QueryOutcome> {
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      try {
        const connection = await (await open()).connect();
        try {
          timer = setTimeout(() => {
            timedOut = true;
            connection.interrupt();
          }, limits.timeoutMs);
          const reader = await connection.streamAndReadUntil(sql, limits.maxRows + 1);
          const rows = reader.getRowObjectsJson() as Record<string, unknown>[];
          const columns = reader.columnNames();
          // DuckDB's JSON gives 64-bit and wider integers (count(*)) as text: a number when it fits a double exactly.
          const wide = columns.filter((_, i) => WIDE_INTEGERS.has(reader.columnTypes()[i]!.typeId));
          for (const r of rows) for (const c of wide) if (typeof r[c] === 'string' && Number.isSafeInteger(Number(r[c]))) r[c] = Number(r[c]);
          return { ok: true, columns, rows: rows.slice(0, limits.maxRows).map(jsonRow), truncated: rows.length > limits.maxRows };
        } finally {
          clearTimeout(timer);
          connection.closeSync();
        }
      } catch (e) {
        if (timedOut) return { ok: false, kind: 'timeout', message: `interrupted after the timeout (${limits.timeoutMs} ms)` };
        return { ok: false, kind: 'error', message: scrubSecrets(e instanceof Error ? e.message : String(e), url) };
      }
    },
    async close() {
      const i = instance;
      instance = undefined;
      if (i) (await i.catch(() => undefined))?.closeSync();
    },
  };
}
