/**
 * `npm run bench:memory`: tocsin's resident memory (RSS, from /proc) holding BENCH_ALERTS (default 100,000) active
 * alerts, and whether it stays flat through a soak of 200 alerts/s for BENCH_SOAK_SECONDS (default 180). The
 * baseline is the same process idle right after start. tocsin is started the way users start it (bin/tocsin.js), so
 * whatever that entry point sets (V8 flags) is measured. Everything runs on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { APP_TOKEN, BIN, Emulator, freePort, gatewayConfig, http, tempDir, waitFor, writeConfig } from '../test/harness.ts';
import { table } from './table.ts';

const ALERTS = Number(process.env.BENCH_ALERTS ?? 100_000);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 180);
const SOAK_RATE = 200;
const HOLD_SECONDS = Number(process.env.BENCH_HOLD_SECONDS ?? 30);
const RSS_TARGET_MB = 150;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** V8 heap and off-heap figures from tocsin's own /metrics (prom-client's default collectors). */
async function heapMb(url: string): Promise<{ heapUsed: number; heapTotal: number; external: number }> {
  const text = (await http('GET', `${url}/metrics`)).text;
  const get = (name: string) => Number(/^(\S+) (\S+)$/m.exec(text.split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[2] ?? NaN) / 1024 / 1024;
  return { heapUsed: get('nodejs_heap_size_used_bytes'), heapTotal: get('nodejs_heap_size_total_bytes'), external: get('nodejs_external_memory_bytes') };
}

async function send(pool: Pool, alerts: object[]): Promise<void> {
  const res = await pool.request({ path: '/ingest/app', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${APP_TOKEN}` }, body: JSON.stringify(alerts) });
  const text = await res.body.text();
  if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode}: ${text}`);
}

const severities = ['critical', 'error', 'warning', 'info'];
const held = (n: number) => ({ title: `Held alert ${n}`, dedup_key: `held-${n}`, severity: severities[n % 4], metadata: { service: `svc-${n % 50}`, region: 'eu-west-1', n } });

/** BENCH_ALERTS distinct firing alerts, 100 per request, 8 requests in flight. */
async function fill(pool: Pool): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < ALERTS) {
        const from = next;
        next = Math.min(ALERTS, next + 100);
        await send(pool, Array.from({ length: next - from }, (_, i) => held(from + i)));
      }
    }),
  );
}

/**
 * SOAK_RATE alerts/s in requests of 20 every 100 ms, over a pool of 20,000 keys: the first pass creates them, the
 * next resolves them, the next fires them again (new episodes), and so on — creates, updates and resolves, with
 * deliveries flowing. Samples RSS every 10 s.
 */
async function soak(pool: Pool, pid: number): Promise<{ t: number; rss: number }[]> {
  const samples = [{ t: 0, rss: rssMb(pid) }];
  const started = performance.now();
  const end = started + SOAK_SECONDS * 1000;
  let n = 0;
  let nextSample = started + 10_000;
  const pending = new Set<Promise<void>>();
  for (let tick = 0; performance.now() < end; tick++) {
    const batch = Array.from({ length: SOAK_RATE / 10 }, () => {
      const k = n++;
      const key = k % 20_000;
      const pass = Math.floor(k / 20_000);
      return { title: `Soak alert ${key}`, dedup_key: `soak-${key}`, status: pass % 2 === 1 ? 'resolved' : 'firing', severity: severities[key % 4], metadata: { pass, service: `svc-${key % 50}` } };
    });
    const p = send(pool, batch).finally(() => pending.delete(p));
    pending.add(p);
    // Open loop: the next request leaves on schedule whether or not the last one was answered.
    await sleep(Math.max(0, started + (tick + 1) * 100 - performance.now()));
    if (performance.now() >= nextSample) {
      samples.push({ t: Math.round((performance.now() - started) / 1000), rss: rssMb(pid) });
      nextSample += 10_000;
    }
  }
  await Promise.all(pending);
  samples.push({ t: Math.round((performance.now() - started) / 1000), rss: rssMb(pid) });
  return samples;
}

/** RSS growth over the soak: a least-squares line through the samples, in MB per minute (GC makes RSS saw-tooth). */
function slopePerMinute(samples: { t: number; rss: number }[]): number {
  const n = samples.length;
  const mt = samples.reduce((a, s) => a + s.t, 0) / n;
  const mr = samples.reduce((a, s) => a + s.rss, 0) / n;
  const cov = samples.reduce((a, s) => a + (s.t - mt) * (s.rss - mr), 0);
  const varT = samples.reduce((a, s) => a + (s.t - mt) ** 2, 0);
  return varT === 0 ? 0 : (cov / varT) * 60;
}

