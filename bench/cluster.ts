/**
 * `npm run bench:cluster`: tocsin on PostgreSQL, one and three instances, beside SQLite measured in the same run.
 *
 * 1. Ingest: real `tocsin start` processes — SQLite (1 instance, the baseline), PostgreSQL with 1 instance, and 3
 *    instances on one database — loaded by the same closed-loop generator (BENCH_CONNECTIONS requests in flight,
 *    round robin over a target's instances like a load balancer), at 1 and 100 alerts per request. alerts/s, request
 *    latency, CPU per alert of tocsin and of the PostgreSQL server, alerts per PostgreSQL commit (how well each
 *    instance's group commit batches); a last, diagnostic column gives the 3 instances as many requests in flight each
 *    as the single instance gets. Deliveries are held (the emulator paused, the
 *    destination configured as in production): this is the ingest path alone, as bench:ingest measures it, so the
 *    SQLite column is comparable to its figures.
 * 2. Claim latency with BENCH_BACKLOG (100,000) pending rows, PostgreSQL beside SQLite, and PostgreSQL's plan.
 *
 * The PostgreSQL server is started here on loopback and stopped at the end, durable (fsync, synchronous_commit and
 * full_page_writes on, the defaults): a 202 means the alert is on disk, as in production. Everything on 127.0.0.1.
 *
 * BENCH_SECONDS (5) per measured run after a BENCH_WARMUP_SECONDS (2) warm-up, BENCH_CONNECTIONS (32),
 * BENCH_PER_REQUEST (`1,100`), BENCH_BACKLOG (100000).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { openPostgres } from '../src/storage/postgres.ts';
import type { Db } from '../src/storage/schema.ts';
import { openSqlite } from '../src/storage/sqlite.ts';
import { Emulator, freePort, gatewayConfig, startTocsin, tempDir, writeConfig, type TocsinProcess } from '../test/harness.ts';
import { startServer } from '../test/postgres.ts';
import { CLAIM_REPS, claimFigures, postgresClaimPlan, seedBacklog, type ClaimFigures } from './claim-backlog.ts';
import { cpuUs, idleCpuPct, load, ownCpuUs, treeCpuUs, type LoadResult, type Target } from './cluster-load.ts';
import { table } from './table.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PER_REQUEST = (process.env.BENCH_PER_REQUEST ?? '1,100').split(',').map(Number).filter((n) => n > 0);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 100_000);
const INSTANCES = 3;

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new database on the benchmark's server; its URL. */
async function createDatabase(base: string, name: string): Promise<string> {
  await admin(`${base}/postgres`, (c) => c.query(`create database ${name}`));
  return `${base}/${name}`;
}

const probeRows = Array.from({ length: CONNECTIONS }, (_, i) => `('${'x'.repeat(400)}${i}')`).join(',');

/** What one durable commit of CONNECTIONS rows costs on this disk now, p50 in ms: the floor under a group commit. */
async function commitP50(run: () => Promise<void> | void): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await run();
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b)[100]!;
}

async function durableCommits(dir: string, pgUrl: string): Promise<{ sqlite: number; postgres: number }> {
  const db = new BetterSqlite3(join(dir, 'fsync-probe.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table t (id integer primary key, v text)');
  const sqlite = await commitP50(() => void db.exec(`insert into t (v) values ${probeRows}`));
  db.close();
  const postgres = await admin(pgUrl, async (c) => {
    await c.query('create table fsync_probe (id serial primary key, v text)');
    return commitP50(async () => void (await c.query(`insert into fsync_probe (v) values ${probeRows}`)));
  });
  return { sqlite, postgres };
}

const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const ms = (n: number) => (n < 10 ? n.toFixed(1) : n.toFixed(0));
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? (a / b).toFixed(2) : '-');

/**
 * Commit records in PostgreSQL's WAL (pg_walinspect): how many write transactions a run took, so alerts per commit
 * shows how well each instance's group commit batches. The WAL is the whole server's; only the target under load
 * writes meanwhile (the idle ones renew a lease now and then).
 */
