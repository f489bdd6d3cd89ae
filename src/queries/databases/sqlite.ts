/**
 * SQLite through better-sqlite3, opened `readonly`. better-sqlite3 is synchronous and cannot be interrupted, so each
 * run happens in a short-lived child process: the event loop never waits for a query, and a run past its timeout is
 * answered `timeout` at once and its process killed. (A worker thread would not do: terminating one waits for SQLite
 * to hand control back to JavaScript, which a single long aggregate never does — the thread, and the process's exit,
 * would hang.) Costs ≈ 50–150 ms of start-up per run, nothing for a schedule of seconds or more.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { filePath, scrubSecrets } from './url.ts';
import { trimSql, type Connector, type QueryOutcome, type RunLimits } from './types.ts';
import { jsonRow } from './values.ts';

const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * The child's code, plain CommonJS given to `node -e`: it needs no TypeScript loader, so it runs the same from the
 * sources (tsx) and from the build (`dist/`). The request comes on stdin, the answer goes to stdout as JSON.
 */
const CHILD = `
// A watchdog thread: it runs while the main thread is inside SQLite, and ends this process at its deadline or as soon
// as tocsin is gone (killed with -9, it could not kill this process itself).
const { Worker } = require('node:worker_threads');
new Worker(
  "const { workerData: w } = require('node:worker_threads'); const parent = process.ppid; const start = Date.now(); const s = new Int32Array(new SharedArrayBuffer(4));" +
    "for (;;) { Atomics.wait(s, 0, 0, 100); if (Date.now() - start > w.deadlineMs || process.ppid !== parent) process.kill(process.pid, 'SIGKILL'); }",
  { eval: true, workerData: { deadlineMs: Number(process.env.TOCSIN_SQLITE_DEADLINE_MS) } },
).unref();
const Database = require(process.env.TOCSIN_SQLITE_DRIVER);
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  const w = JSON.parse(input);
  let out;
  try {
    const db = new Database(w.path, { readonly: true, fileMustExist: true, timeout: w.busyMs });
    const stmt = db.prepare(w.sql);
    if (!stmt.reader) throw new Error('not a query that returns rows (give a SELECT, or WITH … SELECT)');
    const columns = stmt.columns().map((c) => c.name);
    const rows = [];
    for (const row of stmt.iterate()) {
      for (const k of Object.keys(row)) if (Buffer.isBuffer(row[k])) row[k] = '<' + row[k].length + ' bytes>';
      rows.push(row);
      if (rows.length > w.maxRows) break;
    }
    db.close();
    out = { ok: true, columns, rows };
  } catch (e) {
    out = { ok: false, message: String((e && e.message) || e) };
  }
  process.stdout.write(JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)), () => process.exit(0));
});
`;

type Answer = { ok: true; columns: string[]; rows: Record<string, unknown>[] } | { ok: false; message: string };

export function sqliteConnector(url: string): Connector {
  const path = filePath(url);
  const children = new Set<ChildProcess>();
  return {
    run(sql: string, limits: RunLimits): Promise<QueryOutcome> {
      return new Promise((resolve) => {
        // Its own small environment: nothing of tocsin's (tokens, urls) is handed to it.
        const child = spawn(process.execPath, ['--max-old-space-size=256', '-e', CHILD], { env: { TOCSIN_SQLITE_DRIVER: DRIVER, TOCSIN_SQLITE_DEADLINE_MS: String(limits.timeoutMs + 2_000) }, stdio: ['pipe', 'pipe', 'pipe'] });
        children.add(child);
        let stdout = '';
        let stderr = '';
        let done = false;
        const finish = (o: QueryOutcome) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          children.delete(child);
          if (child.exitCode === null) child.kill('SIGKILL');
          resolve(o);
        };
        const timer = setTimeout(() => finish({ ok: false, kind: 'timeout', message: `still running after the timeout (${limits.timeoutMs} ms): stopped` }), limits.timeoutMs);
        child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
        child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c.slice(0, 2000)));
        child.on('error', (e) => finish({ ok: false, kind: 'error', message: `cannot start the query's process: ${e.message}` }));
        child.on('close', (code) => {
          let m: Answer;
          try {
            m = JSON.parse(stdout) as Answer;
          } catch {
            return finish({ ok: false, kind: 'error', message: `the query's process ended (${code ?? 'killed'}) without an answer${stderr ? `: ${scrubSecrets(stderr.trim().split('\n').at(-1) ?? '', url)}` : ''}` });
          }
          if (!m.ok) return finish({ ok: false, kind: 'error', message: scrubSecrets(m.message, url) });
          finish({ ok: true, columns: m.columns, rows: m.rows.slice(0, limits.maxRows).map(jsonRow), truncated: m.rows.length > limits.maxRows });
        });
        child.stdin!.on('error', () => undefined);
        child.stdin!.end(JSON.stringify({ path, sql: trimSql(sql), maxRows: limits.maxRows, busyMs: Math.min(limits.timeoutMs, 5000) }));
      });
    },
    async close() {
      for (const c of children) c.kill('SIGKILL');
      children.clear();
    },
  };
}
