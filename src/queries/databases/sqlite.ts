/**
 * SQLite through better-sqlite3, opened `readonly`. better-sqlite3 is synchronous and cannot be interrupted, so runs
 * happen in child processes: the event loop never waits for a query, and a run past its timeout is answered `timeout`
 * at once and its process killed. (A worker thread would not do: terminating one waits for SQLite to hand control back
 * to JavaScript, which a single long aggregate never does — the thread, and the process's exit, would hang.)
 *
 * A child serves one run at a time and is kept for the next (starting one costs ≈ 50–150 ms of CPU; a run in a warm
 * one, a few ms); two runs at once get two children; an idle one is ended after a minute. A child ends itself as soon
 * as tocsin is gone (a watchdog thread watches its parent), so even a `kill -9` of tocsin leaves no query spinning.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { filePath, scrubSecrets } from './url.ts';
import { trimSql, type Connector, type QueryOutcome, type RunLimits } from './types.ts';
import { jsonRow } from './values.ts';

const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');
const IDLE_MS = 60_000;
const MAX_IDLE = 2;

/**
 * The child's code, plain CommonJS given to `node -e`: it needs no TypeScript loader, so it runs the same from the
 * sources (tsx) and from the build (`dist/`). Requests come on stdin and answers go to stdout, one JSON per line.
 */
const CHILD = `
const { Worker } = require('node:worker_threads');
new Worker(
  "const parent = process.ppid; const s = new Int32Array(new SharedArrayBuffer(4));" +
    "for (;;) { Atomics.wait(s, 0, 0, 100); if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL'); }",
  { eval: true },
).unref();
const Database = require(process.env.TOCSIN_SQLITE_DRIVER);
function run(w) {
  // Opened for each run (≈ 0.1 ms): a file replaced meanwhile is read afresh, and nothing is held between runs.
  let db;
  try {
    db = new Database(w.path, { readonly: true, fileMustExist: true, timeout: w.busyMs });
    const stmt = db.prepare(w.sql);
    if (!stmt.reader) throw new Error('not a query that returns rows (give a SELECT, or WITH … SELECT)');
    const columns = stmt.columns().map((c) => c.name);
    const rows = [];
    for (const row of stmt.iterate()) {
      for (const k of Object.keys(row)) if (Buffer.isBuffer(row[k])) row[k] = '<' + row[k].length + ' bytes>';
      rows.push(row);
      if (rows.length > w.maxRows) break;
    }
    return { ok: true, columns, rows };
  } catch (e) {
    return { ok: false, message: String((e && e.message) || e) };
  } finally {
    db?.close();
  }
}
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => {
  buf += c;
  for (let i; (i = buf.indexOf('\\n')) >= 0; ) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    process.stdout.write(JSON.stringify(run(JSON.parse(line)), (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\\n');
  }
});
process.stdin.on('end', () => process.exit(0));
`;

type Answer = { ok: true; columns: string[]; rows: Record<string, unknown>[] } | { ok: false; message: string };

/** One child process and the answer it owes, if any. */
class Child {
  readonly proc: ChildProcess;
  private out = '';
  private stderr = '';
  private pending: ((a: Answer | { gone: string }) => void) | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  dead = false;

  constructor(onGone: (c: Child) => void) {
    // Its own small environment: nothing of tocsin's (tokens, urls) is handed to it.
    this.proc = spawn(process.execPath, ['--max-old-space-size=256', '-e', CHILD], { env: { TOCSIN_SQLITE_DRIVER: DRIVER }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
      this.out += c;
      const i = this.out.indexOf('\n');
      if (i < 0) return;
      const line = this.out.slice(0, i);
      this.out = this.out.slice(i + 1);
      this.settle(JSON.parse(line) as Answer);
    });
    this.proc.stderr!.setEncoding('utf8').on('data', (c: string) => (this.stderr = (this.stderr + c).slice(-2000)));
    this.proc.stdin!.on('error', () => undefined);
    const gone = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      clearTimeout(this.idleTimer);
      onGone(this);
      this.settle({ gone: `${why}${this.stderr ? `: ${this.stderr.trim().split('\n').at(-1)}` : ''}` });
    };
    this.proc.on('error', (e) => gone(`cannot start the query's process: ${e.message}`));
    this.proc.on('close', (code) => gone(`the query's process ended (${code ?? 'killed'}) without an answer`));
  }

  private settle(a: Answer | { gone: string }): void {
    const p = this.pending;
    this.pending = undefined;
    p?.(a);
  }

  ask(request: object): Promise<Answer | { gone: string }> {
    return new Promise((resolve) => {
      this.pending = resolve;
      this.proc.stdin!.write(`${JSON.stringify(request)}\n`);
    });
  }

  kill(): void {
    if (!this.dead) this.proc.kill('SIGKILL');
  }
}

export function sqliteConnector(url: string): Connector {
  const path = filePath(url);
  const idle: Child[] = [];
  const busy = new Set<Child>();
  const forget = (c: Child) => {
    busy.delete(c);
    const i = idle.indexOf(c);
    if (i >= 0) idle.splice(i, 1);
  };
  const take = (): Child => {
    let c: Child | undefined;
    while ((c = idle.pop()) && c.dead);
    if (c) clearTimeout(c.idleTimer);
    c ??= new Child(forget);
    busy.add(c);
    return c;
  };
  const giveBack = (c: Child) => {
    busy.delete(c);
    if (c.dead) return;
    if (idle.length >= MAX_IDLE) return c.kill();
    c.idleTimer = setTimeout(() => {
      forget(c);
      c.kill();
    }, IDLE_MS).unref();
    idle.push(c);
  };

  return {
    async run(sql: string, limits: RunLimits): Promise<QueryOutcome> {
      const child = take();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limits.timeoutMs)));
      const a = await Promise.race([child.ask({ path, sql: trimSql(sql), maxRows: limits.maxRows, busyMs: Math.min(limits.timeoutMs, 5000) }), timedOut]);
      clearTimeout(timer);
      if (a === 'timeout') {
        child.kill();
        forget(child);
        return { ok: false, kind: 'timeout', message: `still running after the timeout (${limits.timeoutMs} ms): stopped` };
      }
      giveBack(child);
      if ('gone' in a) return { ok: false, kind: 'error', message: scrubSecrets(a.gone, url) };
      if (!a.ok) return { ok: false, kind: 'error', message: scrubSecrets(a.message, url) };
      return { ok: true, columns: a.columns, rows: a.rows.slice(0, limits.maxRows).map(jsonRow), truncated: a.rows.length > limits.maxRows };
    },
    async close() {
      for (const c of [...idle, ...busy]) c.kill();
      idle.length = 0;
      busy.clear();
    },
  };
}