async function walCounter(base: string) {
  const c = new pg.Client({ connectionString: `${base}/postgres` });
  await c.connect();
  await c.query('create extension if not exists pg_walinspect');
  const lsn = async () => (await c.query<{ l: string }>('select pg_current_wal_flush_lsn()::text as l')).rows[0]!.l;
  return {
    lsn,
    async commitsSince(from: string): Promise<number> {
      // pg_get_wal_records_info refuses an empty range: nothing written, no commit.
      if ((await lsn()) === from) return 0;
      const r = await c.query<{ n: string }>(`select count(*) as n from pg_get_wal_records_info($1::pg_lsn, pg_current_wal_flush_lsn()) where resource_manager = 'Transaction' and record_type like 'COMMIT%'`, [from]);
      return Number(r.rows[0]!.n);
    },
    close: () => c.end(),
  };
}

type Run = LoadResult & { commits: number };
interface IngestTarget extends Target {
  connections: number;
  postgres: boolean;
}

async function ingest(dir: string, emu: Emulator, base: string, postmasterPid: number, started: TocsinProcess[]) {
  const start = async (name: string, storage: Record<string, unknown>) => {
    const port = await freePort();
    const config = gatewayConfig(emu, dir, port, { log_level: 'warn', storage, delivery: { poll_interval: '200ms' } });
    Object.assign(config.destinations.oncall, { rate_limit_per_minute: 10_000_000, rate_limit_burst: 1000 });
    const t = await startTocsin(writeConfig(dir, config, `${name}.yaml`), { port });
    started.push(t);
    return t;
  };
  const one = await createDatabase(base, 'bench_one');
  const three = await createDatabase(base, 'bench_three');
  const sqlite = await start('sqlite', { sqlite: join(dir, 'tocsin.db') });
  const pg1 = await start('pg-one', { postgres: one });
  // Started together, as a deployment's instances are: the migration lock makes one of them migrate.
  const pg3 = await Promise.all(Array.from({ length: INSTANCES }, (_, i) => start(`pg-three-${i}`, { postgres: three })));
  const dbCpuUs = () => treeCpuUs(postmasterPid);
  const cluster = { urls: pg3.map((t) => t.url), pids: pg3.map((t) => t.proc.pid!), dbCpuUs, postgres: true };
  const targets: IngestTarget[] = [
    { name: 'sqlite', urls: [sqlite.url], pids: [sqlite.proc.pid!], connections: CONNECTIONS, postgres: false },
    { name: 'pg1', urls: [pg1.url], pids: [pg1.proc.pid!], dbCpuUs, connections: CONNECTIONS, postgres: true },
    { name: 'pg3', ...cluster, connections: CONNECTIONS },
    // Diagnostic: as many requests in flight per instance as the single instance gets.
    { name: 'pg3-wide', ...cluster, connections: CONNECTIONS * INSTANCES },
  ];
  const benchCpuUs = () => started.reduce((s, t) => s + cpuUs(t.proc.pid!), 0) + dbCpuUs() + ownCpuUs();
  const wal = await walCounter(base);
  try {
    await emu.pause();
    const idle = [await idleCpuPct(targets[0]!.pids, 3), await idleCpuPct(targets[1]!.pids, 3), await idleCpuPct(targets[2]!.pids, 3)];
    const results = new Map<number, Run[]>();
    for (const perRequest of PER_REQUEST) {
      for (const t of targets) await load(t, perRequest, WARMUP_SECONDS, t.connections, benchCpuUs); // JIT, statement and page caches
      const rs: Run[] = [];
      for (const t of targets) {
        const from = t.postgres ? await wal.lsn() : '';
        const r = await load(t, perRequest, SECONDS, t.connections, benchCpuUs);
        const commits = t.postgres ? await wal.commitsSince(from) : NaN;
        if (r.errors) console.error(`${t.name}, ${perRequest} per request: ${r.errors} requests not answered 202, the first: ${r.firstError}`);
        rs.push({ ...r, commits });
      }
      results.set(perRequest, rs);
    }
    return { results, idle };
  } finally {
    await wal.close();
  }
}

