/**
 * `npm run bench:ingest`: ingest throughput (1 and 100 alerts per request), ingest→incident.io latency and RSS,
 * each beside a baseline measured in the same run (bench/baseline-server.ts). Everything runs on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { APP_TOKEN, CLI, Emulator, ROOT, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig } from '../test/harness.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

let seq = 0;
const alert = () => {
  const n = seq++;
  return { title: `Bench alert ${n}`, dedup_key: `bench-${process.pid}-${n}`, severity: 'warning', metadata: { service: 'bench', n } };
};

/** Closed-loop load: CONNECTIONS requests in flight for SECONDS; returns alerts/s and requests/s. */
async function load(url: string, path: string, token: string | undefined, perRequest: number) {
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  const deadline = performance.now() + SECONDS * 1000;
  let requests = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const body = JSON.stringify(perRequest === 1 ? alert() : Array.from({ length: perRequest }, alert));
        const res = await pool.request({ path, method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body });
        await res.body.dump();
        if (res.statusCode === 202) requests++;
        else errors++;
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  await pool.close();
  if (errors) throw new Error(`${errors} requests failed`);
  return { rps: requests / secs, aps: (requests * perRequest) / secs };
}

async function startBaseline(dir: string): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/baseline-server.ts'), join(dir, 'baseline.db'), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res) => proc.stdout!.once('data', () => res()));
  return { url: `http://127.0.0.1:${port}`, proc };
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
  return { p50: q(0.5), p99: q(0.99) };
}

async function main() {
  const dir = tempDir('tocsin-bench-');
  const emu = await Emulator.start({ alertEventsPerMinute: 10_000_000 });
  const port = await freePort();
  const base = gatewayConfig(emu, dir, port, { log_level: 'warn' });
  (base.destinations.oncall as Record<string, unknown>).rate_limit_per_minute = 10_000_000;
  (base.destinations.oncall as Record<string, unknown>).rate_limit_burst = 1000;
  const tocsin = await startTocsin(writeConfig(dir, base), { port });
  const baseline = await startBaseline(dir);
  try {
    // Latency first, on an idle gateway: the figure a person sees for one alert.
    const lat = await latency(emu, tocsin.url, 500, 4);

    // Throughput with deliveries held back (the emulator paused): the ingest path alone, as the baseline has.
    await emu.pause();
    const warm = await load(tocsin.url, '/ingest/app', APP_TOKEN, 1);
    void warm;
    const t1 = await load(tocsin.url, '/ingest/app', APP_TOKEN, 1);
    const b1 = await load(baseline.url, '/', undefined, 1);
    const t100 = await load(tocsin.url, '/ingest/app', APP_TOKEN, 100);
    const b100 = await load(baseline.url, '/', undefined, 100);
    const rssT = rssMb(tocsin.proc.pid!);
    const rssB = rssMb(baseline.proc.pid!);

    const rows: [string, string, string, string, string][] = [
      ['alerts/s, 1 per request', t1.aps.toFixed(0), b1.aps.toFixed(0), (t1.aps / b1.aps).toFixed(2), '≥ 2,500 req/s'],
      ['alerts/s, 100 per request', t100.aps.toFixed(0), b100.aps.toFixed(0), (t100.aps / b100.aps).toFixed(2), '≥ 10,000'],
      ['ingest→incident.io p50 (ms)', String(lat.p50), '-', '-', '≤ 10'],
      ['ingest→incident.io p99 (ms)', String(lat.p99), '-', '-', '≤ 50'],
      ['RSS after load (MB)', rssT.toFixed(0), rssB.toFixed(0), (rssT / rssB).toFixed(2), '-'],
    ];
    const header: [string, string, string, string, string] = ['measure', 'tocsin', 'baseline', 'ratio', 'target'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
    console.log(`\ningest benchmark — ${SECONDS} s per run, ${CONNECTIONS} connections, SQLite WAL synchronous=FULL, node ${process.version}`);
    console.log(line(header));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const r of rows) console.log(line(r));
    console.log('baseline: bare node:http + JSON.parse + SQLite insert in one transaction per request, no logic (bench/baseline-server.ts)');
  } finally {
    await emu.resume();
    baseline.proc.kill();
    await tocsin.kill();
    await emu.close();
  }
}

void CLI;
await main();
