/**
 * `node --import tsx bench/ingest-core.ts`: the cost of tocsin's ingest path without HTTP — source parsing, then
 * normalize → identity → lifecycle → route → outbox in group-committed SQLite transactions (WAL, synchronous=FULL) —
 * in CPU µs per alert, for 1 and 100 alerts per call with 32 calls in flight (as bench/ingest.ts's 32 connections).
 * CPU time, not wall time, so a busy neighbour on a shared machine moves the figures less.
 *
 * BENCH_ALERTS (20000) alerts per row; BENCH_PER_CALL (`1,100,1,100`) the rows; BENCH_PRAGMA SQLite pragmas to try.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { monotonicFactory } from 'ulid';
import { ingest, type IngestDeps } from '../src/core/ingest.ts';
import type { AlertEvent } from '../src/domain/alert.ts';
import { systemClock } from '../src/domain/clock.ts';
import { compileMatcher } from '../src/routing/matchers.ts';
import { alertsSource } from '../src/sources/alerts/alerts.ts';
import { GroupCommit } from '../src/storage/group-commit.ts';
import { openSqlite } from '../src/storage/sqlite.ts';

const ALERTS = Number(process.env.BENCH_ALERTS ?? 20_000);
const IN_FLIGHT = 32;

let seq = 0;
const body = (n: number) => {
  const one = () => ({ title: `Bench alert ${seq}`, dedup_key: `bench-${seq++}`, severity: 'warning', metadata: { service: 'bench', n: seq } });
  return JSON.stringify(n === 1 ? one() : Array.from({ length: n }, one));
};

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
    }
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