async function main() {
  const dir = tempDir('tocsin-bench-memory-');
  const emu = await Emulator.start({ alertEventsPerMinute: 10_000_000, apiRequestsPerMinute: 10_000_000 });
  const port = await freePort();
  // The destination keeps its default rate limit (incident.io's 120 events/min): a storm's backlog drains slowly
  // while tocsin holds the alerts, which is the situation this measures.
  const config = gatewayConfig(emu, dir, port, { log_level: 'warn' });
  const output: string[] = [];
  const proc = spawn(process.execPath, [BIN, 'start', '--config', writeConfig(dir, config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
  proc.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const pool = new Pool(url, { connections: 8, pipelining: 1 });
  try {
    await waitFor('tocsin to be ready', async () => (proc.exitCode !== null ? Promise.reject(new Error(output.join(''))) : (await http('GET', `${url}/readyz`)).status === 200), 30_000, 100);
    const pid = proc.pid!;
    await sleep(2000);
    const idle = rssMb(pid);
    const idleHeap = await heapMb(url);

    const fillStarted = performance.now();
    let fillPeak = idle;
    const sampler = setInterval(() => (fillPeak = Math.max(fillPeak, rssMb(pid))), 250);
    await fill(pool).finally(() => clearInterval(sampler));
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const afterFill = rssMb(pid);
    fillPeak = Math.max(fillPeak, afterFill);
    // What stays resident once the burst is over: the garbage of the burst is V8's to return, which it does when
    // allocation slows down (its memory reducer), so this is read after HOLD_SECONDS.
    await sleep(HOLD_SECONDS * 1000);
    const holding = rssMb(pid);
    const holdingHeap = await heapMb(url);

    const samples = await soak(pool, pid);
    const start = samples[0]!.rss;
    const end = samples.at(-1)!.rss;
    const peak = Math.max(...samples.map((s) => s.rss));
    const trend = slopePerMinute(samples);
    const endHeap = await heapMb(url);

    const mb = (n: number) => n.toFixed(0);
    table(
      `memory — ${ALERTS.toLocaleString('en')} active alerts, then ${SOAK_SECONDS} s at ${SOAK_RATE} alerts/s (filled in ${fillSeconds.toFixed(0)} s), node ${process.version}`,
      ['measure (MB)', 'idle after start (baseline)', 'measured', 'ratio', 'target'],
      [
        [`RSS peak while ingesting ${ALERTS.toLocaleString('en')}`, mb(idle), mb(fillPeak), (fillPeak / idle).toFixed(2), '-'],
        [`RSS right after ingesting them`, mb(idle), mb(afterFill), (afterFill / idle).toFixed(2), '-'],
        [`RSS holding ${ALERTS.toLocaleString('en')} active (${HOLD_SECONDS} s later)`, mb(idle), mb(holding), (holding / idle).toFixed(2), `≤ ${RSS_TARGET_MB}`],
        ['  of which V8 heap used / total', `${mb(idleHeap.heapUsed)} / ${mb(idleHeap.heapTotal)}`, `${mb(holdingHeap.heapUsed)} / ${mb(holdingHeap.heapTotal)}`, '-', '-'],
        ['  of which external (buffers)', mb(idleHeap.external), mb(holdingHeap.external), '-', '-'],
        ['soak: RSS at start', mb(idle), mb(start), (start / idle).toFixed(2), '-'],
        ['soak: RSS at end', mb(idle), mb(end), (end / idle).toFixed(2), '-'],
        ['soak: RSS peak', mb(idle), mb(peak), (peak / idle).toFixed(2), '-'],
        ['soak: end − start', '-', mb(end - start), '-', '≤ 10'],
        ['soak: trend (MB/min, least squares)', '-', trend.toFixed(1), '-', 'flat (|x| ≤ 2)'],
        ['soak end: V8 heap used / total', '-', `${mb(endHeap.heapUsed)} / ${mb(endHeap.heapTotal)}`, '-', '-'],
      ],
    );
    console.log(`soak RSS every 10 s (MB): ${samples.map((s) => `${s.t}s ${mb(s.rss)}`).join(', ')}`);
  } finally {
    await pool.close();
    proc.kill('SIGTERM');
    await exited;
    await emu.close();
  }
}

await main();
