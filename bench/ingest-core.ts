/**
 * `node --import tsx bench/ingest-core.ts`: the cost of tocsin's ingest path without HTTP — source parsing, then
 * normalize → identity → lifecycle → route → outbox in group-committed SQLite transactions (WAL, synchronous=FULL) —
 * in CPU µs per alert, for 1 and 100 alerts per call with 32 calls in flight (as bench/ingest.ts's 32 connections).
 * CPU time, not wall time, so a busy neighbour on a shared machine moves the figures less.
 *
 * BENCH_ALERTS (20000) alerts per row; BENCH_PER_CALL (`1,100,1,100`) the rows; BENCH_PRAGMA SQLite pragmas to try.
 * BENCH_SQL=1 also prints, per row, the wall time of each kind of statement (the commit among them: it includes the
 * fsync, which the event loop waits through) and the WAL pages written per commit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { monotonicFactory } from 'ulid';
import { ingest, type IngestDeps } from '../src/core/ingest.ts';
import type { AlertEvent } from '../src/domain/alert.ts';
import { systemClock } from '../src/domain/clock.ts';
import { compileMatcher } from '../src/routing/matchers.ts';
import { alertsSource } from '../src/sources/alerts/alerts.ts';
import { GroupCommit } from '../src/storage/group-commit.ts';
import type { Db } from '../src/storage/schema.ts';
import { openSqlite } from '../src/storage/sqlite.ts';

const ALERTS = Number(process.env.BENCH_ALERTS ?? 20_000);
const IN_FLIGHT = 32;

let seq = 0;
const body = (n: number) => {
  const one = () => ({ title: `Bench alert ${seq}`, dedup_key: `bench-${seq++}`, severity: 'warning', metadata: { service: 'bench', n: seq } });
  return JSON.stringify(n === 1 ? one() : Array.from({ length: n }, one));
};

/** Wall time per statement kind (BENCH_SQL): better-sqlite3's statements are wrapped as they are prepared. */
const statementTimes = new Map<string, { n: number; ns: bigint }>();
if (process.env.BENCH_SQL) {
  const prepare = BetterSqlite3.prototype.prepare;
  BetterSqlite3.prototype.prepare = function (this: BetterSqlite3.Database, source: string) {
    const stmt = prepare.call(this, source) as unknown as Record<string, (...a: unknown[]) => unknown>;
    const kind = `${/^\s*(\w+)/.exec(source)?.[1] ?? ''} ${/(?:into|from|update) "(\w+)"/.exec(source)?.[1] ?? ''}`.trim();
    for (const m of ['run', 'all', 'get']) {
      const call = stmt[m]!.bind(stmt);
      stmt[m] = (...a: unknown[]) => {
        const t = process.hrtime.bigint();
        try {
          return call(...a);
        } finally {
          const e = statementTimes.get(kind) ?? { n: 0, ns: 0n };
          e.n++;
          e.ns += process.hrtime.bigint() - t;
          statementTimes.set(kind, e);
        }
      };
    }
    return stmt as unknown as BetterSqlite3.Statement;
  } as typeof prepare;
}

/** Starts a row afresh: no statement times, an empty WAL (checkpoints are off, so its pages are the row's). */
async function resetStatements(db: Db): Promise<void> {
  await sql`pragma wal_checkpoint(truncate)`.execute(db);
  statementTimes.clear();
}

/** The row's statement times per alert, and the WAL pages its commits wrote. */
async function statementReport(db: Db, alerts: number): Promise<void> {
  const commits = statementTimes.get('commit')?.n ?? 0;
  const rows = [...statementTimes].sort((a, b) => Number(b[1].ns - a[1].ns));
  const wal = await sql<{ log: number }>`pragma wal_checkpoint(passive)`.execute(db);
  const pages = Number(wal.rows[0]?.log ?? NaN);
  console.log(`    ${commits} commits of ${(alerts / commits).toFixed(1)} alerts, ${(pages / commits).toFixed(1)} WAL pages each; wall µs per alert by statement:`);
  for (const [kind, v] of rows.slice(0, 6)) console.log(`      ${(Number(v.ns) / 1000 / alerts).toFixed(1).padStart(6)}  ${kind} (${v.n} calls)`);
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const sysUs = () => process.cpuUsage().system;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-core-'));
  const db = await openSqlite({ path: join(dir, 't.db') });
  // BENCH_PRAGMA='cache_size = -32768; …' tries SQLite settings without editing storage/sqlite.ts.
  for (const p of (process.env.BENCH_PRAGMA ?? '').split(';').filter((x) => x.trim())) await sql.raw(`pragma ${p}`).execute(db);
  // Counting the WAL's pages needs them all in it: the report checkpoints by itself after each row.
  if (process.env.BENCH_SQL) await sql`pragma wal_autocheckpoint = 0`.execute(db);
  const newId = monotonicFactory();
  const deps: IngestDeps = {
    commits: new GroupCommit(db),
    clock: systemClock,
    newId: () => newId(),
    routing: () => ({ routes: [{ matchers: [compileMatcher('severity', '=~', 'critical|warning')], to: ['oncall'], continue: false }], destinations: new Set(['oncall']) }),
  };
  const ctx = { source: 'app', options: {}, query: {}, severityMap: undefined };
  const parse = async (text: string) => {
    const r = await alertsSource.parse(JSON.parse(text), ctx as never);
    if (!r.ok) throw new Error('parse failed');
    return r.value.events;
  };
  try {
    for (const perCall of (process.env.BENCH_PER_CALL ?? '1,100,1,100').split(',').map(Number)) {
      // Bodies built up front: the load generator's cost is not tocsin's.
      const bodies = Array.from({ length: ALERTS / perCall }, () => body(perCall));
      const p0 = cpuUs();
      const batches: AlertEvent[][] = [];
      for (const b of bodies) batches.push(await parse(b));
      const parseUs = cpuUs() - p0;
      if (process.env.BENCH_SQL) await resetStatements(db);
      let next = 0;
      const cpu0 = cpuUs();
      const sys0 = sysUs();
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < batches.length) await ingest(deps, batches[next++]!);
        }),
      );
      const wall = performance.now() - t0;
      const cpu = cpuUs() - cpu0;
      const sys = sysUs() - sys0;
      console.log(
        `${String(perCall).padStart(3)} per call: JSON.parse + parser ${(parseUs / ALERTS).toFixed(1)} CPU µs/alert; ingest ${(cpu / ALERTS).toFixed(1)} CPU µs/alert (${(sys / ALERTS).toFixed(1)} in the kernel, ${((cpu - sys) / ALERTS).toFixed(1)} user), ${Math.round(ALERTS / (wall / 1000))} alerts/s wall`,
      );
      if (process.env.BENCH_SQL) await statementReport(db, ALERTS);
    }
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
