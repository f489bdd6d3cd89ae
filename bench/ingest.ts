/**
 * `npm run bench:ingest`: ingest throughput (1 and 100 alerts per request) beside Prometheus Alertmanager 0.25 (the
 * Debian `prometheus-alertmanager`, in memory) and a bare node:http + SQLite baseline, all measured in the same run
 * with the same load generator; then ingest→incident.io latency and RSS. Everything runs on 127.0.0.1.
 *
 * BENCH_SECONDS (5), BENCH_CONNECTIONS (32), BENCH_PER_REQUEST (`1,100`), BENCH_LATENCY=0 skips the latency run;
 * BENCH_PROFILE=dir writes a CPU profile of tocsin there (node --cpu-prof) when it stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Pool } from 'undici';
import { alertmanagerVersion, startAlertmanager, type PostableAlert, type RunningAlertmanager } from '../test/alertmanager.ts';
import { APP_TOKEN, CLI, Emulator, ROOT, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig } from '../test/harness.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PER_REQUEST = (process.env.BENCH_PER_REQUEST ?? '1,100').split(',').map(Number).filter((n) => n > 0);
const LATENCY = process.env.BENCH_LATENCY !== '0';
const PROFILE_DIR = process.env.BENCH_PROFILE;

/** CPU time a process has used (user + system), in µs: what an alert costs, whatever else runs on the machine. */
function cpuUs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime, fields 14 and 15 of proc(5), counted from the state field (3); clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** One alert, every time a new one (a new dedup key), in tocsin's native shape. */
let seq = 0;
const alert = () => {
  const n = seq++;
  return { title: `Bench alert ${n}`, dedup_key: `bench-${process.pid}-${n}`, severity: 'warning', metadata: { service: 'bench', n } };
};

/** The same alert as Alertmanager takes it (PostableAlert): its identity is its label set, so the key is a label. */
const toPostable = (a: ReturnType<typeof alert>): PostableAlert => ({
  labels: { alertname: 'BenchAlert', dedup_key: a.dedup_key, severity: a.severity, service: a.metadata.service },
  annotations: { summary: a.title, n: String(a.metadata.n) },
});

interface Target {
  url: string;
  /** The server's process, whose CPU time a run reads. */
  pid?: number | undefined;
  path: string;
  token?: string;
  /** The answer that means accepted: 202 from tocsin, 200 from Alertmanager. */
  ok: number;
  body: (alerts: ReturnType<typeof alert>[], perRequest: number) => unknown;
}

/** Closed-loop load: CONNECTIONS requests in flight for SECONDS; returns alerts/s and requests/s. */
async function load(t: Target, perRequest: number) {
  const pool = new Pool(t.url, { connections: CONNECTIONS, pipelining: 1 });
  const headers = { 'content-type': 'application/json', ...(t.token ? { authorization: `Bearer ${t.token}` } : {}) };
  const deadline = performance.now() + SECONDS * 1000;
  let requests = 0;
  let errors = 0;
  let firstError = '';
  const started = performance.now();
  const cpu0 = cpuUs(t.pid);
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const body = JSON.stringify(t.body(Array.from({ length: perRequest }, alert), perRequest));
        const res = await pool.request({ path: t.path, method: 'POST', headers, body });
        const text = await res.body.text();
        if (res.statusCode === t.ok) requests++;
        else if (!errors++) firstError = `${res.statusCode} ${text.slice(0, 200)}`;
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  const cpu = cpuUs(t.pid) - cpu0;
  await pool.close();
  if (errors) throw new Error(`${errors} requests to ${t.url}${t.path} failed, the first: ${firstError}`);
  return { rps: requests / secs, aps: (requests * perRequest) / secs, cpuPerAlert: cpu / (requests * perRequest) };
}

async function startBaseline(dir: string): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/baseline-server.ts'), join(dir, 'baseline.db'), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res) => proc.stdout!.once('data', () => res()));
  return { url: `http://127.0.0.1:${port}`, proc };
}