function ingestRows(results: Map<number, Run[]>, idle: number[], commits: { sqlite: number; postgres: number }): string[][] {
  const rows: string[][] = [];
  const row = (label: string, pick: (r: Run) => number, show: (n: number) => string, rs: Run[], ratios = true) => {
    const [s, p1, p3, wide] = rs.map(pick) as [number, number, number, number];
    rows.push([label, show(s), show(p1), show(p3), ratios ? ratio(p1, s) : '-', ratios ? ratio(p3, p1) : '-', show(wide)]);
  };
  for (const [n, rs] of results) {
    row(`alerts/s, ${n} per request`, (r) => r.alertsPerSecond, fmt, rs);
    row(`  request p50 (ms)`, (r) => r.p50Ms, ms, rs);
    row(`  request p99 (ms)`, (r) => r.p99Ms, ms, rs);
    row(`  tocsin CPU µs per alert`, (r) => r.tocsinCpuUsPerAlert, fmt, rs);
    row(`  PostgreSQL CPU µs per alert`, (r) => r.dbCpuUsPerAlert, fmt, rs);
    row(`  alerts per PostgreSQL commit`, (r) => r.alerts / r.commits, (x) => (Number.isFinite(x) ? x.toFixed(1) : '-'), rs);
    row(`  load generator CPU (% of a core)`, (r) => r.loadgenCpuPct, fmt, rs, false);
    row(`  machine busy (% of 2 cores)`, (r) => r.machineBusyPct, fmt, rs, false);
    row(`  of which others' work (%)`, (r) => r.otherWorkPct, fmt, rs, false);
    row(`  answers other than 202`, (r) => r.errors, String, rs, false);
  }
  const [i1, i2, i3] = idle as [number, number, number];
  rows.push(['tocsin CPU when idle (% of a core, all instances)', fmt(i1), fmt(i2), fmt(i3), '-', '-', fmt(i3)]);
  const c = (n: number) => ms(n);
  rows.push([`durable commit of ${CONNECTIONS} rows, p50 (ms)`, c(commits.sqlite), c(commits.postgres), c(commits.postgres), ratio(commits.postgres, commits.sqlite), '-', c(commits.postgres)]);
  return rows;
}

/** Claim latencies on a database seeded with `pending` rows, then closed. `plan`: PostgreSQL's plan, read after. */
async function claimOn(db: Db, pending: number, plan = false) {
  try {
    await seedBacklog(db, pending);
    return { f: await claimFigures(db), plan: plan ? await postgresClaimPlan(db) : undefined };
  } finally {
    await db.destroy();
  }
}

async function claims(dir: string, base: string) {
  const sqlite = await claimOn(await openSqlite({ path: join(dir, 'claim.db') }), BACKLOG);
  const pgSmall = await claimOn(await openPostgres({ url: await createDatabase(base, 'claim_small'), poolSize: 2 }), 100);
  const pgLarge = await claimOn(await openPostgres({ url: await createDatabase(base, 'claim_large'), poolSize: 2 }), BACKLOG, true);
  return { sqlite: sqlite.f, pgSmall: pgSmall.f, pgLarge: pgLarge.f, plan: pgLarge.plan! };
}

function claimRows(c: { sqlite: ClaimFigures; pgSmall: ClaimFigures; pgLarge: ClaimFigures }): string[][] {
  const us = (n: number) => n.toFixed(0);
  const row = (label: string, pick: (f: ClaimFigures) => number) => [label, us(pick(c.sqlite)), us(pick(c.pgSmall)), us(pick(c.pgLarge)), ratio(pick(c.pgLarge), pick(c.sqlite)), ratio(pick(c.pgLarge), pick(c.pgSmall))];
  return [row('claim 4 rows, p50', (f) => f.c4p50), row('claim 4 rows, p90', (f) => f.c4p90), row('claim 64 rows, p50', (f) => f.c64p50)];
}

