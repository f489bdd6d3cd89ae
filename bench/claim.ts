/**
 * `npm run bench:claim`: what the delivery claim costs as the backlog grows, and what draining a large backlog with
 * the rate limits lifted looks like from outside.
 *
 * 1. Claim latency, in process, against a real SQLite file: 100 pending rows (the baseline) versus BENCH_BACKLOG
 *    (default 100,000), same mix in both (severities, some rows backing off, some waiting behind an in-flight row).
 *    Each claim runs in a transaction that is rolled back, so every repetition sees the same queue.
 * 2. Drain: tocsin as a child process, the emulator paused while BENCH_BACKLOG alerts are ingested, then released.
 *    Deliveries/s and tocsin's CPU over BENCH_DRAIN_SECONDS, and ingest latency of single alerts sent meanwhile,
 *    beside the same probe on the idle gateway before the backlog (the baseline). Everything runs on 127.0.0.1.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { nextDueAt } from '../src/storage/deliveries-claim.ts';
import { openSqlite } from '../src/storage/sqlite.ts';
import { APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig } from '../test/harness.ts';
import { claimFigures as timedClaims, seedBacklog } from './claim-backlog.ts';
import { table } from './table.ts';

const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 100_000);
const DRAIN_SECONDS = Number(process.env.BENCH_DRAIN_SECONDS ?? 20);
/** delivery.concurrency for the drain; tocsin's default is 4. */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const REPS = 300;
/** Linux reports process CPU time in clock ticks of 1/100 s. */
const TICKS_PER_SECOND = 100;

const quantile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};

async function claimFigures(pending: number) {
  const db = await openSqlite({ path: join(mkdtempSync(join(tmpdir(), 'tocsin-bench-claim-')), 'claim.db') });
  try {
    await seedBacklog(db, pending);
    const claims = await timedClaims(db);
    const next: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const t = performance.now();
      await nextDueAt(db, 'oncall');
      next.push((performance.now() - t) * 1000);
    }
    return { ...claims, nextP50: quantile(next, 0.5) };
  } finally {
    await db.destroy();
  }
}