/**
 * What one durable commit costs on this disk right now: 32 rows in one transaction, WAL, synchronous=FULL (what
 * tocsin does per group commit). With 32 connections each waiting for its answer, and the answer due only after the
 * commit, no server that is durable per request can answer more than 32 requests per commit time.
 */
function durableCommitMs(dir: string): { p50: number; p90: number } {
  const db = new BetterSqlite3(join(dir, 'fsync-probe.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table t (id integer primary key, v text)');
  const insert = db.prepare('insert into t (v) values (?)');
  const commit = db.transaction(() => {
    for (let i = 0; i < CONNECTIONS; i++) insert.run('x'.repeat(400));
  });
  const ms: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    commit();
    ms.push(performance.now() - t);
  }
  db.close();
  ms.sort((a, b) => a - b);
  return { p50: ms[100]!, p90: ms[180]! };
}

/** Alertmanager routing everything to a receiver with no integrations: its ingest path (API, store, dispatcher) alone. */
function startAm(): Promise<RunningAlertmanager> {
  return startAlertmanager({ route: { receiver: 'null', group_by: ['alertname'] }, receivers: [{ name: 'null' }] }, { logLevel: 'warn' });
}

/** Open-loop latency: one alert every `gapMs`, time from the request leaving to the emulator receiving the event. */
async function latency(emu: Emulator, url: string, count: number, gapMs: number) {
  await emu.reset();
  const sentAt = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const a = alert();
    sentAt.set(`app:${a.dedup_key}`, Date.now());
    void http('POST', `${url}/ingest/app`, { token: APP_TOKEN, body: a });
    await new Promise((r) => setTimeout(r, gapMs));
  }
  const reqs = await waitFor('all events at the emulator', async () => {
    const r = (await emu.requests()).filter((x) => x.status === 202);
    return r.length >= count ? r : undefined;
  }, 30_000, 200);
  const lat = reqs.map((r) => Date.parse(r.received_at) - sentAt.get(r.body.deduplication_key)!).sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  return { p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1]! };
}

