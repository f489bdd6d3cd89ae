/**
 * SQLite through better-sqlite3, opened `readonly`. better-sqlite3 is synchronous, so each run happens in a worker
 * thread: the event loop never waits for a query, and a run past its timeout is answered `timeout` at once and its
 * worker terminated. (Termination takes effect when SQLite hands control back to JavaScript — between rows — so a
 * single long sort may keep that thread busy a little longer; nothing waits for it.)
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { filePath, scrubSecrets } from './url.ts';
import { trimSql, type Connector, type QueryOutcome, type RunLimits } from './types.ts';
import { jsonRow } from './values.ts';

const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * The worker's code, plain CommonJS given as text (`eval`): it needs no TypeScript loader, so it runs the same from
 * the sources (tsx) and from the build (`dist/`).
 */
const WORKER = `
const { parentPort, workerData: w } = require('node:worker_threads');
const Database = require(w.driver);
try {
  const db = new Database(w.path, { readonly: true, fileMustExist: true, timeout: w.busyMs });
  const stmt = db.prepare(w.sql);
  if (!stmt.reader) throw new Error('not a query that returns rows (give a SELECT, or WITH … SELECT)');
  const columns = stmt.columns().map((c) => c.name);
  const rows = [];
  for (const row of stmt.iterate()) {
    rows.push(row);
    if (rows.length > w.maxRows) break;
  }
  db.close();
  parentPort.postMessage({ ok: true, columns, rows });
} catch (e) {
  parentPort.postMessage({ ok: false, message: String((e && e.message) || e) });
}
`;

export function sqliteConnector(url: string): Connector {
  const path = filePath(url);
  const workers = new Set<Worker>();
  return {
    run(sql: string, limits: RunLimits): Promise<QueryOutcome> {
      return new Promise((resolve) => {
        const worker = new Worker(WORKER, {
          eval: true,
          workerData: { driver: DRIVER, path, sql: trimSql(sql), maxRows: limits.maxRows, busyMs: limits.timeoutMs },
          // Bounded: max_rows caps the rows, this caps what a row of huge values can cost.
          resourceLimits: { maxOldGenerationSizeMb: 256 },
        });
        workers.add(worker);
        let done = false;
        const finish = (o: QueryOutcome) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          workers.delete(worker);
          void worker.terminate();
          resolve(o);
        };
        const timer = setTimeout(() => finish({ ok: false, kind: 'timeout', message: `still running after the timeout (${limits.timeoutMs} ms): stopped` }), limits.timeoutMs);
        worker.once('message', (m: { ok: true; columns: string[]; rows: Record<string, unknown>[] } | { ok: false; message: string }) => {
          if (!m.ok) return finish({ ok: false, kind: 'error', message: scrubSecrets(m.message, url) });
          finish({ ok: true, columns: m.columns, rows: m.rows.slice(0, limits.maxRows).map(jsonRow), truncated: m.rows.length > limits.maxRows });
        });
        worker.once('error', (e) => finish({ ok: false, kind: 'error', message: scrubSecrets(e.message, url) }));
        worker.once('exit', (code) => finish({ ok: false, kind: 'error', message: `the query's worker exited (${code})` }));
      });
    },
    async close() {
      await Promise.all([...workers].map((w) => w.terminate()));
    },
  };
}