function cpuTicks(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

async function metric(url: string, name: string, labels: string): Promise<number> {
  const text = (await http('GET', `${url}/metrics`)).text;
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && line.includes(labels)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

let seq = 0;
const alert = (tag: string) => {
  const n = seq++;
  return { title: `Bench ${tag} ${n}`, dedup_key: `bench-${tag}-${n}`, severity: ['critical', 'error', 'warning', 'info'][n % 4], metadata: { service: 'bench', n } };
};

/** One alert every `gapMs` for `seconds`; the time each request took to be answered 202 (ms). */
async function probe(url: string, seconds: number, gapMs: number): Promise<number[]> {
  const times: Promise<number>[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    times.push(
      http('POST', `${url}/ingest/app`, { token: APP_TOKEN, body: alert('probe') }).then((r) => {
        if (r.status !== 202) throw new Error(`probe answered ${r.status}: ${r.text}`);
        return performance.now() - t;
      }),
    );
    await new Promise((r) => setTimeout(r, gapMs));
  }
  return Promise.all(times);
}

async function fill(url: string, count: number): Promise<void> {
  const pool = new Pool(url, { connections: 8, pipelining: 1 });
  let left = Math.ceil(count / 100);
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (left-- > 0) {
        const res = await pool.request({ path: '/ingest/app', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${APP_TOKEN}` }, body: JSON.stringify(Array.from({ length: 100 }, () => alert('backlog'))) });
        await res.body.dump();
        if (res.statusCode !== 202) throw new Error(`backlog ingest answered ${res.statusCode}`);
      }
    }),
  );
  await pool.close();
}

async function drainFigures() {
  const dir = tempDir('tocsin-bench-drain-');
  const emu = await Emulator.start({ alertEventsPerMinute: 10_000_000, apiRequestsPerMinute: 10_000_000 });
  const port = await freePort();
  const config = gatewayConfig(emu, dir, port, { log_level: 'warn', delivery: { poll_interval: '200ms', concurrency: CONCURRENCY } });
  Object.assign(config.destinations.oncall, { rate_limit_per_minute: 10_000_000, rate_limit_burst: 1000 });
  const tocsin = await startTocsin(writeConfig(dir, config), { port });
  const pid = tocsin.proc.pid!;
  try {
    const idle = await probe(tocsin.url, 5, 50);
    await emu.pause();
    await fill(tocsin.url, BACKLOG);
    await waitFor('the backlog to be queued', async () => (await metric(tocsin.url, 'tocsin_delivery_queue', 'status="pending"')) >= BACKLOG - 100, 60_000, 500);
    const d0 = await metric(tocsin.url, 'tocsin_delivery_attempts_total', 'outcome="delivered"');
    const c0 = cpuTicks(pid);
    const own0 = process.cpuUsage();
    const t0 = performance.now();
    await emu.resume();
    const busy = await probe(tocsin.url, DRAIN_SECONDS, 50);
    const secs = (performance.now() - t0) / 1000;
    const cpu = ((cpuTicks(pid) - c0) / TICKS_PER_SECOND / secs) * 100;
    const own = process.cpuUsage(own0);
    const benchCpu = ((own.user + own.system) / 1e6 / secs) * 100;
    const delivered = (await metric(tocsin.url, 'tocsin_delivery_attempts_total', 'outcome="delivered"')) - d0;
    const left = await metric(tocsin.url, 'tocsin_delivery_queue', 'status="pending"');
    return { idle, busy, rate: delivered / secs, cpu, benchCpu, left };
  } finally {
    await emu.resume();
    await tocsin.kill();
    await emu.close();
  }
}

async function main() {
  const small = await claimFigures(100);
  const large = await claimFigures(BACKLOG);
  const us = (n: number) => n.toFixed(0);
  const ratio = (a: number, b: number) => (b / a).toFixed(2);
  table(
    `claim latency (µs), 100 vs ${BACKLOG.toLocaleString('en')} pending rows, ${REPS} claims each, SQLite WAL, node ${process.version}`,
    ['measure', '100 pending (baseline)', `${BACKLOG.toLocaleString('en')} pending`, 'ratio', 'target'],
    [
      ['claim 4 rows, p50', us(small.c4p50), us(large.c4p50), ratio(small.c4p50, large.c4p50), '≈ 1'],
      ['claim 4 rows, p90', us(small.c4p90), us(large.c4p90), ratio(small.c4p90, large.c4p90), '≈ 1'],
      ['claim 64 rows, p50', us(small.c64p50), us(large.c64p50), ratio(small.c64p50, large.c64p50), '≈ 1'],
      ['nextDueAt, p50', us(small.nextP50), us(large.nextP50), ratio(small.nextP50, large.nextP50), '≈ 1'],
    ],
  );

  const d = await drainFigures();
  const ms = (n: number) => n.toFixed(1);
  table(
    `drain of a ${BACKLOG.toLocaleString('en')}-alert backlog, rate limits lifted, delivery.concurrency ${CONCURRENCY}, ${DRAIN_SECONDS} s; probe: 1 alert / 50 ms`,
    ['measure', 'idle gateway (baseline)', 'while draining', 'ratio', 'target'],
    [
      ['ingest p50 (ms)', ms(quantile(d.idle, 0.5)), ms(quantile(d.busy, 0.5)), ratio(quantile(d.idle, 0.5), quantile(d.busy, 0.5)), '-'],
      ['ingest p99 (ms)', ms(quantile(d.idle, 0.99)), ms(quantile(d.busy, 0.99)), ratio(quantile(d.idle, 0.99), quantile(d.busy, 0.99)), '-'],
      ['deliveries/s', '-', d.rate.toFixed(0), '-', '-'],
      ['tocsin CPU (% of one core)', '-', d.cpu.toFixed(0), '-', '-'],
      ['emulator + probe CPU (% of one core)', '-', d.benchCpu.toFixed(0), '-', '-'],
      ['pending at the end', '-', String(d.left), '-', '-'],
    ],
  );
}

await main();