/** tocsin under `node --cpu-prof` (not allowed in NODE_OPTIONS, so not through the harness); the profile is written when it stops. */
async function startProfiled(configPath: string, port: number, profileDir: string) {
  const proc = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--import', 'tsx', CLI, 'start', '--config', configPath], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor('tocsin to be ready', async () => (await http('GET', `${url}/readyz`)).status === 200, 20_000, 100);
  return { url, proc, kill: async () => (proc.kill('SIGTERM'), await exited) };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function printTable(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
}

async function main() {
  const amVersion = alertmanagerVersion();
  if (!amVersion) throw new Error('prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager): the benchmark compares against it');
  const dir = tempDir('tocsin-bench-');
  const emu = await Emulator.start({ alertEventsPerMinute: 10_000_000 });
  const port = await freePort();
  const base = gatewayConfig(emu, dir, port, { log_level: 'warn' });
  (base.destinations.oncall as Record<string, unknown>).rate_limit_per_minute = 10_000_000;
  (base.destinations.oncall as Record<string, unknown>).rate_limit_burst = 1000;
  const tocsin = PROFILE_DIR ? await startProfiled(writeConfig(dir, base), port, PROFILE_DIR) : await startTocsin(writeConfig(dir, base), { port });
  const baseline = await startBaseline(dir);
  const am = await startAm();
  const targets: Record<'tocsin' | 'am' | 'bare', Target> = {
    tocsin: { pid: tocsin.proc.pid, url: tocsin.url, path: '/ingest/app', token: APP_TOKEN, ok: 202, body: (as, n) => (n === 1 ? as[0] : as) },
    am: { pid: am.proc.pid, url: am.url, path: '/api/v2/alerts', ok: 200, body: (as) => as.map(toPostable) },
    bare: { pid: baseline.proc.pid, url: baseline.url, path: '/', ok: 202, body: (as, n) => (n === 1 ? as[0] : as) },
  };
  try {
    // Latency first, on an idle gateway: the figure a person sees for one alert. The first alerts after start pay
    // for compiling (V8's JIT, the statement cache): ~40–65 ms for the first dozen, then a few ms. Both are shown:
    // the first 100 alerts after start, then 500 more.
    const none = { p50: NaN, p99: NaN, max: NaN };
    const cold = LATENCY ? await latency(emu, tocsin.url, 100, 4) : none;
    const lat = LATENCY ? await latency(emu, tocsin.url, 500, 4) : none;

    // Throughput with deliveries held back (the emulator paused): the ingest path alone, as the others have.
    await emu.pause();
    const rows: string[][] = [];
    const cpuRows: string[][] = [];
    const fsync = durableCommitMs(dir);
    for (const perRequest of PER_REQUEST) {
      await load(targets.tocsin, perRequest); // warm-up: JIT, statement cache, page cache
      await load(targets.am, perRequest);
      // Interleaved, so a neighbour's burst on this shared machine costs both sides alike.
      const t = await load(targets.tocsin, perRequest);
      const a = await load(targets.am, perRequest);
      const b = await load(targets.bare, perRequest);
      rows.push([`alerts/s, ${perRequest} per request`, fmt(t.aps), fmt(a.aps), (t.aps / a.aps).toFixed(2), fmt(b.aps), '≥ 1.00 × Alertmanager']);
      // Alerts per CPU second: unlike alerts/s, hardly moved by neighbours on a shared machine (a multi-threaded
      // server gets more of a busy machine than a single-threaded one).
      cpuRows.push([`CPU µs per alert, ${perRequest} per request`, t.cpuPerAlert.toFixed(1), a.cpuPerAlert.toFixed(1), (a.cpuPerAlert / t.cpuPerAlert).toFixed(2), b.cpuPerAlert.toFixed(1), '-']);
    }
    const rss = [tocsin.proc.pid!, am.proc.pid!, baseline.proc.pid!].map(rssMb) as [number, number, number];
    rows.push(...cpuRows);
    rows.push([`durable commit p50 / p90 (ms)`, `${fsync.p50.toFixed(1)} / ${fsync.p90.toFixed(1)}`, '-', '-', '-', '-']);
    rows.push([`ceiling, 1 per request (req/s)`, fmt(CONNECTIONS / (fsync.p50 / 1000)), '-', '-', '-', `${CONNECTIONS} connections / commit p50`]);
    rows.push(['ingest→incident.io p50 (ms)', String(lat.p50), '-', '-', '-', '≤ 10']);
    rows.push(['ingest→incident.io p99 (ms)', String(lat.p99), '-', '-', '-', '≤ 20']);
    rows.push(['  the first 100 after start: p50 / p99 / max (ms)', `${cold.p50} / ${cold.p99} / ${cold.max}`, '-', '-', '-', '-']);
    rows.push(['RSS after load (MB)', rss[0].toFixed(0), rss[1].toFixed(0), (rss[0] / rss[1]).toFixed(2), rss[2].toFixed(0), '-']);

    console.log(`\ningest benchmark — ${SECONDS} s per run, ${CONNECTIONS} connections, closed loop, node ${process.version}`);
    printTable(['measure', 'tocsin', `alertmanager ${amVersion}`, 'ratio', 'bare node', 'target'], rows);
    console.log('tocsin: SQLite WAL synchronous=FULL, 202 after the fsync; alertmanager: in memory, --cluster.listen-address= , receiver with no integrations;');
    console.log("ratio: tocsin ÷ alertmanager for alerts/s; alertmanager ÷ tocsin for CPU per alert (above 1: tocsin does more per CPU second)");
    console.log(`ceiling: with ${CONNECTIONS} connections each waiting for its answer and every answer after an fsync, at most ${CONNECTIONS} requests per durable commit;`);
    console.log('bare node: node:http + JSON.parse + one SQLite insert per alert, one transaction per request, no logic (bench/baseline-server.ts)');
  } finally {
    await emu.resume();
    baseline.proc.kill();
    await am.stop();
    await tocsin.kill();
    await emu.close();
  }
}

await main();