async function main() {
  const t0 = performance.now();
  const dir = tempDir('tocsin-bench-cluster-');
  const server = await startServer({ durable: true });
  const emu = await Emulator.start({ alertEventsPerMinute: 10_000_000, apiRequestsPerMinute: 10_000_000 });
  const started: TocsinProcess[] = [];
  try {
    const settings = await admin(`${server.base}/postgres`, async (c) => {
      const r = await c.query<{ name: string; setting: string }>(`select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'full_page_writes', 'server_version') order by name`);
      return Object.fromEntries(r.rows.map((x) => [x.name, x.setting]));
    });
    if (settings.fsync !== 'on' || settings.synchronous_commit !== 'on') throw new Error(`the server is not durable: ${JSON.stringify(settings)}`);
    const postmasterPid = Number(readFileSync(join(server.dir, 'data/postmaster.pid'), 'utf8').split('\n')[0]);
    const commits = await durableCommits(dir, await createDatabase(server.base, 'probe'));
    const { results, idle } = await ingest(dir, emu, server.base, postmasterPid, started);
    await emu.resume();
    for (const t of started.splice(0)) await t.kill();

    table(
      `ingest, ${SECONDS} s per run after ${WARMUP_SECONDS} s warm-up, ${CONNECTIONS} connections, closed loop, deliveries held (emulator paused); node ${process.version}, PostgreSQL ${settings.server_version} (fsync ${settings.fsync}, synchronous_commit ${settings.synchronous_commit}, full_page_writes ${settings.full_page_writes})`,
      ['measure', 'SQLite, 1 instance (baseline)', 'PostgreSQL, 1 instance', `PostgreSQL, ${INSTANCES} instances`, 'PG 1 ÷ SQLite', `PG ${INSTANCES} ÷ PG 1`, `PG ${INSTANCES}, ${INSTANCES * CONNECTIONS} connections`],
      ingestRows(results, idle, commits),
    );
    console.log(`${INSTANCES} instances: one database, requests round robin over the instances; pool_size 10 per instance (the default). Last column: a diagnostic,`);
    console.log(`${CONNECTIONS} requests in flight per instance (as the single instance gets) instead of ${CONNECTIONS} over all ${INSTANCES}.`);
    console.log('CPU µs per alert: the tocsin processes\' own CPU time, and the PostgreSQL server\'s (postmaster and backends), from /proc.');

    const c = await claims(dir, server.base);
    table(
      `claim latency (µs), ${BACKLOG.toLocaleString('en')} pending rows, ${CLAIM_REPS} claims each, in process, after ANALYZE`,
      ['measure', `SQLite, ${BACKLOG.toLocaleString('en')} (baseline)`, 'PostgreSQL, 100', `PostgreSQL, ${BACKLOG.toLocaleString('en')}`, 'PG ÷ SQLite', `PG ${BACKLOG.toLocaleString('en')} ÷ 100`],
      claimRows(c),
    );
    console.log(`PostgreSQL plan of the claim (EXPLAIN ANALYZE, 4 rows, ${BACKLOG.toLocaleString('en')} pending): top line "${c.plan.lines[0]?.trim()}"; ` + `deliveries_claim index scan: ${c.plan.usesClaimIndex ? 'yes' : 'NO'}; sort: ${c.plan.sorts ? 'YES (the backlog is sorted)' : 'none'}`);
    for (const l of c.plan.lines) console.log(`  ${l}`);
    console.log(`\nwhole run: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    if (c.plan.sorts || !c.plan.usesClaimIndex) process.exitCode = 1;
  } finally {
    await emu.resume().catch(() => undefined);
    for (const t of started) await t.kill();
    await emu.close();
    server.stop();
  }
}

await main();
